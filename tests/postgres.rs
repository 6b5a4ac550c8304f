//! Two servers over one PostgreSQL database: rotation, revocation and permissions seen by both.
#![cfg(feature = "postgres")]
//!
//! Each test builds two nodes (two stores, two connection pools, two gates)
//! over the database named by `PARA_TEST_DATABASE_URL`; `.ci/run` starts a
//! throwaway server and sets it. Without it every test says it was skipped,
//! loudly, and passes.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use para_auth::gate::{Caller, Gate};
use para_auth::jwt::issue_user_token;
use para_auth::permissions::ResourcePermissions;
use para_auth::postgres::{PgAppStore, PgConfig, PgStore, PgUserStore};
use para_auth::sigv4::Signer;
use para_auth::store::{AppRecord, AppStore, PreviousSecret, VersionedSecret};
use para_auth::users::{UserRecord, UserStore};
use para_auth::{AccessKey, AppId, OwnedRequest, Reason, SecretKey, Timestamp};

const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);
const SOON: Duration = Duration::from_secs(1);

type Node = Gate<PgAppStore, PgUserStore>;

fn database_url() -> Option<String> {
    let url = std::env::var("PARA_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("\n!!!!!!!! SKIPPED: no PostgreSQL (set PARA_TEST_DATABASE_URL) !!!!!!!!\n");
    }
    url
}

async fn store(url: &str, config: PgConfig) -> PgStore {
    PgStore::connect(url, config).await.unwrap()
}

fn gate(store: &PgStore) -> Node {
    Gate::new(Arc::new(store.apps()), store.users())
}

/// An app id no other test (or earlier run) uses.
fn fresh_app() -> AppId {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    AppId::new(&format!("pgtest-{}", hex::encode(bytes))).unwrap()
}

fn secret(text: &str) -> SecretKey {
    SecretKey::new(text).unwrap()
}

fn signed(app: &AppId, secret: &str, at: Timestamp) -> OwnedRequest {
    let signer = Signer::new(AccessKey::from(app.clone()), SecretKey::new(secret).unwrap());
    let request = OwnedRequest::new("GET", "/v1/posts/1").header("Host", "localhost:8080");
    let mut out = request.clone();
    for (name, value) in signer.sign(&request, at).unwrap().headers() {
        out = out.header(name, value);
    }
    out
}

fn bearer(token: &str) -> OwnedRequest {
    OwnedRequest::new("GET", "/v1/_me")
        .header("Host", "localhost:8080")
        .header("Authorization", format!("Bearer {token}"))
}

/// Poll `check` until it holds; fails when it does not within `limit`.
#[expect(clippy::disallowed_methods, reason = "the test measures how soon a change is seen")]
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what}: not seen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn refused(node: &Node, request: &OwnedRequest, at: Timestamp) -> Option<Reason> {
    node.check(request, at).await.err().map(|e| e.reason())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_on_a_refuses_the_old_secret_on_b_within_a_second() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let (node_a, node_b) = (gate(&a), gate(&b));
    let app = fresh_app();
    a.apps().insert(AppRecord::new(app.clone().into(), secret("old-secret"))).await.unwrap();

    // B knows the old secret: its caches are warm.
    let old = signed(&app, "old-secret", NOW);
    node_b.check(&old, NOW).await.unwrap();
    node_b.check(&old, NOW).await.unwrap();

    a.apps().rotate(app.as_str(), secret("new-secret"), NOW, 0).await.unwrap().unwrap();
    let took = within(SOON, "old secret refused on B", || async {
        refused(&node_b, &old, NOW).await == Some(Reason::SignatureMismatch)
    })
    .await;
    eprintln!("B refused the old secret {took:?} after the rotation on A");
    node_b.check(&signed(&app, "new-secret", NOW), NOW).await.unwrap();
    node_a.check(&signed(&app, "new-secret", NOW), NOW).await.unwrap();
    assert_eq!(refused(&node_a, &old, NOW).await, Some(Reason::SignatureMismatch));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_grace_window_b_accepts_the_old_secret_until_the_deadline() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let node_b = gate(&b);
    let app = fresh_app();
    a.apps().insert(AppRecord::new(app.clone().into(), secret("old-secret"))).await.unwrap();
    node_b.check(&signed(&app, "old-secret", NOW), NOW).await.unwrap();

    a.apps().rotate(app.as_str(), secret("new-secret"), NOW, 300).await.unwrap();
    let new = signed(&app, "new-secret", NOW);
    within(SOON, "new secret accepted on B", || async { node_b.check(&new, NOW).await.is_ok() })
        .await;

    let at = NOW.add_secs(299);
    let allowed = node_b.check(&signed(&app, "old-secret", at), at).await.unwrap();
    let Caller::App { app: record, .. } = allowed.caller() else { panic!("an app caller") };
    assert!(record.previous_at(at).is_some());
    let at = NOW.add_secs(300);
    let old = signed(&app, "old-secret", at);
    assert_eq!(refused(&node_b, &old, at).await, Some(Reason::SignatureMismatch));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_notifications_the_ttl_bounds_staleness() {
    let Some(url) = database_url() else { return };
    let a = store(&url, PgConfig::default()).await;
    let deaf =
        PgConfig::default().with_notifications(false).with_cache_ttl(Duration::from_millis(300));
    let node_c = gate(&store(&url, deaf).await);
    let app = fresh_app();
    a.apps().insert(AppRecord::new(app.clone().into(), secret("old-secret"))).await.unwrap();
    let old = signed(&app, "old-secret", NOW);
    node_c.check(&old, NOW).await.unwrap();

    a.apps().rotate(app.as_str(), secret("new-secret"), NOW, 0).await.unwrap();
    // Within the TTL the deaf node may still accept; after it, never.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(refused(&node_c, &old, NOW).await, Some(Reason::SignatureMismatch));
}

/// Two nodes, an app created on A with a user `u1`.
struct World {
    node_a: Node,
    node_b: Node,
    app: AppId,
    record: Arc<AppRecord>,
    user: Arc<UserRecord>,
}

async fn two_nodes_and_a_user(url: &str) -> World {
    let (a, b) = (store(url, PgConfig::default()).await, store(url, PgConfig::default()).await);
    let app = fresh_app();
    let record = a.apps().insert(AppRecord::new(app.clone().into(), secret("app-secret"))).await;
    let user = a.users().put(UserRecord::new(app.clone(), "u1").unwrap()).await.unwrap();
    World { node_a: gate(&a), node_b: gate(&b), app, record: record.unwrap(), user }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_all_on_a_kills_the_token_on_b() {
    let Some(url) = database_url() else { return };
    let World { node_a, node_b, app, record, user } = two_nodes_and_a_user(&url).await;

    let (token, _) = node_a.tokens().issue_for(&record, user, None, NOW).await.unwrap();
    let request = bearer(&token.access_token);
    let allowed = node_b.check(&request, NOW).await.unwrap();
    assert!(matches!(allowed.caller(), Caller::User { user, .. } if user.id == "u1"));

    node_a.tokens().revoke_all(&app, "u1").await.unwrap();
    within(SOON, "revoked token refused on B", || async {
        refused(&node_b, &request, NOW).await == Some(Reason::BadSignature)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_one_session_sign_ins_leave_one_session() {
    let Some(url) = database_url() else { return };
    let World { node_a, node_b, record, user, .. } = two_nodes_and_a_user(&url).await;

    let (on_a, on_b) = tokio::join!(
        node_a.tokens().issue_for(&record, user.clone(), None, NOW),
        node_b.tokens().issue_for(&record, user, None, NOW),
    );
    let tokens = [on_a.unwrap().0.access_token, on_b.unwrap().0.access_token];
    tokio::time::sleep(SOON).await;
    for node in [&node_a, &node_b] {
        let mut alive = 0;
        for token in &tokens {
            alive += usize::from(node.check(&bearer(token), NOW).await.is_ok());
        }
        assert_eq!(alive, 1, "exactly one session lives");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_changed_on_a_apply_on_b() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let node_b = gate(&b);
    let app = fresh_app();
    a.apps().insert(AppRecord::new(app.clone().into(), secret("app-secret"))).await.unwrap();
    let guest = OwnedRequest::new("GET", "/v1/public/1")
        .header("Host", "localhost:8080")
        .header("Authorization", format!("Anonymous {app}"));
    assert_eq!(refused(&node_b, &guest, NOW).await, Some(Reason::Forbidden));

    let open = ResourcePermissions::from_json(r#"{"*": {"public": ["GET", "?"]}}"#).unwrap();
    let changed = a.apps().update(app.as_str(), |r| r.clone().with_permissions(open)).await;
    assert!(changed.unwrap().is_some());
    within(SOON, "guest read allowed on B", || async { node_b.check(&guest, NOW).await.is_ok() })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_b_found_absent_appears_on_b_once_a_creates_it() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let node_b = gate(&b);
    let app = fresh_app();

    // B asks for an app nobody created: refused, and the absence is remembered.
    let request = signed(&app, "app-secret", NOW);
    assert_eq!(refused(&node_b, &request, NOW).await, Some(Reason::UnknownKey));
    assert!(b.apps().app(app.as_str()).await.unwrap().is_none());

    // A creates it, and a user: B sees both within a second.
    a.apps().insert(AppRecord::new(app.clone().into(), secret("app-secret"))).await.unwrap();
    within(SOON, "new app on B", || async { node_b.check(&request, NOW).await.is_ok() }).await;

    let users_b = b.users();
    assert!(users_b.user(&app, "late").await.unwrap().is_none());
    let user = UserRecord::new(app.clone(), "late").unwrap();
    a.users().put(user).await.unwrap();
    within(SOON, "new user on B", || async {
        users_b.user(&app, "late").await.is_ok_and(|u| u.is_some())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rotations_from_both_nodes_leave_exactly_one_secret() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let app = fresh_app();
    a.apps().insert(AppRecord::new(app.clone().into(), secret("first"))).await.unwrap();

    let candidates: Vec<String> = (0..16).map(|i| format!("candidate-{i}")).collect();
    let mut tasks = Vec::new();
    for (i, candidate) in candidates.iter().enumerate() {
        let apps = if i % 2 == 0 { a.apps() } else { b.apps() };
        let (key, new) = (app.as_str().to_owned(), secret(candidate));
        tasks.push(tokio::spawn(async move { apps.rotate(&key, new, NOW, 0).await }));
    }
    for task in tasks {
        assert!(task.await.unwrap().unwrap().is_some());
    }

    // A node that never cached anything reads the truth.
    let c = gate(&store(&url, PgConfig::default()).await);
    let winners: Vec<&String> = {
        let mut winners = Vec::new();
        for candidate in &candidates {
            if c.check(&signed(&app, candidate, NOW), NOW).await.is_ok() {
                winners.push(candidate);
            }
        }
        winners
    };
    assert_eq!(winners.len(), 1, "exactly one secret: {winners:?}");
    let winner = signed(&app, winners[0], NOW);
    for node in [gate(&a), gate(&b)] {
        within(SOON, "the nodes agree", || async { node.check(&winner, NOW).await.is_ok() }).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_from_both_nodes_lose_none() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let app = fresh_app();
    a.apps().insert(AppRecord::new(app.clone().into(), secret("s"))).await.unwrap();

    let mut tasks = Vec::new();
    for i in 0..20 {
        let apps = if i % 2 == 0 { a.apps() } else { b.apps() };
        let key = app.as_str().to_owned();
        tasks.push(tokio::spawn(async move {
            apps.update(&key, |r| {
                let mut permissions = (*r.permissions).clone();
                permissions.grant(&format!("user{i}"), "posts", ["GET"]).unwrap();
                r.clone().with_permissions(permissions)
            })
            .await
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().unwrap().is_some());
    }
    let fresh = store(&url, PgConfig::default()).await;
    let record = fresh.apps().app(app.as_str()).await.unwrap().unwrap();
    let json: serde_json::Value = serde_json::from_str(&record.permissions.to_json()).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 20, "every grant survived: {json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_loses_nothing() {
    let Some(url) = database_url() else { return };
    let app = fresh_app();
    let permissions =
        ResourcePermissions::from_json(r#"{"*": {"notes": ["GET", "POST", "OWN"]}}"#).unwrap();
    let mut record = AppRecord::new(app.clone().into(), secret("current"))
        .with_permissions(permissions)
        .with_token_lifetimes(86_400, 600)
        .with_one_session_per_user(false)
        .with_passwordless_key(secret("passwordless"))
        .with_link_by_email(true)
        .with_unverified_emails(true)
        .with_read_only(true);
    record.previous = Some(PreviousSecret {
        secret: VersionedSecret::new(secret("previous")),
        valid_until: NOW.add_secs(60),
    });
    let mut user = UserRecord::new(app.clone(), "u1").unwrap().with_identifier("gh:42");
    user = user.with_email("Someone@Example.com").with_active(false);
    user.name = Some("Someone".to_owned());
    user.picture = Some("https://example.com/p.png".to_owned());
    user.groups = vec!["users".to_owned(), "admins".to_owned()];
    user.password_hash = Some(secret("$2b$04$not-a-real-hash"));

    let a = store(&url, PgConfig::default()).await;
    a.apps().insert(record.clone()).await.unwrap();
    a.users().put(user.clone()).await.unwrap();
    drop(a);

    let again = store(&url, PgConfig::default()).await;
    let read = again.apps().app(app.as_str()).await.unwrap().unwrap();
    assert_eq!(*read, record);
    let users = again.users();
    for found in [
        users.user(&app, "u1").await.unwrap(),
        users.user_by_identifier(&app, "gh:42").await.unwrap(),
        users.user_by_email(&app, "SOMEONE@example.com").await.unwrap(),
    ] {
        let found = found.unwrap();
        assert_eq!(found.token_secret, user.token_secret);
        assert_eq!(found.password_hash, user.password_hash);
        assert_eq!(found.identifiers, user.identifiers);
        assert_eq!(found.email.as_deref(), Some("someone@example.com"));
        assert_eq!((&found.name, &found.picture), (&user.name, &user.picture));
        assert_eq!(found.groups, user.groups);
        assert!(!found.active);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_record_keeps_its_identity_and_a_token_keeps_verifying() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let app = fresh_app();
    let record = a.apps().insert(AppRecord::new(app.clone().into(), secret("s"))).await.unwrap();
    let user = a.users().put(UserRecord::new(app.clone(), "u1").unwrap()).await.unwrap();

    let first = b.users().user(&app, "u1").await.unwrap().unwrap();
    b.refresh_all();
    let again = b.users().user(&app, "u1").await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&first, &again), "a re-read of an unchanged row is the same Arc");
    let first_app = b.apps().app(app.as_str()).await.unwrap().unwrap();
    b.refresh_all();
    let again_app = b.apps().app(app.as_str()).await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&first_app, &again_app));

    let token = issue_user_token(&record, &user, None, NOW).unwrap();
    gate(&b).check(&bearer(&token.access_token), NOW).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_apps_and_unknown_users_are_absent_and_bad_urls_are_typed() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let app = fresh_app();
    a.apps().insert(AppRecord::new(app.clone().into(), secret("s"))).await.unwrap();
    assert!(b.apps().app(app.as_str()).await.unwrap().is_some());
    assert!(a.apps().remove(app.as_str()).await.unwrap());
    within(SOON, "removal seen on B", || async {
        b.apps().app(app.as_str()).await.unwrap().is_none()
    })
    .await;
    assert!(b.users().user(&app, "nobody").await.unwrap().is_none());
    let rotated = b.apps().rotate(app.as_str(), secret("x"), NOW, 0).await.unwrap();
    assert!(rotated.is_none());

    let err = PgStore::connect("postgres://[::1", PgConfig::default()).await.unwrap_err();
    assert!(matches!(err, para_auth::postgres::PgError::Url(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_record_written_back_does_not_undo_a_revocation() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let app = fresh_app();
    let record = a.apps().insert(AppRecord::new(app.clone().into(), secret("app-secret"))).await;
    let record = record.unwrap();
    a.users().put(UserRecord::new(app.clone(), "u1").unwrap()).await.unwrap();

    // B reads the user; its token is issued; A revokes every token of it.
    let stale = b.users().user(&app, "u1").await.unwrap().unwrap();
    let token = issue_user_token(&record, &stale, None, NOW).unwrap().access_token;
    a.users().replace_token_secret(&app, "u1", SecretKey::generate().unwrap()).await.unwrap();
    // B writes back what it read, with a new identifier.
    let written = b.users().put((*stale).clone().with_identifier("gh:9")).await.unwrap();
    assert_ne!(written.token_secret, stale.token_secret, "the store kept the new secret");

    let c = store(&url, PgConfig::default()).await;
    assert_eq!(refused(&gate(&c), &bearer(&token), NOW).await, Some(Reason::BadSignature));
    let seen = c.users().user(&app, "u1").await.unwrap().unwrap();
    assert_eq!(seen.identifiers, ["gh:9"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_sign_ups_for_one_identity_make_one_user() {
    use para_auth::identity::Auth;
    use para_auth::jwt::Tokens;
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let app = fresh_app();
    let record = AppRecord::new(app.clone().into(), secret("app-secret-of-thirty-two-bytes!!"));
    a.apps().insert(record.with_unverified_emails(true)).await.unwrap();
    let auth =
        |s: &PgStore| Auth::new(Tokens::new(Arc::new(s.apps()), s.users())).with_password_cost(4);
    let (auth_a, auth_b) = (auth(&a), auth(&b));
    for round in 0..5 {
        let token = format!("x{round}@example.com::password-one");
        let (on_a, on_b) = tokio::join!(
            auth_a.sign_in(app.as_str(), "password", &token, NOW),
            auth_b.sign_in(app.as_str(), "password", &token, NOW),
        );
        let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
        assert_eq!(on_a.user.id, on_b.user.id, "round {round}: one user");
        assert!(on_a.created != on_b.created, "round {round}: one sign-up, one sign-in");
    }
}

/// Bytes from `from` to `to`, held back while `frozen` is set.
async fn pass(
    frozen: Arc<std::sync::atomic::AtomicBool>,
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = [0u8; 8192];
    while let Ok(n @ 1..) = from.read(&mut buffer).await {
        while frozen.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
}

/// A proxy to the database at `url` that, once its flag is set, passes
/// nothing on and closes nothing, as a network that stalls: its URL, and
/// the flag.
async fn stalling_proxy(url: &str) -> (String, Arc<std::sync::atomic::AtomicBool>) {
    let (head, rest) = url.split_once('@').unwrap();
    let (server, tail) = rest.split_once('/').unwrap();
    let server = server.to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxied = format!("{head}@{}/{tail}", listener.local_addr().unwrap());
    let frozen = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = frozen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = tokio::net::TcpStream::connect(&server).await.unwrap();
            let (client_read, client_write) = client.into_split();
            let (upstream_read, upstream_write) = upstream.into_split();
            tokio::spawn(pass(flag.clone(), client_read, upstream_write));
            tokio::spawn(pass(flag.clone(), upstream_read, client_write));
        }
    });
    (proxied, frozen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::disallowed_methods, reason = "the test measures how soon a refusal comes")]
async fn a_stalled_database_is_refused_in_time() {
    let Some(url) = database_url() else { return };
    let (proxied, frozen) = stalling_proxy(&url).await;
    let config = PgConfig::default().with_notifications(false).with_timeout(SOON / 2);
    let node = store(&proxied, config).await;
    let app = fresh_app();
    node.apps().insert(AppRecord::new(app.clone().into(), secret("app-secret"))).await.unwrap();
    frozen.store(true, std::sync::atomic::Ordering::SeqCst);

    let started = Instant::now();
    let other = fresh_app();
    let err = node.apps().app(other.as_str()).await.unwrap_err();
    let took = started.elapsed();
    assert!(took < 4 * SOON, "refused after {took:?}: {err}");
    // The app store's own operations too.
    let started = Instant::now();
    assert!(node.apps().rotate(app.as_str(), secret("new"), NOW, 0).await.is_err());
    assert!(node.apps().insert(AppRecord::new(other.clone().into(), secret("s"))).await.is_err());
    assert!(node.apps().remove(app.as_str()).await.is_err());
    assert!(started.elapsed() < 6 * SOON, "refused after {:?}", started.elapsed());
    let refusal = gate(&node).check(&signed(&other, "s", NOW), NOW).await.unwrap_err();
    assert_eq!((refusal.reason(), refusal.status().as_u16()), (Reason::Store, 500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_cannot_create_tables_can_use_a_migrated_database() {
    let Some(url) = database_url() else { return };
    store(&url, PgConfig::default()).await; // migrated
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(
            "DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'para_dml') THEN
                    CREATE ROLE para_dml LOGIN;
                END IF;
            END $$;
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            REVOKE CREATE ON SCHEMA public FROM para_dml;
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO para_dml;
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO para_dml;",
        )
        .await
        .unwrap();
    let (head, rest) = url.split_once("://").unwrap();
    let after_user = rest.split_once('@').map_or(rest, |(_, after)| after);
    let limited = format!("{head}://para_dml@{after_user}");
    let node = PgStore::connect(&limited, PgConfig::default()).await.unwrap();
    let app = fresh_app();
    node.apps().insert(AppRecord::new(app.clone().into(), secret("s"))).await.unwrap();
    assert!(node.apps().app(app.as_str()).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_an_identity_changes_nothing_else_of_the_user() {
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let app = fresh_app();
    let user = a.users().put(UserRecord::new(app.clone(), "u1").unwrap()).await.unwrap();
    b.users().user(&app, "u1").await.unwrap().unwrap(); // B's cache is warm
    a.users().put((*user).clone().with_active(false)).await.unwrap();
    let linked = b.users().add_identifier(&app, "u1", "gh:9").await.unwrap().unwrap();
    assert!(!linked.active, "the deactivation stands");
    assert_eq!(linked.identifiers, ["gh:9"]);
    let again = b.users().add_identifier(&app, "u1", "gh:9").await.unwrap().unwrap();
    assert_eq!(again.identifiers, ["gh:9"], "an identifier is added once");
    assert!(b.users().add_identifier(&app, "nobody", "gh:1").await.unwrap().is_none());
}

/// A provider that takes `good:<id>:<email>` as GitHub would vouch for it.
struct Vouching;

impl para_auth::identity::IdentityProvider for Vouching {
    fn provider(&self) -> para_auth::identity::Provider {
        para_auth::identity::Provider::GitHub
    }

    fn authenticate<'a>(
        &'a self,
        _app: &'a AppRecord,
        token: &'a str,
        _now: Timestamp,
    ) -> para_auth::identity::BoxFuture<'a, Result<para_auth::identity::Identity, para_auth::Error>>
    {
        use para_auth::identity::{Identity, Provider};
        let (id, email) = token.split_once(':').unwrap();
        Box::pin(std::future::ready(Ok(Identity::new(Provider::GitHub, id).with_email(email))))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_sign_ups_with_one_email_make_one_user_where_the_app_links_by_email() {
    use para_auth::identity::{Auth, Registry};
    use para_auth::jwt::Tokens;
    let Some(url) = database_url() else { return };
    let (a, b) = (store(&url, PgConfig::default()).await, store(&url, PgConfig::default()).await);
    let app = fresh_app();
    let record = AppRecord::new(app.clone().into(), secret("app-secret-of-thirty-two-bytes!!"));
    a.apps().insert(record.with_link_by_email(true)).await.unwrap();
    let auth = |s: &PgStore| {
        let registry = Registry::with_builtins().with(Vouching);
        Auth::with_registry(Tokens::new(Arc::new(s.apps()), s.users()), registry)
    };
    let (auth_a, auth_b) = (auth(&a), auth(&b));
    for round in 0..5 {
        let (one, two) =
            (format!("1{round}:r{round}@example.com"), format!("2{round}:r{round}@example.com"));
        let (on_a, on_b) = tokio::join!(
            auth_a.sign_in(app.as_str(), "github", &one, NOW),
            auth_b.sign_in(app.as_str(), "github", &two, NOW),
        );
        let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
        assert_eq!(on_a.user.id, on_b.user.id, "round {round}: one user for the email");
        let user = a.users().user(&app, &on_a.user.id).await.unwrap().unwrap();
        assert_eq!(user.identifiers.len(), 2, "round {round}: both identities linked");
    }
}

/// Another session, holding (in an open transaction) the lock that a
/// sign-up of `identifier` to `app` needs: `COMMIT` on it lets go.
async fn hold_sign_up_lock(url: &str, app: &AppId, identifier: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute("BEGIN").await.unwrap();
    let lock = format!("para_users\n{}\nid\n{identifier}", app.as_str());
    let sql = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
    client.execute(sql, &[&lock]).await.unwrap();
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_past_its_time_limit_leaves_the_pool_usable() {
    let Some(url) = database_url() else { return };
    let config = PgConfig::default().with_timeout(SOON / 2).with_pool_size(1);
    let node = store(&url, config).await;
    let app = fresh_app();
    let client = hold_sign_up_lock(&url, &app, "gh:1").await;

    let user = UserRecord::new(app.clone(), "u1").unwrap().with_identifier("gh:1");
    assert!(node.users().add(user, false).await.is_err(), "the sign-up waits past its limit");
    // The one pooled connection serves what comes next.
    tokio::time::sleep(SOON / 2).await;
    assert!(node.apps().app(fresh_app().as_str()).await.unwrap().is_none());
    assert!(node.users().user(&app, "nobody").await.unwrap().is_none());
    client.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::disallowed_methods, reason = "the test measures which limit applies")]
async fn the_urls_own_limits_win_and_any_time_limit_connects() {
    let Some(url) = database_url() else { return };
    // A limit too long for PostgreSQL's settings still connects.
    let forever = store(&url, PgConfig::default().with_timeout(Duration::MAX)).await;
    assert!(forever.apps().app(fresh_app().as_str()).await.unwrap().is_none());

    let app = fresh_app();
    let client = hold_sign_up_lock(&url, &app, "gh:1").await;

    let separator = if url.contains('?') { '&' } else { '?' };
    let short = format!("{url}{separator}options=-c%20lock_timeout%3D100");
    let node = store(&short, PgConfig::default().with_timeout(3 * SOON)).await;
    let started = Instant::now();
    let user = UserRecord::new(app.clone(), "u1").unwrap().with_identifier("gh:1");
    assert!(node.users().add(user, false).await.is_err());
    assert!(started.elapsed() < 2 * SOON, "the URL's 100 ms, not 3 s: {:?}", started.elapsed());
    client.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_is_one_email_in_any_case() {
    let Some(url) = database_url() else { return };
    let node = store(&url, PgConfig::default()).await;
    let app = fresh_app();
    let mut first = UserRecord::new(app.clone(), "u1").unwrap();
    first.email = Some("Alice@Example.com".to_owned());
    let added = node.users().add(first, true).await.unwrap().unwrap();
    assert_eq!(added.email.as_deref(), Some("alice@example.com"));
    let mut second = UserRecord::new(app.clone(), "u2").unwrap();
    second.email = Some("alice@example.COM".to_owned());
    assert!(node.users().add(second, true).await.unwrap().is_none());
    let found = node.users().user_by_email(&app, "ALICE@example.com").await.unwrap();
    assert_eq!(found.map(|u| u.id.clone()).as_deref(), Some("u1"));
}

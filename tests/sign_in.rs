//! Sign-in and sign-up, issuing, refreshing and revoking, with the in-memory stores.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use para_auth::identity::{Auth, BoxFuture, Identity, IdentityProvider, Provider, Registry};
use para_auth::jwt::{Tokens, issue_super_token};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::users::{MemoryUserStore, UserStore};
use para_auth::{
    AccessKey, AppId, Error, Reason, SecretKey, SignInFailure, Timestamp, block_on_ready,
};

const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);
const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";

type Stores = (Arc<MemoryAppStore>, Arc<MemoryUserStore>);

fn app_id() -> AppId {
    AppId::new("myapp").unwrap()
}

fn setup(
    configure: impl FnOnce(AppRecord) -> AppRecord,
) -> (Auth<Arc<MemoryAppStore>, Arc<MemoryUserStore>>, Stores) {
    let apps = Arc::new(MemoryAppStore::new());
    let record = AppRecord::new(AccessKey::from(app_id()), SecretKey::new(SECRET).unwrap());
    apps.insert(configure(record));
    let users = Arc::new(MemoryUserStore::new());
    let registry = Registry::with_builtins().with(FakeGitHub);
    let auth = Auth::with_registry(Tokens::new(apps.clone(), users.clone()), registry)
        .with_password_cost(4);
    (auth, (apps, users))
}

fn failure(result: Result<impl std::fmt::Debug, Error>) -> SignInFailure {
    match result {
        Err(Error::SignIn(f)) => f,
        other => panic!("expected a sign-in failure, got {other:?}"),
    }
}

#[test]
fn password_sign_up_then_sign_in() {
    let (auth, _) = setup(|a| a.with_unverified_emails(true));
    let first = block_on_ready(auth.sign_in(
        "app:myapp",
        "password",
        "Ann@Example.com:Ann:correct horse",
        NOW,
    ))
    .unwrap();
    assert!(first.created);
    assert_eq!(first.user.identifiers, ["ann@example.com"]);
    assert_eq!(first.user.email.as_deref(), Some("ann@example.com"));
    assert_eq!(first.user.name.as_deref(), Some("Ann"));
    let hash = first.user.password_hash.as_ref().unwrap().expose_secret().to_owned();
    assert!(hash.starts_with("$2b$04$"), "{hash}");

    let again =
        block_on_ready(auth.sign_in("myapp", "PASSWORD", "ann@example.com::correct horse", NOW))
            .unwrap();
    assert!(!again.created);
    assert_eq!(again.user.id, first.user.id);

    let verified =
        block_on_ready(auth.tokens().verify(&again.jwt.access_token, Some(&app_id()), NOW))
            .unwrap();
    assert_eq!(verified.user().unwrap().id, first.user.id);
    assert_eq!(verified.claims().idp.as_deref(), Some("password"));
}

#[test]
fn issued_tokens_carry_paras_claims_and_lifetimes() {
    let (auth, _) = setup(|a| a.with_unverified_emails(true));
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    let jwt = &signed.jwt;
    assert_eq!(jwt.expires, (NOW.unix() + 604_800) * 1000);
    assert_eq!(jwt.refresh, (NOW.unix() + 3600) * 1000);

    let mut parts = jwt.access_token.split('.');
    let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    assert_eq!(header, br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    assert_eq!(claims["sub"], signed.user.id.as_str());
    assert_eq!(claims["appid"], "app:myapp");
    assert_eq!(claims["idp"], "password");
    assert_eq!(claims["iat"], NOW.unix());
    assert_eq!(claims["nbf"], NOW.unix());
    assert_eq!(claims["exp"], NOW.unix() + 604_800);
    assert_eq!(claims["refresh"], (NOW.unix() + 3600) * 1000);

    // Under two refresh intervals of validity, the hint is half the validity.
    let (auth, _) = setup(|a| a.with_unverified_emails(true).with_token_lifetimes(5400, 3600));
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    assert_eq!(signed.jwt.refresh, (NOW.unix() + 2700) * 1000);
    assert_eq!(signed.jwt.expires, (NOW.unix() + 5400) * 1000);
}

#[test]
fn wrong_short_and_unverified_passwords() {
    let (auth, (_, users)) = setup(|a| a);
    // Sign-up succeeds in storing the user, but an unverified email cannot sign in yet.
    let unverified =
        block_on_ready(auth.sign_in("app:myapp", "password", "bo@example.com::long enough", NOW));
    assert_eq!(failure(unverified), SignInFailure::Unverified);
    let bo = block_on_ready(users.user_by_email(&app_id(), "bo@example.com")).unwrap().unwrap();
    assert!(!bo.active);

    // Once verified (made active), the same password works; a wrong one does not.
    users.insert((*bo).clone().with_active(true));
    block_on_ready(auth.sign_in("app:myapp", "password", "bo@example.com::long enough", NOW))
        .unwrap();
    let wrong =
        block_on_ready(auth.sign_in("app:myapp", "password", "bo@example.com::not the one", NOW));
    assert_eq!(failure(wrong), SignInFailure::WrongPassword);

    let short = block_on_ready(auth.sign_in("app:myapp", "password", "cy@example.com::short", NOW));
    let err = short.unwrap_err();
    assert_eq!(err.reason(), Reason::SignInFailed);
    assert_eq!(err.status(), 400);
    for token in ["no-at-sign::password1", "a@b.c", "a@b.c::", ""] {
        let result = block_on_ready(auth.sign_in("app:myapp", "password", token, NOW));
        assert_eq!(failure(result), SignInFailure::MalformedToken, "{token:?}");
    }
    let unknown = block_on_ready(auth.sign_in("app:myapp", "myspace", "x", NOW));
    assert_eq!(failure(unknown), SignInFailure::UnknownProvider);
    let no_app = block_on_ready(auth.sign_in("app:nope", "password", "a@b.c::password1", NOW));
    assert_eq!(no_app.unwrap_err().reason(), Reason::UnknownKey);
}

#[test]
fn paras_2a_hashes_verify() {
    let (auth, (_, users)) = setup(|a| a);
    let hash = bcrypt::hash_with_result("s3cret-pass", 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoA);
    assert!(hash.starts_with("$2a$04$"));
    let mut user = para_auth::users::UserRecord::new(app_id(), "42")
        .unwrap()
        .with_identifier("dee@example.com");
    user.password_hash = Some(SecretKey::new(hash).unwrap());
    users.insert(user);
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "dee@example.com::s3cret-pass", NOW))
            .unwrap();
    assert_eq!(signed.user.id, "42");
}

#[test]
fn new_hashes_use_cost_12_by_default() {
    let apps = MemoryAppStore::new();
    apps.insert(
        AppRecord::new(AccessKey::from(app_id()), SecretKey::new(SECRET).unwrap())
            .with_unverified_emails(true),
    );
    let auth = Auth::new(Tokens::new(apps, MemoryUserStore::new()));
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "e@f.g::password1", NOW)).unwrap();
    let hash = signed.user.password_hash.as_ref().unwrap().expose_secret().to_owned();
    assert!(hash.starts_with("$2b$12$"), "{hash}");
}

#[test]
fn one_session_per_user_kills_the_earlier_token() {
    let (auth, _) = setup(|a| a.with_unverified_emails(true));
    let sign_in =
        || block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    let first = sign_in();
    let second = sign_in();
    let verify = |token: &str| block_on_ready(auth.tokens().verify(token, None, NOW));
    assert_eq!(verify(&first.jwt.access_token).unwrap_err().reason(), Reason::BadSignature);
    verify(&second.jwt.access_token).unwrap();

    // With several sessions allowed, both stay valid.
    let (auth, _) = setup(|a| a.with_unverified_emails(true).with_one_session_per_user(false));
    let first =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    let second =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    block_on_ready(auth.tokens().verify(&first.jwt.access_token, None, NOW)).unwrap();
    block_on_ready(auth.tokens().verify(&second.jwt.access_token, None, NOW)).unwrap();
}

#[test]
fn refresh_and_revoke_all() {
    let (auth, _) = setup(|a| a.with_unverified_emails(true).with_one_session_per_user(false));
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    let tokens = auth.tokens();
    let verified = block_on_ready(tokens.verify(&signed.jwt.access_token, None, NOW)).unwrap();

    let later = NOW.add_secs(3600);
    let refreshed = block_on_ready(tokens.refresh(&verified, later)).unwrap();
    assert_eq!(refreshed.claims.iat, Some(later.unix()));
    assert_eq!(refreshed.claims.idp.as_deref(), Some("password"));
    block_on_ready(tokens.verify(&refreshed.access_token, None, later)).unwrap();

    block_on_ready(tokens.revoke_all(&app_id(), &signed.user.id)).unwrap();
    for token in [&signed.jwt.access_token, &refreshed.access_token] {
        let err = block_on_ready(tokens.verify(token, None, later)).unwrap_err();
        assert_eq!(err.reason(), Reason::BadSignature);
    }
}

#[test]
fn super_tokens_verify_but_do_not_refresh() {
    let (auth, (apps, _)) = setup(|a| a);
    let app = apps.get("app:myapp").unwrap();
    let issued = issue_super_token(&app, NOW).unwrap();
    let verified =
        block_on_ready(auth.tokens().verify(&issued.access_token, Some(&app_id()), NOW)).unwrap();
    assert!(verified.user().is_none());
    let err = block_on_ready(auth.tokens().refresh(&verified, NOW)).unwrap_err();
    assert_eq!(err.reason(), Reason::Forbidden);
}

#[test]
fn rotation_with_and_without_grace() {
    for grace in [0, 600] {
        let (auth, (apps, _)) = setup(|a| a.with_unverified_emails(true));
        let signed =
            block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
        let superuser = issue_super_token(&apps.get("app:myapp").unwrap(), NOW).unwrap();
        apps.rotate("app:myapp", SecretKey::generate().unwrap(), NOW, grace).unwrap();

        for token in [&signed.jwt.access_token, &superuser.access_token] {
            let inside = block_on_ready(auth.tokens().verify(token, None, NOW.add_secs(599)));
            let after = block_on_ready(auth.tokens().verify(token, None, NOW.add_secs(600)));
            if grace == 0 {
                assert_eq!(inside.unwrap_err().reason(), Reason::BadSignature);
            } else {
                assert!(inside.unwrap().used_previous_secret());
            }
            assert_eq!(after.unwrap_err().reason(), Reason::BadSignature);
        }
    }
}

fn passwordless_token(key: &str, claims: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims);
    let mac =
        para_auth::sigv4::hmac_sha256(key.as_bytes(), format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(mac))
}

#[test]
fn passwordless_sign_in() {
    let key = "passwordless-key-passwordless-key-0123456789";
    let (auth, _) = setup(|a| a.with_passwordless_key(SecretKey::new(key).unwrap()));
    let claims = format!(
        concat!(
            r#"{{"identifier":"pl:ann","email":"Ann@Example.com","name":"Ann","#,
            r#""picture":"p.png","exp":{}}}"#
        ),
        NOW.unix() + 60
    );
    let signed = block_on_ready(auth.sign_in(
        "app:myapp",
        "passwordless",
        &passwordless_token(key, &claims),
        NOW,
    ))
    .unwrap();
    assert_eq!(signed.user.identifiers, ["pl:ann"]);
    assert_eq!(signed.user.email.as_deref(), Some("ann@example.com"));
    assert!(signed.user.active);

    let wrong_key = passwordless_token("another-key-another-key-another-key-0123", &claims);
    assert_eq!(
        failure(block_on_ready(auth.sign_in("app:myapp", "passwordless", &wrong_key, NOW))),
        SignInFailure::Refused
    );
    let late = NOW.add_secs(60);
    let token = passwordless_token(key, &claims);
    assert_eq!(
        failure(block_on_ready(auth.sign_in("app:myapp", "passwordless", &token, late))),
        SignInFailure::Refused
    );
    let no_exp = passwordless_token(key, r#"{"identifier":"pl:ann"}"#);
    assert_eq!(
        failure(block_on_ready(auth.sign_in("app:myapp", "passwordless", &no_exp, NOW))),
        SignInFailure::Refused
    );
}

/// How an adapter adds a social provider: this one trusts tokens `good:<id>:<email>`.
struct FakeGitHub;

impl IdentityProvider for FakeGitHub {
    fn provider(&self) -> Provider {
        Provider::GitHub
    }

    fn authenticate<'a>(
        &'a self,
        _app: &'a AppRecord,
        token: &'a str,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<Identity, Error>> {
        let identity = match token.strip_prefix("good:").and_then(|rest| rest.split_once(':')) {
            Some((id, email)) => Ok(Identity::new(Provider::GitHub, id).with_email(email)),
            None => Err(Error::SignIn(SignInFailure::Refused)),
        };
        Box::pin(std::future::ready(identity))
    }
}

#[test]
fn social_provider_and_linking_by_email_is_opt_in() {
    for link in [false, true] {
        let (auth, _) = setup(|a| a.with_unverified_emails(true).with_link_by_email(link));
        let by_password = block_on_ready(auth.sign_in(
            "app:myapp",
            "password",
            "ann@example.com::password1",
            NOW,
        ))
        .unwrap();
        let by_github =
            block_on_ready(auth.sign_in("app:myapp", "github", "good:42:Ann@example.com", NOW))
                .unwrap();
        assert!(by_github.user.identifiers.contains(&"gh:42".to_owned()));
        assert_eq!(
            by_github.user.id == by_password.user.id,
            link,
            "linked only when the app opts in"
        );
        assert_eq!(by_github.jwt.claims.idp.as_deref(), Some("github"));
        let refused = block_on_ready(auth.sign_in("app:myapp", "github", "bad", NOW));
        assert_eq!(failure(refused), SignInFailure::Refused);
    }
    assert_eq!(Provider::from_name("OAuth2Third").unwrap().prefix(), "oa2third:");
    assert_eq!(Provider::Facebook.identifier("1"), "fb:1");
    assert_eq!(Provider::Ldap.identifier("bob"), "ldap:bob");
}

#[test]
fn inactive_apps_and_users_are_refused() {
    let (auth, (apps, users)) =
        setup(|a| a.with_unverified_emails(true).with_one_session_per_user(false));
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    users.insert((*signed.user).clone().with_active(false));
    let err =
        block_on_ready(auth.tokens().verify(&signed.jwt.access_token, None, NOW)).unwrap_err();
    assert_eq!((err.reason(), err.status().as_u16()), (Reason::Inactive, 403));

    apps.insert((*apps.get("app:myapp").unwrap()).clone().with_active(false));
    let err =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap_err();
    assert_eq!(err.reason(), Reason::Inactive);
}

#[test]
fn a_switched_off_app_has_its_tokens_refused_and_issues_none() {
    let (auth, (apps, _)) =
        setup(|a| a.with_unverified_emails(true).with_one_session_per_user(false));
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    let tokens = auth.tokens();
    let verified = block_on_ready(tokens.verify(&signed.jwt.access_token, None, NOW)).unwrap();
    let app = apps.get("app:myapp").unwrap();
    let super_token = issue_super_token(&app, NOW).unwrap().access_token;

    apps.insert((*app).clone().with_active(false));
    for token in [&signed.jwt.access_token, &super_token] {
        let err = block_on_ready(tokens.verify(token, None, NOW)).unwrap_err();
        assert_eq!((err.reason(), err.status().as_u16()), (Reason::Inactive, 403));
    }
    let off = apps.get("app:myapp").unwrap();
    let err = block_on_ready(tokens.issue_for(&off, signed.user.clone(), None, NOW)).unwrap_err();
    assert_eq!(err.reason(), Reason::Inactive);
    // A token verified while the app was on is not refreshed once it is off.
    let err = block_on_ready(tokens.refresh(&verified, NOW)).unwrap_err();
    assert_eq!(err.reason(), Reason::Inactive);

    // A forged token learns nothing of the app's state.
    let mut forged = super_token.clone();
    forged.pop();
    forged.push(if super_token.ends_with('A') { 'B' } else { 'A' });
    let err = block_on_ready(tokens.verify(&forged, None, NOW)).unwrap_err();
    assert_eq!(err.reason(), Reason::BadSignature);
}

#[test]
fn a_read_only_app_signs_users_in_but_writes_no_user() {
    let (auth, (apps, users)) = setup(|a| a.with_unverified_emails(true).with_link_by_email(true));
    block_on_ready(auth.sign_in("app:myapp", "password", "ann@example.com::password1", NOW))
        .unwrap();
    let app = apps.get("app:myapp").unwrap();
    apps.insert((*app).clone().with_read_only(true));

    let again =
        block_on_ready(auth.sign_in("app:myapp", "password", "ann@example.com::password1", NOW));
    assert!(!again.unwrap().created, "a known user signs in");
    let refused =
        block_on_ready(auth.sign_in("app:myapp", "password", "bob@example.com::password1", NOW));
    assert!(matches!(refused, Err(Error::Forbidden(_))), "no sign-up: {refused:?}");
    let refused =
        block_on_ready(auth.sign_in("app:myapp", "github", "good:42:ann@example.com", NOW));
    assert!(matches!(refused, Err(Error::Forbidden(_))), "no linking: {refused:?}");
    let ann = block_on_ready(users.user_by_email(&app_id(), "ann@example.com")).unwrap().unwrap();
    assert_eq!(ann.identifiers, ["ann@example.com"]);
    assert!(block_on_ready(users.user_by_email(&app_id(), "bob@example.com")).unwrap().is_none());
}

#[test]
fn a_wrong_password_links_nothing() {
    let (auth, (_, users)) = setup(|a| a.with_unverified_emails(true).with_link_by_email(true));
    let github =
        block_on_ready(auth.sign_in("app:myapp", "github", "good:42:vic@example.com", NOW))
            .unwrap();
    // Someone tries a password for the GitHub user's email.
    let refused =
        block_on_ready(auth.sign_in("app:myapp", "password", "vic@example.com::guess1234", NOW));
    assert_eq!(failure(refused), SignInFailure::WrongPassword);
    let vic = block_on_ready(users.user_by_email(&app_id(), "vic@example.com")).unwrap().unwrap();
    assert_eq!(vic.id, github.user.id);
    assert_eq!(vic.identifiers, ["gh:42"], "the password identity was not linked");
    let found = block_on_ready(users.user_by_identifier(&app_id(), "vic@example.com")).unwrap();
    assert!(found.is_none());
}

#[test]
fn with_one_session_per_user_a_refresh_ends_the_token_it_refreshes() {
    let (auth, _) = setup(|a| a.with_unverified_emails(true).with_one_session_per_user(true));
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    let tokens = auth.tokens();
    let verified = block_on_ready(tokens.verify(&signed.jwt.access_token, None, NOW)).unwrap();
    let later = NOW.add_secs(60);
    let refreshed = block_on_ready(tokens.refresh(&verified, later)).unwrap();
    block_on_ready(tokens.verify(&refreshed.access_token, None, later)).unwrap();
    let old = block_on_ready(tokens.verify(&signed.jwt.access_token, None, later)).unwrap_err();
    assert_eq!(old.reason(), Reason::BadSignature);
}

#[test]
fn leeway_stretches_exp_and_nbf_by_as_much_and_no_more() {
    use para_auth::jwt::TokenConfig;
    let (auth, (apps, users)) = setup(|a| a.with_unverified_emails(true));
    let signed =
        block_on_ready(auth.sign_in("app:myapp", "password", "a@b.c::password1", NOW)).unwrap();
    let exp = signed.jwt.claims.exp.unwrap();
    let lenient = Tokens::new(apps, users).with_config(TokenConfig { leeway_secs: 30 });
    let at = |t: i64| {
        block_on_ready(lenient.verify(&signed.jwt.access_token, None, Timestamp::from_unix(t)))
    };
    at(exp + 29).unwrap();
    assert_eq!(at(exp + 30).unwrap_err().reason(), Reason::Expired);
    // `nbf` is the issue time: 30 s early is taken, 31 s is not.
    at(NOW.unix() - 30).unwrap();
    assert_eq!(at(NOW.unix() - 31).unwrap_err().reason(), Reason::NotYetValid);
}

#[test]
fn a_new_app_secret_is_forty_random_bytes_in_standard_base64() {
    use base64::engine::general_purpose::STANDARD;
    let pair = para_auth::keys::generate("My App").unwrap();
    let bytes = STANDARD.decode(pair.secret_key.expose_secret()).unwrap();
    assert_eq!(bytes.len(), 40);
    let other = para_auth::keys::generate("My App").unwrap();
    assert_ne!(pair.secret_key.expose_secret(), other.secret_key.expose_secret());
}

#[test]
fn the_memory_store_keeps_a_revocation_and_adds_an_identity_once() {
    let users = MemoryUserStore::new();
    let user =
        block_on_ready(users.put(para_auth::users::UserRecord::new(app_id(), "u1").unwrap()))
            .unwrap();
    let stale = block_on_ready(users.user(&app_id(), "u1")).unwrap().unwrap();
    block_on_ready(users.replace_token_secret(&app_id(), "u1", SecretKey::generate().unwrap()))
        .unwrap();
    let written = block_on_ready(users.put((*stale).clone().with_identifier("gh:9"))).unwrap();
    assert_ne!(written.token_secret, user.token_secret, "the revocation stands");
    assert_eq!(written.identifiers, ["gh:9"]);

    let twin = para_auth::users::UserRecord::new(app_id(), "u2").unwrap().with_identifier("gh:9");
    assert!(block_on_ready(users.add(twin, false)).unwrap().is_none(), "gh:9 is u1's");
    let other = para_auth::users::UserRecord::new(app_id(), "u3").unwrap().with_identifier("gh:10");
    assert!(block_on_ready(users.add(other, false)).unwrap().is_some());
    let again = para_auth::users::UserRecord::new(app_id(), "u3").unwrap();
    assert!(block_on_ready(users.add(again, false)).unwrap().is_none(), "u3 exists");
}

#[test]
fn the_memory_store_takes_an_email_in_any_case_as_one() {
    let users = MemoryUserStore::new();
    let mut first = para_auth::users::UserRecord::new(app_id(), "u1").unwrap();
    first.email = Some("Alice@Example.com".to_owned());
    assert!(block_on_ready(users.add(first, true)).unwrap().is_some());
    let mut second = para_auth::users::UserRecord::new(app_id(), "u2").unwrap();
    second.email = Some("alice@example.COM".to_owned());
    assert!(block_on_ready(users.add(second, true)).unwrap().is_none());
    let found = block_on_ready(users.user_by_email(&app_id(), "ALICE@example.com")).unwrap();
    assert_eq!(found.map(|u| u.id.clone()).as_deref(), Some("u1"));
}

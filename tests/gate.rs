//! The gate: each caller kind, each refusal, app flags, rotation.

use std::future::Future;
use std::sync::Arc;

use para_auth::gate::{AppProof, Caller, Gate, Grounds};
use para_auth::jwt::{issue_super_token, issue_user_token};
use para_auth::permissions::{Kind, ResourcePermissions};
use para_auth::sigv4::{PayloadCheck, SignOptions, Signer};
use para_auth::store::{AppRecord, AppStore, MemoryAppStore, StoreError};
use para_auth::users::{MemoryUserStore, UserRecord};
use para_auth::{
    AccessKey, AppId, Error, Malformed, OwnedRequest, Reason, SecretKey, Timestamp, block_on_ready,
};
use sha2::Digest;

const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);
const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const PERMISSIONS: &str = r#"{
    "*": {"posts": ["GET", "?"], "tags": ["GET"]},
    "u1": {"posts": ["GET", "POST"], "_newkeys": ["*"], "drafts/*": ["*"]}
}"#;

struct World {
    gate: Gate<MemoryAppStore, Arc<MemoryUserStore>>,
    apps: Arc<MemoryAppStore>,
    users: Arc<MemoryUserStore>,
}

fn world(configure: impl FnOnce(AppRecord) -> AppRecord) -> World {
    let app_id = AppId::new("myapp").unwrap();
    let apps = Arc::new(MemoryAppStore::new());
    let record = AppRecord::new(AccessKey::from(app_id.clone()), SecretKey::new(SECRET).unwrap())
        .with_permissions(ResourcePermissions::from_json(PERMISSIONS).unwrap());
    apps.insert(configure(record));
    let users = Arc::new(MemoryUserStore::new());
    users.insert(UserRecord::new(app_id.clone(), "u1").unwrap());
    let mut admin = UserRecord::new(app_id, "boss").unwrap();
    admin.groups.push("admins".to_owned());
    users.insert(admin);
    World { gate: Gate::new(apps.clone(), users.clone()), apps, users }
}

impl World {
    fn app(&self) -> Arc<AppRecord> {
        self.apps.get("app:myapp").unwrap()
    }

    fn user_token(&self, id: &str) -> String {
        let user = self.users.get(&AppId::new("myapp").unwrap(), id).unwrap();
        issue_user_token(&self.app(), &user, Some("password"), NOW).unwrap().access_token
    }

    fn check(&self, request: &OwnedRequest) -> Result<para_auth::gate::Allowed, Error> {
        block_on_ready(self.gate.check(request, NOW))
    }
}

fn signed(method: &str, target: &str, secret: &str) -> OwnedRequest {
    let request = OwnedRequest::new(method, target).header("Host", "localhost:8080");
    let signer = Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(secret).unwrap());
    let mut out = request.clone();
    for (n, v) in signer.sign(&request, NOW).unwrap().headers() {
        out = out.header(n, v);
    }
    out
}

fn signed_with(signer: &Signer, request: OwnedRequest) -> OwnedRequest {
    let signature = signer.sign(&request, NOW).unwrap();
    signature.headers().fold(request, |request, (name, value)| request.header(name, value))
}

fn bearer(method: &str, target: &str, token: &str) -> OwnedRequest {
    OwnedRequest::new(method, target).header("Authorization", format!("Bearer {token}"))
}

fn reason(result: Result<para_auth::gate::Allowed, Error>) -> (Reason, u16) {
    let err = result.expect_err("refused");
    (err.reason(), err.status().as_u16())
}

#[test]
fn signed_apps_may_do_anything() {
    let w = world(|a| a);
    let allowed = w.check(&signed("POST", "/v1/_newkeys", SECRET)).unwrap();
    assert!(matches!(allowed.caller(), Caller::App { proof: AppProof::Signature, .. }));
    assert_eq!(allowed.grounds(), &Grounds::App);
    assert_eq!(allowed.resource(), "_newkeys");

    let signer = Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(SECRET).unwrap());
    let request = OwnedRequest::new("GET", "/v1/posts/1").header("Host", "localhost:8080");
    let url = signer.presign(&request, NOW, 60).unwrap();
    let presigned = OwnedRequest::new("GET", &*url.target).header("Host", "localhost:8080");
    assert!(matches!(w.check(&presigned).unwrap().caller(), Caller::App { .. }));
    // The signature parameter with an escaped letter is still the signature.
    let escaped = url.target.replace("X-Amz-Signature=", "X-Amz-%53ignature=");
    let escaped = OwnedRequest::new("GET", escaped).header("Host", "localhost:8080");
    assert!(matches!(w.check(&escaped).unwrap().caller(), Caller::App { .. }));
    // Another algorithm is malformed (400), as for every request that cannot be read.
    let mut sha1 = signed("GET", "/v1/posts", SECRET);
    for (name, value) in &mut sha1.headers {
        if name.eq_ignore_ascii_case("authorization") {
            *value = String::from_utf8_lossy(value).replace("SHA256", "SHA1").into_bytes();
        }
    }
    assert_eq!(reason(w.check(&sha1)), (Reason::Malformed, 400));

    assert_eq!(
        reason(w.check(&signed("GET", "/v1/posts", "wrong secret"))),
        (Reason::SignatureMismatch, 401)
    );
}

#[test]
fn super_tokens_are_the_app() {
    let w = world(|a| a);
    let token = issue_super_token(&w.app(), NOW).unwrap().access_token;
    let allowed = w.check(&bearer("DELETE", "/v1/anything/9", &token)).unwrap();
    assert!(matches!(allowed.caller(), Caller::App { proof: AppProof::SuperToken, .. }));
}

#[test]
fn users_get_what_the_permissions_say() {
    let w = world(|a| a);
    let token = w.user_token("u1");
    let allowed = w.check(&bearer("POST", "/v1/posts", &token)).unwrap();
    let Caller::User { user, .. } = allowed.caller() else { panic!("a user") };
    assert_eq!(user.id, "u1");
    assert!(matches!(allowed.grounds(), Grounds::Permission { kind: Kind::Exact, .. }));

    assert!(w.check(&bearer("PUT", "/v1/drafts/7", &token)).is_ok());
    let me = w.check(&bearer("GET", "/v1/_me", &token)).unwrap();
    assert_eq!(me.grounds(), &Grounds::Own, "any user may read itself");
    assert_eq!(
        w.check(&bearer("GET", "/v1/_permissions/u1", &token)).unwrap().grounds(),
        &Grounds::Own
    );
    assert_eq!(
        reason(w.check(&bearer("GET", "/v1/_permissions/u2", &token))),
        (Reason::Forbidden, 403)
    );
    let guest_me = OwnedRequest::new("GET", "/v1/_me?accessKey=app:myapp");
    assert_eq!(reason(w.check(&guest_me)), (Reason::Forbidden, 403));
    assert!(w.check(&bearer("GET", "/v1/users/u1", &token)).is_ok(), "one's own path");
    assert_eq!(reason(w.check(&bearer("DELETE", "/v1/posts", &token))), (Reason::Forbidden, 403));
    assert_eq!(reason(w.check(&bearer("GET", "/v1/secrets", &token))), (Reason::Forbidden, 403));
}

#[test]
fn app_only_operations_are_refused_to_users_whatever_the_permissions() {
    let w = world(|a| a);
    let token = w.user_token("u1");
    assert_eq!(reason(w.check(&bearer("POST", "/v1/_newkeys", &token))), (Reason::Forbidden, 403));
    let admin = w.user_token("boss");
    assert_eq!(reason(w.check(&bearer("POST", "/v1/_newkeys", &admin))), (Reason::Forbidden, 403));
    let allowed = w.check(&bearer("DELETE", "/v1/posts/1", &admin)).unwrap();
    assert_eq!(allowed.grounds(), &Grounds::Admin);
}

#[test]
fn guests_by_header_or_query() {
    let w = world(|a| a);
    let by_header =
        OwnedRequest::new("GET", "/v1/posts").header("Authorization", "Anonymous app:myapp");
    assert!(matches!(w.check(&by_header).unwrap().caller(), Caller::Guest { .. }));
    let by_query = OwnedRequest::new("GET", "/v1/posts?accessKey=app%3Amyapp");
    assert!(matches!(w.check(&by_query).unwrap().caller(), Caller::Guest { .. }));
    // Any spelling of the app id names the app, as a token's `appid` does.
    for key in ["myapp", "app:MyApp", "MYAPP"] {
        let by_query = OwnedRequest::new("GET", format!("/v1/posts?accessKey={key}"));
        assert!(matches!(w.check(&by_query).unwrap().caller(), Caller::Guest { .. }), "{key}");
        let by_header = OwnedRequest::new("GET", "/v1/posts")
            .header("Authorization", format!("Anonymous {key}"));
        assert!(matches!(w.check(&by_header).unwrap().caller(), Caller::Guest { .. }), "{key}");
    }

    // `tags` lacks the public mark; POST lacks a grant; another app is unknown.
    assert_eq!(
        reason(w.check(&OwnedRequest::new("GET", "/v1/tags?accessKey=app:myapp"))),
        (Reason::Forbidden, 403)
    );
    assert_eq!(
        reason(w.check(&OwnedRequest::new("POST", "/v1/posts?accessKey=app:myapp"))),
        (Reason::Forbidden, 403)
    );
    assert_eq!(
        reason(w.check(&OwnedRequest::new("GET", "/v1/posts?accessKey=app:nope"))),
        (Reason::UnknownKey, 401)
    );
}

#[test]
fn unusable_credentials() {
    let w = world(|a| a);
    let cases = [
        (OwnedRequest::new("GET", "/v1/posts"), (Reason::NoCredentials, 401)),
        (
            OwnedRequest::new("GET", "/v1/posts").header("Authorization", "Basic dTpw"),
            (Reason::Malformed, 400),
        ),
        (
            OwnedRequest::new("GET", "/v1/posts").header("Authorization", "Bearer"),
            (Reason::Malformed, 400),
        ),
        (
            OwnedRequest::new("GET", "/v1/posts").header("Authorization", "Bearer abc"),
            (Reason::Malformed, 400),
        ),
        (OwnedRequest::new("GET", "/v1/posts?accessKey=%zz"), (Reason::Malformed, 400)),
        (
            OwnedRequest::new("GET", "/v1/posts")
                .header("Authorization", "Anonymous app:myapp")
                .header("Authorization", "x"),
            (Reason::Malformed, 400),
        ),
        (bearer("GET", "/v1/p%zz", &w.user_token("u1")), (Reason::Malformed, 400)),
    ];
    for (request, want) in cases {
        assert_eq!(reason(w.check(&request)), want, "{request:?}");
    }
}

#[test]
fn inactive_and_read_only_apps_for_every_caller() {
    let inactive = world(|a| a.with_active(false));
    let read_only = world(|a| a.with_read_only(true));
    for w in [&inactive, &read_only] {
        let super_token = issue_super_token(&w.app(), NOW).unwrap().access_token;
        let requests = [
            signed("POST", "/v1/posts", SECRET),
            bearer("POST", "/v1/posts", &w.user_token("u1")),
            bearer("POST", "/v1/posts", &super_token),
            OwnedRequest::new("POST", "/v1/posts?accessKey=app:myapp"),
        ];
        for request in requests {
            let want =
                if std::ptr::eq(w, &inactive) { Reason::Inactive } else { Reason::Forbidden };
            assert_eq!(reason(w.check(&request)), (want, 403), "{request:?}");
        }
    }
    // A read-only app still reads.
    assert!(read_only.check(&signed("GET", "/v1/posts", SECRET)).is_ok());
    assert!(read_only.check(&OwnedRequest::new("GET", "/v1/posts?accessKey=app:myapp")).is_ok());
}

#[test]
fn the_root_app_serves_apps_only() {
    let app_id = AppId::new("para").unwrap();
    let apps = Arc::new(MemoryAppStore::new());
    let everything = ResourcePermissions::from_json(r#"{"*": {"*": ["*", "?"]}}"#).unwrap();
    let record = AppRecord::new(AccessKey::from(app_id.clone()), SecretKey::new(SECRET).unwrap());
    apps.insert(record.with_permissions(everything));
    let users = MemoryUserStore::new();
    let user = users.insert(UserRecord::new(app_id, "u1").unwrap());
    let gate = Gate::new(apps.clone(), users);
    let token =
        issue_user_token(&apps.get("app:para").unwrap(), &user, None, NOW).unwrap().access_token;
    let refused = block_on_ready(gate.check(&bearer("GET", "/v1/posts", &token), NOW));
    assert_eq!(reason(refused), (Reason::Forbidden, 403));
    let guest = OwnedRequest::new("GET", "/v1/posts?accessKey=app:para");
    assert_eq!(reason(block_on_ready(gate.check(&guest, NOW))), (Reason::Forbidden, 403));
}

#[test]
fn rotation_with_and_without_grace_through_the_gate() {
    for grace in [0u32, 300] {
        let w = world(|a| a);
        let token = w.user_token("u1");
        let new_secret = SecretKey::generate().unwrap();
        let new_text = new_secret.expose_secret().to_owned();
        let rotated =
            block_on_ready(w.apps.update("app:myapp", |r| r.rotated(new_secret, NOW, grace)));
        assert!(rotated.unwrap().is_some());

        let old_request = signed("GET", "/v1/posts", SECRET);
        let old_token = bearer("GET", "/v1/posts", &token);
        if grace == 0 {
            assert_eq!(reason(w.check(&old_request)).0, Reason::SignatureMismatch);
            assert_eq!(reason(w.check(&old_token)).0, Reason::BadSignature);
        } else {
            assert!(w.check(&old_request).is_ok());
            assert!(w.check(&old_token).is_ok());
        }
        assert!(w.check(&signed("GET", "/v1/posts", &new_text)).is_ok());
    }
}

/// A store that always fails: the gate must refuse, never allow.
struct Broken;

impl AppStore for Broken {
    fn app(
        &self,
        _: &str,
    ) -> impl Future<Output = Result<Option<Arc<AppRecord>>, StoreError>> + Send {
        std::future::ready(Err(StoreError::new("database is down")))
    }

    fn update<F>(
        &self,
        _: &str,
        _: F,
    ) -> impl Future<Output = Result<Option<Arc<AppRecord>>, StoreError>> + Send
    where
        F: FnOnce(&AppRecord) -> AppRecord + Send,
    {
        std::future::ready(Err(StoreError::new("database is down")))
    }
}

#[test]
fn a_failing_store_fails_closed() {
    let gate = Gate::new(Arc::new(Broken), MemoryUserStore::new());
    let requests = [
        signed("GET", "/v1/posts", SECRET),
        OwnedRequest::new("GET", "/v1/posts?accessKey=app:myapp"),
        bearer("GET", "/v1/posts", &world(|a| a).user_token("u1")),
    ];
    for request in requests {
        let (reason, status) = reason(block_on_ready(gate.check(&request, NOW)));
        assert_eq!((reason, status), (Reason::Store, 500), "{request:?}");
    }
}

#[test]
fn resource_paths() {
    use para_auth::gate::resource_path;
    assert_eq!(resource_path(b"/v1/posts/123").unwrap(), "posts/123");
    assert_eq!(resource_path(b"/v1/my%20type/a%2Bb.c/?x=1").unwrap(), "my type/a+b.c");
    assert_eq!(resource_path(b"/jwt_auth").unwrap(), "jwt_auth");
    assert_eq!(resource_path(b"/v12/x").unwrap(), "x");
    assert_eq!(resource_path(b"/version/x").unwrap(), "version/x");
    assert_eq!(resource_path(b"/v1").unwrap(), "");
    assert!(resource_path(b"/v1/%ff").is_err());
    assert_eq!(resource_path(b"/v1/a.b/.c/..d").unwrap(), "a.b/.c/..d", "not dot segments");
    assert_eq!(resource_path(b"/v1/a%3Bb").unwrap(), "a;b", "an escaped `;` is a letter");
}

#[test]
fn paths_a_router_may_read_as_another_resource_are_refused() {
    let w = world(|a| {
        a.with_permissions(ResourcePermissions::from_json(r#"{"*": {"*": ["*"]}}"#).unwrap())
    });
    let token = w.user_token("u1");
    for target in [
        "/v1/posts/../_newkeys",
        "/v1/./_newkeys",
        "/v1/posts/%2e%2e/_newkeys",
        "/v1/posts/%2E/x",
        "/v1/posts%2F..%2F_newkeys",
        "/v1/_newkeys;x",
        "/v1/posts;v=1/2",
        "/v1/..",
    ] {
        let refused = w.check(&bearer("POST", target, &token));
        assert!(
            matches!(refused, Err(Error::Malformed(Malformed::ResourcePath))),
            "{target}: {refused:?}"
        );
        assert_eq!(reason(w.check(&signed("POST", target, SECRET))), (Reason::Malformed, 400));
    }
    assert!(w.check(&bearer("POST", "/v1/posts/a..b", &token)).is_ok());
}

#[test]
fn a_user_may_read_itself_and_change_itself_only_as_permitted() {
    let w = world(|a| a);
    let token = w.user_token("u1");
    assert_eq!(w.check(&bearer("GET", "/v1/_me", &token)).unwrap().grounds(), &Grounds::Own);
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let refused = w.check(&bearer(method, "/v1/_me", &token));
        assert_eq!(reason(refused), (Reason::Forbidden, 403), "{method} /v1/_me");
    }
    // Para's implicit access to one's own path still holds (GET, PATCH, DELETE).
    for method in ["POST", "PUT"] {
        let refused = w.check(&bearer(method, "/v1/_permissions/u1", &token));
        assert_eq!(reason(refused), (Reason::Forbidden, 403), "{method} own permissions");
    }
    let w = world(|a| {
        a.with_permissions(ResourcePermissions::from_json(r#"{"u1": {"_me": ["PATCH"]}}"#).unwrap())
    });
    let allowed = w.check(&bearer("PATCH", "/v1/_me", &w.user_token("u1"))).unwrap();
    assert!(matches!(allowed.grounds(), Grounds::Permission { .. }));
}

#[test]
fn a_request_head_leaves_the_signed_body_to_check() {
    let w = world(|a| a);
    let body = br#"{"amount":1}"#;
    let sha = hex::encode(sha2::Sha256::digest(body));
    let signer = Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(SECRET).unwrap())
        .with_options(SignOptions { content_sha256_header: true, ..SignOptions::default() });
    let request = OwnedRequest::new("POST", "/v1/posts")
        .header("Host", "localhost:8080")
        .with_body(body.to_vec());
    let signature = signer.sign(&request, NOW).unwrap();
    assert_eq!(signature.content_sha256.as_deref(), Some(sha.as_str()));
    let mut head = http::Request::post("http://localhost:8080/v1/posts");
    for (name, value) in signature.headers() {
        head = head.header(name, value);
    }
    let (head, ()) = head.body(()).unwrap().into_parts();

    let allowed = block_on_ready(w.gate.check(&head, NOW)).unwrap();
    let Some(PayloadCheck::Pending(signed)) = allowed.payload() else {
        panic!("the body is still to check: {:?}", allowed.payload())
    };
    assert_eq!(hex::encode(signed), sha);
    allowed.check_body(body).unwrap();
    let other = br#"{"amount":1000}"#;
    assert_eq!(allowed.check_body(other).unwrap_err().reason(), Reason::BodyMismatch);
    let other_sha: [u8; 32] = sha2::Sha256::digest(other).into();
    assert_eq!(allowed.check_body_sha256(&other_sha).unwrap_err().reason(), Reason::BodyMismatch);

    // With the body at hand the gate checks it; tokens sign no body.
    let whole = w.check(&signed_with(&signer, request)).unwrap();
    assert_eq!(whole.payload(), Some(PayloadCheck::Verified));
    whole.check_body(other).unwrap();
    let token = w.user_token("u1");
    let by_token = w.check(&bearer("POST", "/v1/posts", &token)).unwrap();
    assert_eq!(by_token.payload(), None);
    by_token.check_body(other).unwrap();
}

//! Key rotation: the derived-key cache follows the store, and a grace window
//! keeps the previous secret valid for exactly as long as it says.

use std::sync::Arc;

use para_auth::sigv4::{PayloadCheck, Signer, Verifier};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, Reason, SecretKey, Timestamp, block_on_ready};

const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);

fn key() -> AccessKey {
    AccessKey::new("app:myapp").unwrap()
}

fn signed_with(secret: &str, at: Timestamp) -> OwnedRequest {
    let signer = Signer::new(key(), SecretKey::new(secret).unwrap());
    let request = OwnedRequest::new("GET", "/v1/posts/1").header("Host", "localhost:8080");
    let mut signed = request.clone();
    for (n, v) in signer.sign(&request, at).unwrap().headers() {
        signed = signed.header(n, v);
    }
    signed
}

fn setup() -> Verifier<Arc<MemoryAppStore>> {
    let store = Arc::new(MemoryAppStore::new());
    store.insert(AppRecord::new(key(), SecretKey::new("old-secret").unwrap()));
    Verifier::new(store)
}

#[test]
fn rotation_without_grace_kills_the_old_secret_at_once() {
    let verifier = setup();
    let old = signed_with("old-secret", NOW);
    block_on_ready(verifier.verify(&old, NOW)).unwrap(); // the cache is warm now

    let new_secret = SecretKey::new("new-secret").unwrap();
    verifier.store().rotate("app:myapp", new_secret, NOW, 0).unwrap();

    let err = block_on_ready(verifier.verify(&old, NOW)).unwrap_err();
    assert_eq!(err.reason(), Reason::SignatureMismatch);
    let verified = block_on_ready(verifier.verify(&signed_with("new-secret", NOW), NOW)).unwrap();
    assert!(!verified.used_previous_secret());
}

#[test]
fn grace_window_keeps_the_previous_secret_until_its_deadline() {
    let verifier = setup();
    let new_secret = SecretKey::new("new-secret").unwrap();
    verifier.store().rotate("app:myapp", new_secret, NOW, 300).unwrap();

    // Inside the window the old secret still signs (marked as such); the new one too.
    let at = NOW.add_secs(299);
    let verified = block_on_ready(verifier.verify(&signed_with("old-secret", at), at)).unwrap();
    assert!(verified.used_previous_secret());
    let verified = block_on_ready(verifier.verify(&signed_with("new-secret", at), at)).unwrap();
    assert!(!verified.used_previous_secret());

    // At the deadline it is gone.
    let at = NOW.add_secs(300);
    let err = block_on_ready(verifier.verify(&signed_with("old-secret", at), at)).unwrap_err();
    assert_eq!(err.reason(), Reason::SignatureMismatch);

    // A second rotation drops the grace of the first.
    let newest = SecretKey::new("newest-secret").unwrap();
    verifier.store().rotate("app:myapp", newest, at, 0).unwrap();
    let err = block_on_ready(verifier.verify(&signed_with("new-secret", at), at)).unwrap_err();
    assert_eq!(err.reason(), Reason::SignatureMismatch);
}

#[test]
fn removed_apps_are_unknown_even_with_a_warm_cache() {
    let verifier = setup();
    let old = signed_with("old-secret", NOW);
    block_on_ready(verifier.verify(&old, NOW)).unwrap();
    verifier.store().remove("app:myapp");
    let err = block_on_ready(verifier.verify(&old, NOW)).unwrap_err();
    assert_eq!(err.reason(), Reason::UnknownKey);
    assert_eq!(err.status(), 401);
}

#[test]
fn http_request_and_parts_are_views_too() {
    let verifier = setup();
    let signer = Signer::new(key(), SecretKey::new("old-secret").unwrap());
    let mut request = http::Request::post("http://localhost:8080/v1/posts?x=1")
        .header("host", "localhost:8080")
        .header("x-amz-content-sha256", hex_sha256(b"{\"a\":1}"))
        .body(b"{\"a\":1}".to_vec())
        .unwrap();
    signer.sign_request(&mut request, NOW).unwrap();

    let verified = block_on_ready(verifier.verify(&request, NOW)).unwrap();
    assert_eq!(verified.payload(), PayloadCheck::Verified);

    // Without the body, the signed hash is handed on to be checked later.
    let (parts, body) = request.into_parts();
    let verified = block_on_ready(verifier.verify(&parts, NOW)).unwrap();
    let PayloadCheck::Pending(hash) = verified.payload() else { panic!("pending expected") };
    assert_eq!(hex::encode(hash), hex_sha256(&body));

    // The body read afterwards is checked against it.
    verified.payload().check_body(&body).unwrap();
    let other = verified.payload().check_body(b"{\"a\":2}").unwrap_err();
    assert_eq!(other.reason(), Reason::BodyMismatch);
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(b"").into();
    assert_eq!(
        verified.payload().check_body_sha256(&digest).unwrap_err().reason(),
        Reason::BodyMismatch
    );
    // Nothing is left to check once the body was verified with the request.
    PayloadCheck::Verified.check_body(b"anything").unwrap();
}

#[test]
fn a_head_without_a_declared_hash_is_taken_to_have_an_empty_body() {
    let verifier = setup();
    let signer = Signer::new(key(), SecretKey::new("old-secret").unwrap());
    let mut request =
        http::Request::post("http://localhost:8080/v1/posts").body(b"{\"a\":1}".to_vec()).unwrap();
    signer.sign_request(&mut request, NOW).unwrap();
    let (parts, _) = request.into_parts();
    // The signature covers the body's hash, which the head alone cannot
    // tell: without `x-amz-content-sha256` an empty body is assumed.
    let error = block_on_ready(verifier.verify(&parts, NOW)).unwrap_err();
    assert_eq!(error.reason(), Reason::SignatureMismatch, "{error}");
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn an_app_created_again_with_a_new_secret_does_not_inherit_cached_keys() {
    let verifier = setup();
    let old = signed_with("old-secret", NOW);
    block_on_ready(verifier.verify(&old, NOW)).unwrap(); // warms the cache for the old secret

    verifier.store().remove("app:myapp");
    verifier.store().insert(AppRecord::new(key(), SecretKey::new("brand-new").unwrap()));
    let err = block_on_ready(verifier.verify(&old, NOW)).unwrap_err();
    assert_eq!(err.reason(), Reason::SignatureMismatch);
    block_on_ready(verifier.verify(&signed_with("brand-new", NOW), NOW)).unwrap();
}

#[test]
fn a_secret_version_is_not_a_plain_hash_of_the_secret() {
    use sha2::Digest;
    let secret = para_auth::SecretKey::new("hunter2hunter2").unwrap();
    let plain: [u8; 32] = sha2::Sha256::digest(b"hunter2hunter2").into();
    let versioned = para_auth::store::VersionedSecret::new(secret.clone());
    assert_ne!(versioned.version().to_be_bytes(), plain[..8], "a dictionary could test it");
    // Within the process the version still names the secret.
    assert_eq!(para_auth::store::VersionedSecret::new(secret).version(), versioned.version());
    let other = para_auth::SecretKey::new("hunter3hunter3").unwrap();
    assert_ne!(para_auth::store::VersionedSecret::new(other).version(), versioned.version());
    assert!(!format!("{versioned:?}").contains("hunter2"));
}

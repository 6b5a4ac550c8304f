//! What the request targets share: one app's verifier and signer, and a
//! request read from raw text rebuilt as an `http::Request`.

use para_auth::sigv4::{Signer, Verifier, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, SecretKey, Timestamp};

pub const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);

/// A verifier (with `config`) whose store knows one app, and that app's signer.
pub fn verifier_and_signer(config: VerifierConfig) -> (Verifier<MemoryAppStore>, Signer) {
    let key = AccessKey::new("app:myapp").expect("a valid access key");
    let secret = SecretKey::new("secret").expect("a valid secret");
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key.clone(), secret.clone()));
    (Verifier::with_config(store, config), Signer::new(key, secret))
}

/// `request` as an `http::Request`, when its method, target and headers are valid there.
pub fn as_http(request: &OwnedRequest) -> Option<http::Request<Vec<u8>>> {
    let mut builder = http::Request::builder().method(request.method.as_bytes());
    builder = builder.uri(request.target.as_slice());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    builder.body(request.body.clone()).ok()
}

//! Arbitrary bytes as raw HTTP/1.1 text: read, verified, then signed and
//! presigned, also as an `http::Request` when the target is a valid URI.
#![no_main]

use libfuzzer_sys::fuzz_target;
use para_auth::sigv4::{Signer, Verifier, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, SecretKey, Timestamp, block_on_ready};

const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);

fuzz_target!(|data: &[u8]| {
    let Ok(request) = OwnedRequest::parse_http1(data) else { return };
    let (Ok(key), Ok(secret)) = (AccessKey::new("app:myapp"), SecretKey::new("secret")) else {
        return;
    };
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key.clone(), secret.clone()));
    let config = VerifierConfig { diagnostics: true, ..VerifierConfig::default() };
    let verifier = Verifier::with_config(store, config);
    let _ = block_on_ready(verifier.verify(&request, NOW));

    let signer = Signer::new(key, secret);
    let _ = signer.sign(&request, NOW);
    let _ = signer.presign(&request, NOW, 900);

    let mut builder = http::Request::builder().method(request.method.as_bytes());
    builder = builder.uri(request.target.as_slice());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    if let Ok(http_request) = builder.body(request.body.clone()) {
        let _ = signer.sign(&http_request, NOW);
        let _ = signer.presign(&http_request, NOW, 900);
        let _ = block_on_ready(verifier.verify(&http_request, NOW));
    }
});

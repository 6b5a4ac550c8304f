//! Arbitrary bytes as raw HTTP/1.1 text, read and then verified.
#![no_main]

use libfuzzer_sys::fuzz_target;
use para_auth::sigv4::{Verifier, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, SecretKey, Timestamp, block_on_ready};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = OwnedRequest::parse_http1(data) else { return };
    let store = MemoryAppStore::new();
    if let (Ok(key), Ok(secret)) = (AccessKey::new("app:myapp"), SecretKey::new("secret")) {
        store.insert(AppRecord::new(key, secret));
    }
    let config = VerifierConfig { diagnostics: true, ..VerifierConfig::default() };
    let verifier = Verifier::with_config(store, config);
    let _ = block_on_ready(verifier.verify(&request, Timestamp::from_unix(1_704_164_645)));
});

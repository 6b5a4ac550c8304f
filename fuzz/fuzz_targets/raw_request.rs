//! Arbitrary bytes as raw HTTP/1.1 text: read, verified, then signed and
//! presigned, also as an `http::Request` when the target is a valid URI.
#![no_main]

use libfuzzer_sys::fuzz_target;
use para_auth::sigv4::VerifierConfig;
use para_auth::{OwnedRequest, block_on_ready};

mod shared;
use shared::{NOW, as_http, verifier_and_signer};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = OwnedRequest::parse_http1(data) else { return };
    let config = VerifierConfig { diagnostics: true, ..VerifierConfig::default() };
    let (verifier, signer) = verifier_and_signer(config);
    let _ = block_on_ready(verifier.verify(&request, NOW));

    let _ = signer.sign(&request, NOW);
    let _ = signer.presign(&request, NOW, 900);

    if let Some(http_request) = as_http(&request) {
        let _ = signer.sign(&http_request, NOW);
        let _ = signer.presign(&http_request, NOW, 900);
        let _ = block_on_ready(verifier.verify(&http_request, NOW));
    }
});

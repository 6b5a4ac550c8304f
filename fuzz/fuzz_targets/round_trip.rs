//! A settings byte, then arbitrary bytes as raw HTTP/1.1 text: whatever the
//! signer signs, the verifier must accept, in the header form and
//! presigned, as an `OwnedRequest` and as an `http::Request` signed in
//! place; and the same request with its method changed must be refused.
//!
//! The settings byte picks the rules (Para's, AWS's, S3's), and whether the
//! signer adds `x-amz-content-sha256`, signs `UNSIGNED-PAYLOAD` or carries a
//! session token, and whether the verifier allows `UNSIGNED-PAYLOAD` (it
//! does whenever the signer signs it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use para_auth::sigv4::{CanonicalRules, SignOptions, Signer, VerifierConfig};
use para_auth::{Error, Malformed, OwnedRequest, block_on_ready};

mod shared;
use shared::{NOW, as_http, verifier_and_signer};

/// Refusals a signed request may still earn, for what it carried before signing.
fn excused(request: &OwnedRequest, error: &Error) -> bool {
    let count =
        |name: &str| request.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).count();
    match error {
        // The value outgrew what the verifier reads. (`Ambiguous` is never
        // excused: the signer refuses a target that carries a signature.)
        Error::Malformed(Malformed::TooLarge) => true,
        // The request declared a payload hash of its own.
        Error::BodyMismatch => count("x-amz-content-sha256") > 0,
        // It carried a header the verifier reads by name twice (a presigned
        // request keeps its headers).
        Error::Malformed(Malformed::DuplicatePart(name)) => count(name) > 1,
        _ => false,
    }
}

/// The signer's options and the verifier's settings that `byte` picks.
fn settings(byte: u8) -> (SignOptions, VerifierConfig) {
    let rules = [CanonicalRules::PARA, CanonicalRules::AWS, CanonicalRules::S3][usize::from(byte % 3)];
    let unsigned_payload = byte & 0x08 != 0;
    let options = SignOptions {
        rules,
        content_sha256_header: byte & 0x04 != 0,
        unsigned_payload,
        session_token: (byte & 0x10 != 0).then(|| "a/session+token=".to_owned()),
        ..SignOptions::default()
    };
    let allow_unsigned_payload = unsigned_payload || byte & 0x20 != 0;
    (options, VerifierConfig { rules, allow_unsigned_payload, ..VerifierConfig::default() })
}

fuzz_target!(|data: &[u8]| {
    let Some((&byte, text)) = data.split_first() else { return };
    let Ok(request) = OwnedRequest::parse_http1(text) else { return };
    let (options, config) = settings(byte);
    let (verifier, signer) = verifier_and_signer(config);
    let signer: Signer = signer.with_options(options);

    if let Ok(signature) = signer.sign(&request, NOW) {
        let mut signed = request.clone();
        // A client sends no fragment, and signs none.
        if let Some(hash) = signed.target.iter().position(|&b| b == b'#') {
            signed.target.truncate(hash);
        }
        // The headers the signer writes replace the request's own.
        signed.headers.retain(|(name, _)| {
            !signature.headers().any(|(own, _)| name.eq_ignore_ascii_case(own))
        });
        for (name, value) in signature.headers() {
            signed.headers.push((name.to_owned(), value.as_bytes().to_vec()));
        }
        match block_on_ready(verifier.verify(&signed, NOW)) {
            Ok(_) => {
                signed.method.push('X');
                let changed = block_on_ready(verifier.verify(&signed, NOW));
                assert!(changed.is_err(), "a changed method verified");
            }
            Err(error) => assert!(excused(&request, &error), "signed, then refused: {error:?}"),
        }
    }

    if let Ok(url) = signer.presign(&request, NOW, 900) {
        let mut presigned = request.clone();
        presigned.target = url.target.into_bytes();
        presigned.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
        if let Err(error) = block_on_ready(verifier.verify(&presigned, NOW)) {
            assert!(excused(&request, &error), "presigned, then refused: {error:?}");
        }
    }

    // The same request as an `http::Request`, signed in place.
    let Some(mut http_request) = as_http(&request) else { return };
    if signer.sign_request(&mut http_request, NOW).is_ok() {
        match block_on_ready(verifier.verify(&http_request, NOW)) {
            Ok(_) => {
                let put = http_request.method() == http::Method::PUT;
                *http_request.method_mut() =
                    if put { http::Method::POST } else { http::Method::PUT };
                let changed = block_on_ready(verifier.verify(&http_request, NOW));
                assert!(changed.is_err(), "a changed method verified (http)");
            }
            Err(error) => {
                assert!(excused(&request, &error), "signed in place, then refused: {error:?}")
            }
        }
    }
});

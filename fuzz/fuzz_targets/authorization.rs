//! Arbitrary Authorization values and targets on an otherwise plausible request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use para_auth::OwnedRequest;
use para_auth::sigv4::SignedRequest;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (authorization, target) = data.split_at(split);
    let request = OwnedRequest::new("GET", target.get(1..).unwrap_or_default())
        .header("Host", "localhost:8080")
        .header("X-Amz-Date", "20240102T030405Z")
        .header("Authorization", authorization);
    let _ = SignedRequest::parse(&request);
    let _ = para_auth::sigv4::canonical_request(
        &request,
        "host;x-amz-date",
        para_auth::sigv4::EMPTY_SHA256,
        para_auth::sigv4::CanonicalRules::AWS,
        true,
    );
});

//! Corners of the SigV4 API that the vectors and properties do not reach:
//! the presigner's expiry bounds, a view that knows only its body's hash,
//! a declared payload hash and `UNSIGNED-PAYLOAD` against the signer's
//! options, `verify_with`, the key cache at its bounds, targets that are not
//! paths, sizes past the limits, a scope too long to gather on the stack,
//! the redacted canonical request, and what `Debug` shows of a signer.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use para_auth::sigv4::{CanonicalRules, EMPTY_SHA256, PayloadCheck, SignOptions, SignedRequest};
use para_auth::sigv4::{Signer, Verifier, VerifierConfig, canonical_request};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, Body, Error, Malformed, OwnedRequest, Reason, RequestView};
use para_auth::{SecretKey, Timestamp, block_on_ready};

const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);

fn key(name: &str) -> AccessKey {
    AccessKey::new(name).unwrap()
}

fn signer() -> Signer {
    Signer::new(key("app:myapp"), SecretKey::new(SECRET).unwrap())
}

fn store_with(apps: &[&str]) -> MemoryAppStore {
    let store = MemoryAppStore::new();
    for app in apps {
        store.insert(AppRecord::new(key(app), SecretKey::new(format!("{SECRET}{app}")).unwrap()));
    }
    store.insert(AppRecord::new(key("app:myapp"), SecretKey::new(SECRET).unwrap()));
    store
}

fn get(target: &str) -> OwnedRequest {
    OwnedRequest::new("GET", target).header("Host", "localhost:8080")
}

fn signed(signer: &Signer, request: OwnedRequest) -> OwnedRequest {
    let signature = signer.sign(&request, NOW).unwrap();
    signature.headers().fold(request, |request, (name, value)| request.header(name, value))
}

fn reason<T: std::fmt::Debug>(result: Result<T, Error>) -> Reason {
    result.unwrap_err().reason()
}

#[test]
fn presigning_takes_one_second_to_a_week() {
    for expires in [0, 604_801, u32::MAX] {
        let refused = signer().presign(&get("/v1/posts"), NOW, expires);
        assert!(matches!(refused, Err(Error::Config(_))), "{expires}: {refused:?}");
    }
    let verifier = Verifier::new(store_with(&[]));
    for expires in [1, 604_800] {
        let url = signer().presign(&get("/v1/posts"), NOW, expires).unwrap();
        assert!(url.target.contains(&format!("X-Amz-Expires={expires}&")), "{}", url.target);
        block_on_ready(verifier.verify(&get(&url.target), NOW)).unwrap();
        let late = Timestamp::from_unix(NOW.unix() + i64::from(expires) + 1);
        assert_eq!(
            reason(block_on_ready(verifier.verify(&get(&url.target), late))),
            Reason::Expired
        );
    }
}

/// A request whose body streams past: the view knows only its SHA-256.
struct Streamed {
    request: OwnedRequest,
    body_sha256: [u8; 32],
}

impl RequestView for Streamed {
    fn method(&self) -> &str {
        self.request.method()
    }
    fn target(&self) -> &[u8] {
        self.request.target()
    }
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.request.headers()
    }
    fn body(&self) -> Body<'_> {
        Body::Sha256(&self.body_sha256)
    }
}

#[test]
fn a_view_that_knows_only_its_body_hash_signs_and_verifies() {
    let body = b"{\"name\": \"a post\"}";
    let request = OwnedRequest::new("POST", "/v1/posts").header("Host", "localhost:8080");
    let body_sha256: [u8; 32] = Sha256::digest(body).into();
    let streamed = Streamed { request: request.clone(), body_sha256 };

    // The hash signs as the body itself does.
    let from_hash = signer().sign(&streamed, NOW).unwrap();
    let from_body = signer().sign(&request.clone().with_body(body.as_slice()), NOW).unwrap();
    assert_eq!(from_hash.authorization, from_body.authorization);

    let verifier = Verifier::new(store_with(&[]));
    let request = signed(&signer(), request.with_body(body.as_slice()));
    let streamed = Streamed { request: request.clone(), body_sha256 };
    let verified = block_on_ready(verifier.verify(&streamed, NOW)).unwrap();
    assert_eq!(verified.payload(), PayloadCheck::Verified);

    // Another body's hash: the signature does not cover it.
    let other = Streamed { request: request.clone(), body_sha256: Sha256::digest(b"{}").into() };
    let refused = block_on_ready(verifier.verify(&other, NOW));
    assert_eq!(reason(refused), Reason::SignatureMismatch);
    // Declared as the signed body's but streamed as another: a body mismatch.
    let declared = request.header("x-amz-content-sha256", hex::encode(body_sha256));
    let other = Streamed { request: declared, body_sha256: Sha256::digest(b"{}").into() };
    assert_eq!(reason(block_on_ready(verifier.verify(&other, NOW))), Reason::BodyMismatch);
}

#[test]
fn a_declared_payload_hash_must_be_lower_case_hex() {
    // `http::request::Parts` has no body: the declared hash is all there is,
    // and the canonical request carries it as it was sent.
    let hash = hex::encode(Sha256::digest(b"a body"));
    let verifier = Verifier::new(store_with(&[]));
    for (declared, expect) in
        [(hash.clone(), None), (hash.to_uppercase(), Some(Reason::BodyMismatch))]
    {
        let signer = signer();
        let request = http::Request::post("http://localhost:8080/v1/posts")
            .header("x-amz-content-sha256", declared.as_str())
            .body(b"a body".to_vec())
            .unwrap();
        let mut request = request;
        signer.sign_request(&mut request, NOW).unwrap();
        let (parts, _) = request.into_parts();
        let outcome = block_on_ready(verifier.verify(&parts, NOW));
        match expect {
            None => {
                let verified = outcome.unwrap();
                let digest: [u8; 32] = Sha256::digest(b"a body").into();
                assert_eq!(verified.payload(), PayloadCheck::Pending(digest));
                verified.payload().check_body(b"a body").unwrap();
                assert_eq!(reason(verified.payload().check_body(b"another")), Reason::BodyMismatch);
            }
            Some(expect) => assert_eq!(reason(outcome), expect, "{declared}"),
        }
    }
}

#[test]
fn verify_with_takes_the_record_the_caller_has() {
    let store = store_with(&["app:other"]);
    let mine = store.get("app:myapp").unwrap();
    let other = store.get("app:other").unwrap();
    let verifier = Verifier::new(MemoryAppStore::new()); // its own store knows no one
    let request = signed(&signer(), get("/v1/posts"));

    let verified = verifier.verify_with(&request, Arc::clone(&mine), NOW).unwrap();
    assert!(Arc::ptr_eq(verified.app(), &mine));
    assert!(!verified.used_previous_secret());
    assert_eq!(reason(verifier.verify_with(&request, other, NOW)), Reason::UnknownKey);
    assert_eq!(reason(block_on_ready(verifier.verify(&request, NOW))), Reason::UnknownKey);
    // The checks before the key still come first.
    let late = Timestamp::from_unix(NOW.unix() + 901);
    assert_eq!(reason(verifier.verify_with(&request, mine, late)), Reason::TimeSkewed);
}

#[test]
fn the_key_cache_at_its_bounds_still_verifies() {
    let apps = ["app:a", "app:b", "app:c"];
    let requests: Vec<OwnedRequest> = apps
        .iter()
        .chain(["app:myapp"].iter())
        .map(|app| {
            let secret =
                if *app == "app:myapp" { SECRET.to_owned() } else { format!("{SECRET}{app}") };
            let signer = Signer::new(key(app), SecretKey::new(secret).unwrap());
            signed(&signer, get("/v1/posts"))
        })
        .collect();

    // No cache, one slot (every new app clears it), and the default.
    for capacity in [0, 1, 2, 10_000] {
        let config = VerifierConfig { key_cache_capacity: capacity, ..VerifierConfig::default() };
        let verifier = Verifier::with_config(store_with(&apps), config);
        for round in 0..3 {
            for request in &requests {
                let outcome = block_on_ready(verifier.verify(request, NOW));
                outcome.unwrap_or_else(|e| panic!("capacity {capacity}, round {round}: {e}"));
            }
            // Forgetting is never wrong, only slower.
            match round {
                0 => verifier.forget_key("app:a"),
                1 => verifier.clear_cache(),
                _ => {}
            }
        }
        // A key it forgot, or never held, does not verify another secret's work.
        let mut forged = requests[0].clone();
        forged.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
        let authorization = requests[3].headers.iter().find(|(n, _)| n == "Authorization");
        let theirs = std::str::from_utf8(&authorization.unwrap().1).unwrap();
        let forged = forged.header("Authorization", theirs.replace("app:myapp", "app:a"));
        let refused = block_on_ready(verifier.verify(&forged, NOW));
        assert_eq!(reason(refused), Reason::SignatureMismatch, "capacity {capacity}");
    }
}

#[test]
fn targets_that_are_not_paths() {
    let verifier = Verifier::new(store_with(&[]));
    // `OPTIONS *` and a target without its `/`: nothing to sign or verify.
    for target in ["*", "v1/posts", "*?a=1"] {
        let request = OwnedRequest::new("OPTIONS", target).header("Host", "localhost:8080");
        let refused = signer().sign(&request, NOW);
        assert!(
            matches!(refused, Err(Error::Malformed(Malformed::Target))),
            "{target:?}: {refused:?}"
        );
        let refused = signer().presign(&request, NOW, 60);
        assert!(
            matches!(refused, Err(Error::Malformed(Malformed::Target))),
            "{target:?}: {refused:?}"
        );

        // Signed as `/`, then sent with the target changed.
        let mut request = signed(&signer(), get("/"));
        request.target = target.as_bytes().to_vec();
        let refused = block_on_ready(verifier.verify(&request, NOW));
        assert_eq!(reason(refused), Reason::Malformed, "{target:?}");
    }
}

#[test]
fn an_empty_path_is_signed_as_the_root() {
    // SigV4: "if the absolute path is empty, use a forward slash".
    for (target, as_sent) in [("", "/"), ("?a=1", "/?a=1")] {
        let ours = signer().sign(&get(target), NOW).unwrap();
        assert_eq!(ours, signer().sign(&get(as_sent), NOW).unwrap(), "{target:?}");
        let url = signer().presign(&get(target), NOW, 60).unwrap();
        let root = signer().presign(&get(as_sent), NOW, 60).unwrap();
        assert_eq!(url, root, "{target:?}: the URL names `/` too");
    }
}

#[test]
fn a_query_or_a_request_too_large_is_refused() {
    let verifier = Verifier::new(store_with(&[]));
    let long = format!("/v1/posts?q={}", "a".repeat(20_000));
    let request = signed(&signer(), get("/v1/posts")).header("x", "y");
    let mut request = request;
    request.target = long.clone().into_bytes();
    let refused = block_on_ready(verifier.verify(&request, NOW));
    assert!(matches!(refused, Err(Error::Malformed(Malformed::TooLarge))), "{refused:?}");
    let refused = signer().sign(&get(&long), NOW);
    assert!(matches!(refused, Err(Error::Malformed(Malformed::TooLarge))), "{refused:?}");

    let mut raw = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n".to_vec();
    raw.resize(para_auth::request::MAX_RAW_REQUEST + 1, b'a');
    let refused = OwnedRequest::parse_http1(&raw);
    assert!(matches!(refused, Err(Error::Malformed(Malformed::TooLarge))), "{refused:?}");
}

#[test]
fn a_repeated_header_too_large_is_refused_whole() {
    // One value is fine; the second is too long: the request is refused,
    // whichever of the two is the long one.
    let long = "v".repeat(17 * 1024);
    for values in [["short", long.as_str()], [long.as_str(), "short"]] {
        let request = get("/v1/posts").header("X-Tag", values[0]).header("X-Tag", values[1]);
        let refused = signer().sign(&request, NOW);
        assert!(matches!(refused, Err(Error::Malformed(Malformed::TooLarge))), "{refused:?}");
    }
}

#[test]
fn a_signer_does_not_show_its_secret() {
    let options = SignOptions { session_token: Some("token-42".to_owned()), ..Default::default() };
    let signer = signer().with_options(options);
    let shown = format!("{signer:?}");
    assert!(shown.contains("app:myapp"), "{shown}");
    assert!(!shown.contains("FAKEsecret"), "{shown}");
    assert!(!shown.contains("token-42"), "{shown}");
    let signature = signer.sign(&get("/v1/posts"), NOW).unwrap();
    let shown = format!("{signature:?}");
    assert!(!shown.contains("FAKEsecret") && !shown.contains("token-42"), "{shown}");

    let options = SignOptions { session_token: Some("token-42".to_owned()), ..Default::default() };
    let shown = format!("{options:?}");
    assert!(shown.contains("session_token: Some(\"<redacted>\")"), "{shown}");
    assert!(!shown.contains("token-42"), "{shown}");
    assert!(format!("{:?}", SignOptions::default()).contains("session_token: None"));
}

#[test]
fn a_signer_moved_to_another_scope_derives_its_key_again() {
    let signer = signer();
    signer.sign(&get("/v1/posts"), NOW).unwrap(); // the us-east-1/para key, cached
    let signer = signer.with_scope("eu-west-1", "svc");
    let request = signed(&signer, get("/v1/posts"));
    let verifier = Verifier::with_config(store_with(&[]), VerifierConfig::aws("eu-west-1", "svc"));
    block_on_ready(verifier.verify(&request, NOW)).unwrap();
}

#[test]
fn an_authorization_value_with_whitespace_around_it_verifies() {
    let request = signed(&signer(), get("/v1/posts"));
    let verifier = Verifier::new(store_with(&[]));
    for (before, after) in [(" ", ""), ("\t", ""), ("", " \t"), (" \t ", " ")] {
        let mut padded = request.clone();
        for (name, value) in &mut padded.headers {
            if name.eq_ignore_ascii_case("authorization") {
                *value = [before.as_bytes(), value, after.as_bytes()].concat();
            }
        }
        block_on_ready(verifier.verify(&padded, NOW)).unwrap();
    }
}

#[test]
fn a_clock_at_either_end_of_time_refuses_without_overflow() {
    let verifier = Verifier::new(store_with(&[]));
    let header = signed(&signer(), get("/v1/posts"));
    let presigned = get(&signer().presign(&get("/v1/posts"), NOW, 900).unwrap().target);
    for (request, early, late) in [
        (&header, Reason::TimeSkewed, Reason::TimeSkewed),
        // Dated far ahead of the clock, or long past its expiry.
        (&presigned, Reason::TimeSkewed, Reason::Expired),
    ] {
        let at = |now| reason(block_on_ready(verifier.verify(request, Timestamp::from_unix(now))));
        assert_eq!(at(i64::MIN), early);
        assert_eq!(at(i64::MIN + 1), early);
        assert_eq!(at(i64::MAX), late);
    }
}

#[test]
fn a_signature_parameter_is_found_under_any_spelling() {
    let verifier = Verifier::new(store_with(&[]));
    let url = signer().presign(&get("/v1/posts"), NOW, 900).unwrap().target;
    // `%53` is `S`: the same parameter, as a proxy that escapes freely may send it.
    let escaped = get(&url.replace("X-Amz-Signature=", "X-Amz-%53ignature="));
    block_on_ready(verifier.verify(&escaped, NOW)).unwrap();
    let escaped = get(&url.replace("X-Amz-Signature=", "%58-Amz-Signature="));
    block_on_ready(verifier.verify(&escaped, NOW)).unwrap();

    // Signed in the header form, with the parameter too: signed both ways,
    // which the signer refuses to make and the verifier to take.
    let both = signer().sign(&get("/v1/posts?X-Amz-%53ignature=1"), NOW);
    assert!(matches!(both, Err(Error::Malformed(Malformed::Ambiguous))), "{both:?}");
    let mut both = signed(&signer(), get("/v1/posts"));
    both.target.extend_from_slice(b"?X-Amz-%53ignature=1");
    let refused = block_on_ready(verifier.verify(&both, NOW));
    assert!(matches!(refused, Err(Error::Malformed(Malformed::Ambiguous))), "{refused:?}");
}

/// HMAC-SHA256, written out here so the test does not lean on the crate's.
fn hmac(key: &[u8], data: &str) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().into()
}

#[test]
fn a_scope_too_long_to_gather_signs_as_the_specification_says() {
    // A string to sign of more than 256 bytes is written into the MAC piece
    // by piece, not gathered first: it must come out the same.
    let region = format!("{}-1", "r".repeat(150));
    let service = "svc".repeat(40);
    let signer = signer().with_scope(&region, &service);
    let ours = signer.sign(&get("/v1/posts"), NOW).unwrap();

    let canonical = "GET\n/v1/posts\n\nhost:localhost:8080\nx-amz-date:20240102T030405Z\n\n\
        host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let scope = format!("20240102/{region}/{service}/aws4_request");
    let hash = hex::encode(Sha256::digest(canonical));
    let string_to_sign = format!("AWS4-HMAC-SHA256\n20240102T030405Z\n{scope}\n{hash}");
    assert!(string_to_sign.len() > 256, "{}", string_to_sign.len());
    let mut key = hmac(format!("AWS4{SECRET}").as_bytes(), "20240102");
    for part in [region.as_str(), service.as_str(), "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex::encode(hmac(&key, &string_to_sign));
    let expected = format!(
        "AWS4-HMAC-SHA256 Credential=app:myapp/{scope}, SignedHeaders=host;x-amz-date, \
         Signature={signature}"
    );
    assert_eq!(ours.authorization, expected);

    let config =
        VerifierConfig { rules: CanonicalRules::PARA, ..VerifierConfig::aws(&region, &service) };
    let verifier = Verifier::with_config(store_with(&[]), config);
    let request = signed(&signer, get("/v1/posts"));
    block_on_ready(verifier.verify(&request, NOW)).unwrap();
    let parsed = SignedRequest::parse(&request).unwrap();
    assert_eq!(parsed.scope().to_string(), scope);
    assert!(parsed.is_signed("x-amz-date") && !parsed.is_signed("x-amz"));
}

#[test]
fn a_canonical_request_shown_to_people_hides_secrets() {
    let request = get("/v1/posts").header("Cookie", "session=hunter2").header("X-Tag", "a  b");
    let list = "cookie;host;x-tag";
    let rules = CanonicalRules::PARA;
    let shown = canonical_request(&request, list, EMPTY_SHA256, rules, true).unwrap();
    let plain = canonical_request(&request, list, EMPTY_SHA256, rules, false).unwrap();
    assert_eq!(plain.replace("session=hunter2", "<redacted>"), shown);
    assert!(shown.contains("\nx-tag:a b\n"), "{shown}");
}

#[test]
fn a_declared_payload_hash_is_what_the_signer_signs() {
    // The request says which hash it carries; every verifier reads that
    // header, so the signer signs what it says, whatever its options.
    let body = b"a body".as_slice();
    let hash = hex::encode(Sha256::digest(body));
    let request = OwnedRequest::new("PUT", "/v1/posts/1")
        .header("Host", "localhost:8080")
        .header("x-amz-content-sha256", hash.as_str())
        .with_body(body);
    let options = SignOptions { unsigned_payload: true, ..SignOptions::default() };
    let config = VerifierConfig { allow_unsigned_payload: true, ..VerifierConfig::default() };
    let verifier = Verifier::with_config(store_with(&[]), config);
    let signer = signer().with_options(options);
    let header_signed = signed(&signer, request.clone());
    let verified = block_on_ready(verifier.verify(&header_signed, NOW)).unwrap();
    assert_eq!(verified.payload(), PayloadCheck::Verified);

    // Presigned too, and a declared UNSIGNED-PAYLOAD is signed as such.
    let presign = |signer: &Signer, request: &OwnedRequest| {
        let mut presigned = request.clone();
        presigned.target = signer.presign(request, NOW, 60).unwrap().target.into_bytes();
        block_on_ready(verifier.verify(&presigned, NOW)).map(|v| v.payload())
    };
    assert_eq!(presign(&signer, &request).unwrap(), PayloadCheck::Verified);
    let mut declared_unsigned = request;
    declared_unsigned.headers[1].1 = b"UNSIGNED-PAYLOAD".to_vec();
    let plain = self::signer();
    assert_eq!(presign(&plain, &declared_unsigned).unwrap(), PayloadCheck::Unsigned);
    let header_signed = signed(&plain, declared_unsigned);
    let verified = block_on_ready(verifier.verify(&header_signed, NOW)).unwrap();
    assert_eq!(verified.payload(), PayloadCheck::Unsigned);
}

#[test]
fn an_unsigned_payload_is_declared_in_the_header_form() {
    // Without the header, a verifier hashes the body and the signature fails.
    let options = SignOptions { unsigned_payload: true, ..SignOptions::default() };
    let signer = signer().with_options(options);
    let request = OwnedRequest::new("PUT", "/v1/posts/1")
        .header("Host", "localhost:8080")
        .with_body("streamed elsewhere");
    let signature = signer.sign(&request, NOW).unwrap();
    assert_eq!(signature.content_sha256.as_deref(), Some("UNSIGNED-PAYLOAD"));
    assert!(signature.authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date"));

    let config = VerifierConfig { allow_unsigned_payload: true, ..VerifierConfig::default() };
    let verifier = Verifier::with_config(store_with(&[]), config);
    let mut signed = self::signed(&signer, request);
    let verified = block_on_ready(verifier.verify(&signed, NOW)).unwrap();
    assert_eq!(verified.payload(), PayloadCheck::Unsigned);
    signed.body = b"another body".to_vec();
    block_on_ready(verifier.verify(&signed, NOW)).unwrap();
    // Para's default refuses it.
    let para = Verifier::new(store_with(&[]));
    assert_eq!(reason(block_on_ready(para.verify(&signed, NOW))), Reason::BodyMismatch);
}

#[test]
fn a_request_and_a_parsed_token_do_not_show_credentials() {
    let request = get("/v1/posts")
        .header("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")
        .header("cookie", "session=abc123")
        .header("X-Other", "shown");
    let shown = format!("{request:?}");
    assert!(!shown.contains("eyJhbGci") && !shown.contains("abc123"), "{shown}");
    assert!(shown.contains("<redacted>") && shown.contains("shown"), "{shown}");

    let token = "eyJhbGciOiJIUzI1NiJ9.eyJhcHBpZCI6ImFwcDpteWFwcCJ9.c2lnbmF0dXJlc2lnbmF0dXJl";
    let parsed = para_auth::jwt::jws::parse(token.as_bytes()).unwrap();
    let shown = format!("{parsed:?}");
    assert!(!shown.contains("eyJ") && !shown.contains("c2ln") && !shown.contains("112"), "{shown}");
}

#[test]
fn a_refused_path_is_named_to_the_client() {
    let refused = para_auth::gate::resource_path(b"/v1/a/../b").unwrap_err();
    assert_eq!(
        refused.public_message(),
        "the request path has a `.` or `..` segment, a `;` or a `#`"
    );
    let unsigned = Error::Malformed(Malformed::Unsigned);
    assert_eq!(unsigned.public_message(), "the request's signature or credentials are malformed");
}

#[test]
fn a_fragment_is_neither_signed_nor_taken() {
    let plain = signer().sign(&get("/p?a=1"), NOW).unwrap();
    assert_eq!(signer().sign(&get("/p?a=1#frag"), NOW).unwrap(), plain);
    assert_eq!(
        signer().sign(&get("/p#frag"), NOW).unwrap(),
        signer().sign(&get("/p"), NOW).unwrap()
    );
    for (target, sent) in [("/v1/posts#frag", "/v1/posts"), ("/v1/posts?a=1#f", "/v1/posts?a=1")] {
        let url = signer().presign(&get(target), NOW, 600).unwrap().target;
        assert_eq!(url, signer().presign(&get(sent), NOW, 600).unwrap().target, "{target}");
    }
    // A raw target with a fragment is no request a client sends.
    let mut with_fragment = signed(&signer(), get("/p?a=1"));
    with_fragment.target.extend_from_slice(b"#frag");
    let refused = block_on_ready(Verifier::new(store_with(&[])).verify(&with_fragment, NOW));
    assert!(matches!(refused, Err(Error::Malformed(Malformed::Target))), "{refused:?}");
}

#[test]
fn headers_every_client_leaves_unsigned_are_left_unsigned() {
    let bare = signer().sign(&get("/p"), NOW).unwrap();
    let mut request = get("/p");
    for (name, value) in [
        ("User-Agent", "v1"),
        ("Expect", "100-continue"),
        ("Connection", "keep-alive"),
        ("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"),
    ] {
        request = request.header(name, value);
    }
    assert_eq!(signer().sign(&request, NOW).unwrap(), bare);
    let every = SignOptions { unsigned_headers: Vec::new(), ..SignOptions::default() };
    let all = signer().with_options(every).sign(&request, NOW).unwrap();
    let list = "SignedHeaders=connection;expect;host;user-agent;x-amz-date;x-amzn-trace-id,";
    assert!(all.authorization.contains(list), "{}", all.authorization);
}

#[test]
fn an_empty_session_token_is_none() {
    let empty = SignOptions { session_token: Some(String::new()), ..SignOptions::default() };
    let signer_with = signer().with_options(empty);
    let signature = signer_with.sign(&get("/p"), NOW).unwrap();
    assert_eq!(signature.security_token, None);
    assert_eq!(signature, signer().sign(&get("/p"), NOW).unwrap());
    let url = signer_with.presign(&get("/p"), NOW, 60).unwrap().target;
    assert!(!url.contains("Security-Token"), "{url}");
}

#[test]
fn an_empty_port_names_no_port() {
    let request = http::Request::get("http://example.com:/p").body(Vec::<u8>::new()).unwrap();
    let by_uri = signer().sign(&request, NOW).unwrap();
    let by_header = OwnedRequest::new("GET", "/p").header("Host", "example.com");
    let by_header = signer().sign(&by_header, NOW).unwrap();
    assert_eq!(by_uri, by_header);
}

#[test]
fn a_presigned_target_does_not_show_its_credentials() {
    let request = get("/v1/x?a=1&X-Amz-Security-Token=SECRET&X-Amz-%53ignature=ab12&b=2");
    let shown = format!("{request:?}");
    assert!(!shown.contains("SECRET") && !shown.contains("ab12"), "{shown}");
    assert!(shown.contains("a=1&X-Amz-Security-Token=<redacted>&"), "{shown}");
    assert!(shown.contains("X-Amz-%53ignature=<redacted>&b=2"), "{shown}");
}

#[test]
fn a_blank_authorization_is_none() {
    let url = signer().presign(&get("/v1/posts"), NOW, 900).unwrap().target;
    let verifier = Verifier::new(store_with(&[]));
    for blank in ["", " ", "\t"] {
        let request = get(&url).header("Authorization", blank);
        block_on_ready(verifier.verify(&request, NOW)).unwrap();
    }
}

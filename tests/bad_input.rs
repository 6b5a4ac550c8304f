//! Bad input: every defect gets an error with its reason; none panics, none is accepted.

use std::cell::Cell;

use para_auth::block_on_ready;
use para_auth::sigv4::{SignOptions, Signer, Verifier, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, Body, Error, Malformed, OwnedRequest, Reason, RequestView};
use para_auth::{SecretKey, Timestamp};

const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const NOW: Timestamp = Timestamp::from_unix(1_704_164_645); // 20240102T030405Z
const DATE: &str = "20240102T030405Z";
const CREDENTIAL: &str = "app:myapp/20240102/us-east-1/para/aws4_request";
const SIG: &str = "3ed4c3f81054ea75ab7382e5e87777f4f07c09b98fb47448e1fcda9e169e0f8d";

fn verifier() -> Verifier<MemoryAppStore> {
    let store = MemoryAppStore::new();
    let key = AccessKey::new("app:myapp").unwrap();
    store.insert(AppRecord::new(key, SecretKey::new(SECRET).unwrap()));
    Verifier::with_config(store, VerifierConfig { diagnostics: true, ..VerifierConfig::default() })
}

fn with_authorization(value: impl Into<Vec<u8>>) -> OwnedRequest {
    OwnedRequest::new("GET", "/v1/posts/123")
        .header("Host", "localhost:8080")
        .header("X-Amz-Date", DATE)
        .header("Authorization", value)
}

fn error_of(request: &OwnedRequest) -> Error {
    match block_on_ready(verifier().verify(request, NOW)) {
        Ok(_) => panic!("accepted: {request:?}"),
        Err(e) => e,
    }
}

fn reason_of(request: &OwnedRequest) -> Reason {
    error_of(request).reason()
}

/// Whether `request` is refused because its algorithm is not `AWS4-HMAC-SHA256`:
/// `malformed`, the only reason the vector format has for it.
fn refused_for_its_algorithm(request: &OwnedRequest) -> bool {
    matches!(error_of(request), Error::Malformed(Malformed::Algorithm))
}

#[test]
fn the_base_request_is_valid() {
    let auth = signed_by("host;x-amz-date");
    block_on_ready(verifier().verify(&with_authorization(auth), NOW)).unwrap();
}

/// A well-formed Authorization with our credential and signature.
fn signed_by(signed_headers: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders={signed_headers}, Signature={SIG}"
    )
}

/// `AWS4-HMAC-SHA256 ` followed by `parts` joined with `, `.
fn aws4(parts: &[&str]) -> String {
    format!("AWS4-HMAC-SHA256 {}", parts.join(", "))
}

#[test]
fn malformed_authorization_headers() {
    let cred = format!("Credential={CREDENTIAL}");
    let sig = format!("Signature={SIG}");
    let sh = "SignedHeaders=host;x-amz-date";
    let scope = |s: &str| format!("Credential=app:myapp/{s}");
    let other_sig = |s: String| format!("Signature={s}");
    let cases: Vec<(String, Reason)> = vec![
        (aws4(&[sh, &sig]), Reason::Malformed),
        (aws4(&[&cred, &sig]), Reason::Malformed),
        (aws4(&[&cred, sh]), Reason::Malformed),
        (aws4(&[&cred, &cred, sh, &sig]), Reason::Malformed),
        (aws4(&[&cred, sh, &sig, &sig]), Reason::Malformed),
        (aws4(&[&cred, sh, &sig, "Extra=1"]), Reason::Malformed),
        (aws4(&[&cred, sh, &other_sig(SIG[..63].to_owned())]), Reason::Malformed),
        (aws4(&[&cred, sh, &other_sig(format!("{SIG}0"))]), Reason::Malformed),
        (aws4(&[&cred, sh, &other_sig(format!("{}zz", &SIG[..62]))]), Reason::Malformed),
        (aws4(&["Credential=", sh, &sig]), Reason::Malformed),
        (aws4(&["Credential=/20240102/us-east-1/para/aws4_request", sh, &sig]), Reason::Malformed),
        (aws4(&[&scope("2024012/us-east-1/para/aws4_request"), sh, &sig]), Reason::Malformed),
        (aws4(&[&scope("us-east-1/para/aws4_request"), sh, &sig]), Reason::Malformed),
        (aws4(&[&cred, "SignedHeaders=", &sig]), Reason::Malformed),
        (aws4(&[&cred, "SignedHeaders=x-amz-date;host", &sig]), Reason::Malformed),
        (aws4(&[&cred, "SignedHeaders=Host;x-amz-date", &sig]), Reason::Malformed),
        (aws4(&[&cred, "SignedHeaders=host;host;x-amz-date", &sig]), Reason::Malformed),
        (aws4(&[&cred, "SignedHeaders=host;x-absent;x-amz-date", &sig]), Reason::Malformed),
        ("AWS4-HMAC-SHA256".to_owned(), Reason::Malformed),
        (aws4(&[&cred, "SignedHeaders=x-amz-date", &sig]), Reason::UnsignedHeader),
        (aws4(&[&cred, "SignedHeaders=host", &sig]), Reason::UnsignedHeader),
        (aws4(&[&scope("20240102/eu-west-1/para/aws4_request"), sh, &sig]), Reason::ScopeMismatch),
        (aws4(&[&scope("20240102/us-east-1/s3/aws4_request"), sh, &sig]), Reason::ScopeMismatch),
        (aws4(&[&scope("20240101/us-east-1/para/aws4_request"), sh, &sig]), Reason::ScopeMismatch),
        (aws4(&[&scope("20240102/us-east-1/para/aws5_request"), sh, &sig]), Reason::ScopeMismatch),
        (
            aws4(&["Credential=app:other/20240102/us-east-1/para/aws4_request", sh, &sig]),
            Reason::UnknownKey,
        ),
        (aws4(&[&cred, sh, &other_sig(SIG.replace('3', "4"))]), Reason::SignatureMismatch),
    ];
    // A blank value is no signature at all.
    for blank in ["", "  "] {
        let refused = error_of(&with_authorization(blank.to_owned()));
        assert!(matches!(refused, Error::Malformed(Malformed::Unsigned)), "{refused:?}");
    }
    for auth in [
        format!("AWS4-HMAC-SHA512 {cred}, {sh}, {sig}"),
        format!("AWS4-HMAC-SHA1 {cred}, {sh}, {sig}"),
        format!("AWS4-ECDSA-P256-SHA256 {cred}, {sh}, {sig}"),
        format!("AWS4-HMAC-SHA256{cred}, {sh}, {sig}"),
        format!("AWS {cred}, {sh}, {sig}"),
    ] {
        assert!(refused_for_its_algorithm(&with_authorization(auth.clone())), "{auth}");
    }
    for (auth, want) in cases {
        assert_eq!(reason_of(&with_authorization(auth.clone())), want, "{auth}");
    }
}

#[test]
fn non_utf8_and_huge_headers() {
    let mut auth = format!(
        "AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=host;x-amz-date, Signature="
    )
    .into_bytes();
    auth.extend_from_slice(&[0xff; 64]);
    assert_eq!(reason_of(&with_authorization(auth)), Reason::Malformed);

    let huge = format!("{}{}", signed_by("host;x-amz-date"), " ".repeat(1 << 20));
    assert_eq!(reason_of(&with_authorization(huge)), Reason::Malformed);

    // A signed header that is not UTF-8, or is huge.
    for value in [vec![b'a', 0xc3, 0x28], vec![b'a'; 1 << 20]] {
        let auth = signed_by("host;x-amz-date;x-bad");
        let request = with_authorization(auth).header("X-Bad", value);
        assert_eq!(reason_of(&request), Reason::Malformed);
    }

    // A huge target.
    let auth = signed_by("host;x-amz-date");
    let mut request = with_authorization(auth);
    request.target = format!("/v1/{}", "a".repeat(1 << 20)).into_bytes();
    assert_eq!(reason_of(&request), Reason::Malformed);
}

/// A header name must be an HTTP token (RFC 9110), or no signed-header list
/// can name it: the raw reader and the signer both refuse one that is not.
#[test]
fn header_names_that_are_not_tokens() {
    for line in ["Accept)Encoding: identity", "Bad Name: x", "Name : x", ": x", "a;b: x"] {
        let raw = format!("GET / HTTP/1.1\r\nHost: h\r\n{line}\r\n\r\n");
        let parsed = OwnedRequest::parse_http1(raw.as_bytes());
        assert!(
            matches!(parsed, Err(Error::Malformed(Malformed::HeaderName))),
            "{line:?}: {parsed:?}"
        );
    }
    let raw = "GET / HTTP/1.1\r\nHost: h\r\nX-Tag: a\r\n folded\r\nX_Odd.Name~1: b\r\n\r\n";
    let parsed = OwnedRequest::parse_http1(raw.as_bytes()).expect("token names parse");
    assert_eq!(parsed.headers[1], ("X-Tag".to_owned(), b"a folded".to_vec()));
    assert_eq!(parsed.headers[2].0, "X_Odd.Name~1");

    let signer = Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(SECRET).unwrap());
    let base = OwnedRequest::new("GET", "/v1/x").header("Host", "localhost:8080");
    for name in ["a;b", "Accept)Encoding", "x y", "", "ü"] {
        let request = base.clone().header(name, "v");
        let signed = signer.sign(&request, NOW);
        let presigned = signer.presign(&request, NOW, 60);
        for result in [signed.err(), presigned.err()] {
            let refused = matches!(result, Some(Error::Malformed(Malformed::HeaderName)));
            assert!(refused, "{name:?}: {result:?}");
        }
        // Left unsigned, the name is nobody's business.
        let options = SignOptions { unsigned_headers: vec![name.to_owned()], ..Default::default() };
        let lenient =
            Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(SECRET).unwrap())
                .with_options(options);
        assert!(lenient.sign(&request, NOW).is_ok(), "{name:?} unsigned");
    }
    // Many headers take the sorted path; a bad name there is refused too.
    let wide = (0..20).fold(base, |r, i| r.header(&format!("X-H{i}"), "v")).header("a;b", "v");
    let refused = matches!(signer.sign(&wide, NOW), Err(Error::Malformed(Malformed::HeaderName)));
    assert!(refused, "a bad name among 22 headers");
}

/// A request that counts the header entries read from it.
struct Counted {
    request: OwnedRequest,
    reads: Cell<usize>,
}

impl RequestView for Counted {
    fn method(&self) -> &str {
        self.request.method()
    }
    fn target(&self) -> &[u8] {
        self.request.target()
    }
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.request.headers().inspect(|_| self.reads.set(self.reads.get() + 1))
    }
    fn body(&self) -> Body<'_> {
        self.request.body()
    }
}

/// Both counts are the caller's to choose, so a scan of the headers for each
/// signed name would let one request cost their product. Signing and
/// verifying must read the headers a few times over, whatever their number.
#[test]
fn many_signed_headers_are_read_in_a_few_passes() {
    const COUNT: usize = 1000;
    let mut request = OwnedRequest::new("GET", "/v1/posts/123").header("Host", "localhost:8080");
    for i in 0..COUNT {
        request = request.header(&format!("X-H{i:03}"), "v");
    }
    let mut counted = Counted { request, reads: Cell::new(0) };
    let signer = Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(SECRET).unwrap());
    let signature = signer.sign(&counted, NOW).unwrap();
    let sign_reads = counted.reads.take();
    for (name, value) in signature.headers() {
        counted.request = counted.request.header(name, value);
    }
    let entries = counted.request.headers.len();
    let passes = |reads: usize| reads / entries;

    block_on_ready(verifier().verify(&counted, NOW)).unwrap();
    let verify_reads = counted.reads.take();
    assert!(passes(sign_reads) <= 4, "signing read the headers {sign_reads} times");
    assert!(passes(verify_reads) <= 4, "verifying read the headers {verify_reads} times");

    // Refused as quickly when the last signed header is missing.
    counted.request.headers.retain(|(name, _)| name != "X-H999");
    let refused = block_on_ready(verifier().verify(&counted, NOW)).unwrap_err();
    assert_eq!(refused.reason(), Reason::Malformed, "{refused}");
    let refuse_reads = counted.reads.take();
    assert!(passes(refuse_reads) <= 4, "refusing read the headers {refuse_reads} times");
}

#[test]
fn bad_dates() {
    let auth = signed_by("host;x-amz-date");
    for date in [
        "",
        "20240102",
        "20240102T030405",
        "20240230T030405Z",
        "2024-01-02T03:04:05Z",
        "20240102T250405Z",
        "yesterday",
    ] {
        let request = OwnedRequest::new("GET", "/v1/posts/123")
            .header("Host", "localhost:8080")
            .header("X-Amz-Date", date)
            .header("Authorization", auth.clone());
        assert_eq!(reason_of(&request), Reason::Malformed, "{date:?}");
    }
    let missing = OwnedRequest::new("GET", "/v1/posts/123")
        .header("Host", "h")
        .header("Authorization", auth.clone());
    assert_eq!(reason_of(&missing), Reason::Malformed);
    let twice = with_authorization(auth.clone()).header("X-Amz-Date", DATE);
    assert_eq!(reason_of(&twice), Reason::Malformed);

    // Well formed, but outside the window either way.
    for date in ["20240102T024904Z", "20240102T031906Z", "19990101T000000Z", "20990101T000000Z"] {
        let request = OwnedRequest::new("GET", "/v1/posts/123")
            .header("Host", "localhost:8080")
            .header("X-Amz-Date", date)
            .header("Authorization", auth.replace("20240102/", &format!("{}/", &date[..8])));
        assert_eq!(reason_of(&request), Reason::TimeSkewed, "{date}");
    }
}

fn presigned(expires: &str) -> OwnedRequest {
    let credential = "app%3Amyapp%2F20240102%2Fus-east-1%2Fpara%2Faws4_request";
    let target = format!(
        "/v1/posts?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}\
         &X-Amz-Date={DATE}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={SIG}"
    );
    OwnedRequest::new("GET", target).header("Host", "localhost:8080")
}

#[test]
fn bad_expiry_values() {
    for expires in ["0", "-1", "", "ten", "604801", "99999999999999999999", "1e3", "+5", "%2D1"] {
        assert_eq!(reason_of(&presigned(expires)), Reason::Malformed, "X-Amz-Expires={expires}");
    }
    // In range: only the signature is wrong.
    assert_eq!(reason_of(&presigned("604800")), Reason::SignatureMismatch);
}

#[test]
fn presigned_parameters_missing_or_repeated() {
    let full = String::from_utf8(presigned("60").target).unwrap();
    for param in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
    ] {
        let kept: Vec<&str> =
            full.split(['?', '&']).skip(1).filter(|p| !p.starts_with(param)).collect();
        let request =
            OwnedRequest::new("GET", format!("/v1/posts?{}", kept.join("&"))).header("Host", "h");
        assert_eq!(reason_of(&request), Reason::Malformed, "without {param}");
    }
    let twice = OwnedRequest::new("GET", format!("{full}&X-Amz-Date={DATE}")).header("Host", "h");
    assert_eq!(reason_of(&twice), Reason::Malformed);
    let wrong_alg = OwnedRequest::new("GET", full.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"))
        .header("Host", "h");
    assert!(refused_for_its_algorithm(&wrong_alg));

    // Signed both ways.
    let auth = signed_by("host;x-amz-date");
    let both = presigned("60").header("Authorization", auth).header("X-Amz-Date", DATE);
    assert_eq!(reason_of(&both), Reason::Malformed);
}

#[test]
fn broken_percent_escapes() {
    let auth = signed_by("host;x-amz-date");
    for target in ["/v1/posts?q=%", "/v1/posts?q=%2", "/v1/posts?q=%zz", "/v1/posts?%g0=1"] {
        let mut request = with_authorization(auth.clone());
        request.target = target.as_bytes().to_vec();
        assert_eq!(reason_of(&request), Reason::Malformed, "{target}");
    }
    let broken = String::from_utf8(presigned("60").target).unwrap().replace("%3A", "%3");
    let request = OwnedRequest::new("GET", broken).header("Host", "h");
    assert_eq!(reason_of(&request), Reason::Malformed);
}

#[test]
fn unsigned_request_is_malformed() {
    let request = OwnedRequest::new("GET", "/v1/posts").header("Host", "h");
    assert_eq!(reason_of(&request), Reason::Malformed);
}

#[test]
fn payload_hash_must_match_the_body() {
    let signer = Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(SECRET).unwrap());
    let request = OwnedRequest::new("POST", "/v1/posts")
        .header("Host", "h")
        .header("x-amz-content-sha256", para_auth::sigv4::EMPTY_SHA256)
        .with_body("{}");
    let mut signed = request.clone();
    for (n, v) in signer.sign(&request, NOW).unwrap().headers() {
        signed = signed.header(n, v);
    }
    assert_eq!(reason_of(&signed), Reason::BodyMismatch);

    let unsigned = request.clone();
    let mut unsigned = unsigned;
    unsigned.headers[1].1 = b"UNSIGNED-PAYLOAD".to_vec();
    let mut signed = unsigned.clone();
    for (n, v) in signer.sign(&unsigned, NOW).unwrap().headers() {
        signed = signed.header(n, v);
    }
    // Para refuses unsigned payloads; it is an option.
    assert_eq!(reason_of(&signed), Reason::BodyMismatch);
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(
        AccessKey::new("app:myapp").unwrap(),
        SecretKey::new(SECRET).unwrap(),
    ));
    let lenient = Verifier::with_config(
        store,
        VerifierConfig { allow_unsigned_payload: true, ..Default::default() },
    );
    let verified = block_on_ready(lenient.verify(&signed, NOW)).unwrap();
    assert_eq!(verified.payload(), para_auth::sigv4::PayloadCheck::Unsigned);
}

#[test]
fn mismatch_diagnostic_redacts_sensitive_headers() {
    let auth = signed_by("cookie;host;x-amz-date");
    let request = with_authorization(auth).header("Cookie", "session=hunter2");
    let err = block_on_ready(verifier().verify(&request, NOW)).unwrap_err();
    let diagnostic = err.diagnostic().expect("diagnostics are on");
    assert!(
        diagnostic.canonical_request.contains("cookie:<redacted>\n"),
        "{}",
        diagnostic.canonical_request
    );
    assert!(!diagnostic.canonical_request.contains("hunter2"));
    assert!(diagnostic.string_to_sign.starts_with("AWS4-HMAC-SHA256\n20240102T030405Z\n"));
    assert_eq!(err.public_message(), para_auth::Error::UnknownKey.public_message());
}

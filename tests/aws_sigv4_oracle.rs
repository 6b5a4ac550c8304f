//! Our signer beside the `aws-sigv4` crate, AWS's own Rust signer, on
//! generated requests: the same signature, byte for byte, in the header form
//! and presigned, under Para's rules and the generic AWS and S3 ones, with
//! and without a session token, `x-amz-content-sha256` and
//! `UNSIGNED-PAYLOAD`; and what `aws-sigv4` signs, applied to an
//! `http::Request` as its users do, our verifier accepts.
//!
//! The requests stay inside what both take as the same request: a target
//! that parses as a URI, query escapes that are well formed and no raw `+`
//! (`aws-sigv4` reads a query as a form, where `+` is a space; SigV4 and
//! Para's clients sign it as `%2B`), and header values that are text with no
//! tabs (`aws-sigv4` trims and folds spaces only, as S3 does; botocore, aws4
//! and @smithy/signature-v4 fold every run of white space, and so do we).
#![cfg(feature = "compare")]

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::UriPathNormalizationMode;
use aws_sigv4::http_request::{self, SignableBody, SignableRequest, SignatureLocation};
use aws_sigv4::http_request::{PayloadChecksumKind, PercentEncodingMode, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use para_auth::sigv4::{CanonicalRules, SignOptions, Signer, Verifier, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, SecretKey, Timestamp, block_on_ready};
use proptest::prelude::*;

#[path = "common/query.rs"]
mod common;

const ACCESS_KEY: &str = "app:myapp";
const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const NOW: i64 = 1_704_164_645;

/// A request as both signers take it.
#[derive(Debug, Clone)]
struct Case {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A path segment. S3's rule decodes the wire path and encodes it once,
/// where `aws-sigv4` takes the path as sent, so for S3 the escapes are only
/// those the encoding itself writes (no `%2F`, which decodes to a `/`).
fn segment(s3: bool) -> impl Strategy<Value = String> {
    let canonical = prop_oneof![
        "[a-zA-Z0-9._~-]{1,6}",
        Just("%20".to_owned()),
        Just("%2B".to_owned()),
        Just("%C3%A9".to_owned()),
    ];
    let any = prop_oneof![
        4 => canonical.clone(),
        1 => Just("%2F".to_owned()),
        1 => Just("%2f".to_owned()),
        1 => Just("%41".to_owned()),
        1 => "[!$&'()*,;=:@]",
    ];
    let piece = if s3 { canonical.boxed() } else { any.boxed() };
    prop_oneof![
        8 => prop::collection::vec(piece, 0..3).prop_map(|p| p.concat()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
    ]
}

/// A path. A path that ends in a dot segment ends in `/` too: `aws-sigv4`
/// normalises `/a/.` to `/a/` (RFC 3986), where botocore, aws4,
/// @smithy/signature-v4 and we give `/a`.
fn path(s3: bool) -> impl Strategy<Value = String> {
    let segments = prop::collection::vec(segment(s3), 0..5);
    (segments, any::<bool>()).prop_map(|(segments, slash)| {
        let dot_last = segments.last().is_some_and(|last| last == "." || last == "..");
        let mut path = format!("/{}", segments.join("/"));
        if (slash || dot_last) && !path.ends_with('/') {
            path.push('/');
        }
        path
    })
}

fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9._~-]{1,5}",
        Just("%20".to_owned()),
        Just("%2B".to_owned()),
        Just("%3D".to_owned()),
        Just("%26".to_owned()),
        Just("%e2%82%ac".to_owned()),
        "[!$'()*,;:@/?]",
    ];
    prop::collection::vec(piece, 0..3).prop_map(|p| p.concat())
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = "[xX]-[a-zA-Z0-9-]{1,8}|[xX]-[aA]|Content-Type";
    let value = "[ -~]{0,16}|[ ]{0,2}[a-z]{1,4}[ ]{1,3}[a-z]{1,4}[ ]{0,2}";
    prop::collection::vec((name, value), 0..12)
}

fn case(s3: bool) -> impl Strategy<Value = Case> {
    let method = prop_oneof!["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD"];
    let body = prop::collection::vec(any::<u8>(), 0..80);
    (method, path(s3), common::query(query_text), headers(), body).prop_map(
        |(method, path, query, headers, body)| {
            let target = if query.is_empty() { path } else { format!("{path}?{query}") };
            Case { method, target, headers, body }
        },
    )
}

/// Our rules with the `aws-sigv4` settings that mean the same.
type Setting = (CanonicalRules, PercentEncodingMode, UriPathNormalizationMode);

/// Para's rules, the generic AWS ones or S3's, and a request to sign under them.
fn setting_and_case() -> impl Strategy<Value = (Setting, Case)> {
    use PercentEncodingMode::{Double, Single};
    use UriPathNormalizationMode::{Disabled, Enabled};
    prop_oneof![
        Just((CanonicalRules::PARA, Double, Disabled)),
        Just((CanonicalRules::AWS, Double, Enabled)),
        Just((CanonicalRules::S3, Single, Disabled)),
    ]
    .prop_flat_map(|setting| (Just(setting), case(setting.1 == Single)))
}

/// The signer's options beyond the rules, each with its `aws-sigv4` twin.
#[derive(Debug, Clone, Default)]
struct Extras {
    /// A session token: `X-Amz-Security-Token`, signed.
    session_token: Option<String>,
    /// Add and sign `x-amz-content-sha256` (the header form only).
    content_header: bool,
    /// Sign `UNSIGNED-PAYLOAD` in place of the body's hash.
    unsigned_payload: bool,
}

/// Mostly none; the header form may add the content header.
fn extras(header_form: bool) -> impl Strategy<Value = Extras> {
    let token = prop::option::weighted(0.3, "[A-Za-z0-9+/=]{1,40}");
    let content = if header_form { any::<bool>().boxed() } else { Just(false).boxed() };
    (token, content, prop::bool::weighted(0.3)).prop_map(
        |(session_token, content_header, unsigned)| Extras {
            session_token,
            content_header,
            unsigned_payload: unsigned,
        },
    )
}

/// The signature `aws-sigv4` gives, in the header form or presigned for `expires`.
fn theirs(
    case: &Case,
    encoding: PercentEncodingMode,
    normalization: UriPathNormalizationMode,
    extras: &Extras,
    expires: Option<u32>,
) -> String {
    signed_by_them(case, encoding, normalization, extras, expires).1
}

/// What `aws-sigv4` adds to sign `case`, and the signature.
fn signed_by_them(
    case: &Case,
    encoding: PercentEncodingMode,
    normalization: UriPathNormalizationMode,
    extras: &Extras,
    expires: Option<u32>,
) -> (http_request::SigningInstructions, String) {
    let token = extras.session_token.clone();
    let identity: Identity = Credentials::new(ACCESS_KEY, SECRET, token, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = encoding;
    settings.uri_path_normalization_mode = normalization;
    // Ours declares UNSIGNED-PAYLOAD in the header form whatever the option.
    if extras.content_header || (extras.unsigned_payload && expires.is_none()) {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    // Ours signs every header it is given; so does theirs, with no exclusions.
    settings.excluded_headers = None;
    if let Some(expires) = expires {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(expires.into()));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("para")
        .time(UNIX_EPOCH + Duration::from_secs(NOW.unsigned_abs()))
        .settings(settings)
        .build()
        .expect("complete signing parameters");
    let params = params.into();
    let host = [("Host", "localhost:8080")];
    let others = case.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let body = if extras.unsigned_payload {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&case.body)
    };
    let request =
        SignableRequest::new(&case.method, &*case.target, host.into_iter().chain(others), body)
            .expect("aws-sigv4 takes the request");
    http_request::sign(request, &params).expect("aws-sigv4 signs").into_parts()
}

/// `case` as an `http::Request`, signed by `aws-sigv4` as its users apply it.
fn http_signed_by_them(
    case: &Case,
    encoding: PercentEncodingMode,
    normalization: UriPathNormalizationMode,
    extras: &Extras,
    expires: Option<u32>,
) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder().method(case.method.as_str()).uri(&case.target);
    builder = builder.header("Host", "localhost:8080");
    for (name, value) in &case.headers {
        builder = builder.header(name, value);
    }
    let mut request = builder.body(case.body.clone()).expect("a valid http::Request");
    let (instructions, _) = signed_by_them(case, encoding, normalization, extras, expires);
    instructions.apply_to_request_http1x(&mut request);
    request
}

fn verifier(rules: CanonicalRules, allow_unsigned_payload: bool) -> Verifier<MemoryAppStore> {
    let key = AccessKey::new(ACCESS_KEY).expect("access key");
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key, SecretKey::new(SECRET).expect("secret")));
    let config = VerifierConfig { rules, allow_unsigned_payload, ..VerifierConfig::para() };
    Verifier::with_config(store, config)
}

fn ours(case: &Case, rules: CanonicalRules, extras: &Extras) -> (Signer, OwnedRequest) {
    let key = AccessKey::new(ACCESS_KEY).expect("access key");
    let secret = SecretKey::new(SECRET).expect("secret");
    let options = SignOptions {
        rules,
        session_token: extras.session_token.clone(),
        content_sha256_header: extras.content_header,
        unsigned_payload: extras.unsigned_payload,
        ..SignOptions::default()
    };
    let signer = Signer::new(key, secret).with_options(options);
    let mut request = OwnedRequest::new(&case.method, case.target.as_bytes())
        .header("Host", "localhost:8080")
        .with_body(case.body.clone());
    for (name, value) in &case.headers {
        request = request.header(name, value.as_bytes());
    }
    (signer, request)
}

/// The value of query parameter `name` in `target`.
fn query_param<'t>(target: &'t str, name: &str) -> Option<&'t str> {
    let (_, query) = target.split_once('?')?;
    query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn header_signatures_match_aws_sigv4(
        ((rules, encoding, normalization), case) in setting_and_case(),
        extras in extras(true),
    ) {
        let (signer, request) = ours(&case, rules, &extras);
        let now = Timestamp::from_unix(NOW);
        let signature = signer.sign(&request, now).expect("we sign");
        let (_, hex) = signature.authorization.rsplit_once("Signature=").expect("a signature");
        let expected = theirs(&case, encoding, normalization, &extras, None);
        prop_assert_eq!(hex, expected, "{:?} {:?}", case, extras);
    }

    #[test]
    fn presigned_signatures_match_aws_sigv4(
        ((rules, encoding, normalization), case) in setting_and_case(),
        extras in extras(false),
        expires in 1..=604_800u32,
    ) {
        let (signer, request) = ours(&case, rules, &extras);
        let url = signer.presign(&request, Timestamp::from_unix(NOW), expires).expect("we presign");
        let hex = query_param(&url.target, "X-Amz-Signature").expect("a signature");
        let expected = theirs(&case, encoding, normalization, &extras, Some(expires));
        prop_assert_eq!(hex, expected, "{:?} {:?}", case, extras);
    }

    /// What `aws-sigv4` signs, our verifier takes, read as an `http::Request`.
    #[test]
    fn requests_aws_sigv4_signs_verify_here(
        ((rules, encoding, normalization), case) in setting_and_case(),
        extras in extras(true),
        expires in prop::option::of(1..=604_800u32),
    ) {
        let request = http_signed_by_them(&case, encoding, normalization, &extras, expires);
        let verifier = verifier(rules, extras.unsigned_payload);
        let verified = block_on_ready(verifier.verify(&request, Timestamp::from_unix(NOW)));
        prop_assert!(verified.is_ok(), "{:?} {:?}: {:?}", request, extras, verified.err());
    }
}

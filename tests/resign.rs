//! Our signer against the signatures real clients made.
//!
//! Each valid header-signed `sigv4-verify` vector of `vectors/sigv4.jsonl` is
//! a request that a real client signed (botocore, aws4, requests-aws4auth,
//! Para's Python client, @smithy/signature-v4). With its `Authorization` and
//! `X-Amz-Date` taken out, our signer, told to leave unsigned what the client
//! left unsigned and dated at the client's `X-Amz-Date`, must write the
//! client's credential, signed header list and signature exactly. Many of
//! these requests carry nine to thirteen headers, so the signer reads them
//! from its sorted index there, and by scanning in the shorter ones.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use para_auth::sigv4::{CanonicalRules, PathEncoding, SignOptions, Signer};
use para_auth::{AccessKey, AmzDate, OwnedRequest, SecretKey};

const VECTORS: &str = include_str!("vectors/sigv4.jsonl");

fn text<'v>(v: &'v Value, field: &str) -> &'v str {
    v[field].as_str().unwrap_or_else(|| panic!("`{field}` is text"))
}

/// The request as the client sent it, less `Authorization` and `X-Amz-Date`.
fn unsigned_request(v: &Value) -> OwnedRequest {
    let r = &v["request"];
    let mut request = OwnedRequest::new(text(r, "method"), text(r, "target"));
    for pair in r["headers"].as_array().expect("headers are a list") {
        let (name, value) = (text_at(pair, 0), text_at(pair, 1));
        if !["authorization", "x-amz-date"].iter().any(|n| n.eq_ignore_ascii_case(name)) {
            request = request.header(name, value);
        }
    }
    request.body = STANDARD.decode(r["body_b64"].as_str().unwrap_or("")).expect("base64 body");
    request
}

fn text_at(pair: &Value, i: usize) -> &str {
    pair[i].as_str().expect("a header is two strings")
}

/// The value of the first header called `name`, in any case.
fn header<'v>(v: &'v Value, name: &str) -> Option<&'v str> {
    let headers = v["request"]["headers"].as_array()?;
    let found = headers.iter().find(|pair| text_at(pair, 0).eq_ignore_ascii_case(name))?;
    Some(text_at(found, 1))
}

fn rules(v: &Value) -> CanonicalRules {
    let options = &v["options"];
    let path_encoding = match options["path"].as_str() {
        Some("single") => PathEncoding::Single,
        _ => PathEncoding::Double,
    };
    let normalize_path = options["normalize"].as_bool().unwrap_or(false);
    CanonicalRules { path_encoding, normalize_path }
}

/// `Some(authorization)` for a vector the signer can be held to: valid,
/// signed in the header form, `x-amz-date` among the signed headers.
fn client_authorization(v: &Value) -> Option<&str> {
    if v["kind"] != "sigv4-verify" || v["expect"] != "valid" {
        return None;
    }
    let authorization = header(v, "authorization")?;
    authorization.contains("x-amz-date").then_some(authorization)
}

/// The `Credential`, `SignedHeaders` and `Signature` of an `Authorization`
/// value, whatever their order and spacing.
fn parts(authorization: &str) -> [String; 3] {
    let rest = authorization.trim().strip_prefix("AWS4-HMAC-SHA256").expect("SigV4");
    let mut found: [String; 3] = Default::default();
    for piece in rest.split(',').map(str::trim).filter(|piece| !piece.is_empty()) {
        let (name, value) = piece.split_once('=').expect("name=value");
        let at = ["Credential", "SignedHeaders", "Signature"].iter().position(|n| *n == name);
        found[at.expect("a known part")] = value.to_owned();
    }
    found
}

#[test]
fn our_signer_writes_what_real_clients_wrote() {
    let (mut resigned, mut long) = (0, 0);
    for line in VECTORS.lines().filter(|line| line.starts_with('{')) {
        let v: Value = serde_json::from_str(line).expect("a vector is JSON");
        let Some(expected) = client_authorization(&v) else { continue };
        let id = text(&v, "id");

        let request = unsigned_request(&v);
        let expected = parts(expected);
        let signed: Vec<&str> = expected[1].split(';').collect();
        let unsigned_headers = request
            .headers
            .iter()
            .map(|(name, _)| name.to_ascii_lowercase())
            .filter(|name| !signed.contains(&name.as_str()))
            .collect();
        let options = SignOptions { rules: rules(&v), unsigned_headers, ..SignOptions::default() };
        let credentials = &v["credentials"];
        let key = AccessKey::new(text(credentials, "access_key")).expect("an access key");
        let secret = SecretKey::new(text(credentials, "secret_key")).expect("a secret");
        let signer = Signer::new(key, secret)
            .with_scope(text(&v, "region"), text(&v, "service"))
            .with_options(options);

        let amz_date = header(&v, "x-amz-date").expect("an X-Amz-Date");
        let (_, at) = AmzDate::parse(amz_date.trim().as_bytes()).expect("a date");
        let ours = signer.sign(&request, at).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(ours.amz_date.as_str(), amz_date.trim(), "{id}: X-Amz-Date");
        assert_eq!(parts(&ours.authorization), expected, "{id}: Authorization");

        resigned += 1;
        long += usize::from(request.headers.len() > 8);
    }
    // The file's valid header-signed vectors, and those with long header lists.
    assert!(resigned >= 40, "{resigned} vectors re-signed");
    assert!(long >= 8, "{long} of them with more than eight headers");
}

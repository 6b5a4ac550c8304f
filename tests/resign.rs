//! Our signer against the signatures real clients made.
//!
//! Each valid `sigv4-verify` vector of the files below is a request that a
//! real client signed (botocore, aws4, requests-aws4auth, Para's Python
//! client, @smithy/signature-v4). With the signature taken out, our signer,
//! told to leave unsigned what the client left unsigned and dated at the
//! client's `X-Amz-Date`, must write the client's credential, signed header
//! list and signature exactly:
//!
//! - header-signed requests, `Authorization` and `X-Amz-Date` taken out;
//!   many carry nine to thirteen headers, so the signer reads them from its
//!   sorted index there, and by scanning in the shorter ones; the random
//!   ones carry queries of up to 29 pairs. Where the client signed
//!   `x-amz-content-sha256: UNSIGNED-PAYLOAD`, that header is taken out too
//!   and the signer is asked to write it (`unsigned_payload`,
//!   `content_sha256_header`).
//! - presigned URLs, presigned again in place of their parameters, for the
//!   client's `X-Amz-Expires`; S3's always sign `UNSIGNED-PAYLOAD`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use para_auth::sigv4::{CanonicalRules, PathEncoding, SignOptions, Signer};
use para_auth::{AccessKey, AmzDate, OwnedRequest, SecretKey};

/// The vector files, and how many valid requests of each the signer is
/// held to, at least (header-signed, presigned).
const FILES: [(&str, &str, usize, usize); 5] = [
    ("sigv4.jsonl", include_str!("vectors/sigv4.jsonl"), 40, 8),
    ("botocore-random.jsonl", include_str!("vectors/botocore-random.jsonl"), 180, 0),
    ("node-random.jsonl", include_str!("vectors/node-random.jsonl"), 150, 0),
    ("botocore-unsigned.jsonl", include_str!("vectors/botocore-unsigned.jsonl"), 16, 6),
    ("node-unsigned.jsonl", include_str!("vectors/node-unsigned.jsonl"), 5, 8),
];

const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Every vector of `text`, parsed.
fn vectors(text: &str) -> impl Iterator<Item = Value> + '_ {
    text.lines().map(|line| serde_json::from_str(line).expect("a vector is JSON"))
}

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

/// The signer of the vector's key and scope, leaving unsigned the headers of
/// `request` that `signed` (the client's list) does not name.
fn signer(v: &Value, request: &OwnedRequest, signed: &str, options: SignOptions) -> Signer {
    let signed: Vec<&str> = signed.split(';').collect();
    let unsigned_headers = request
        .headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .filter(|name| !signed.contains(&name.as_str()))
        .collect();
    let options = SignOptions { rules: rules(v), unsigned_headers, ..options };
    let credentials = &v["credentials"];
    let key = AccessKey::new(text(credentials, "access_key")).expect("an access key");
    let secret = SecretKey::new(text(credentials, "secret_key")).expect("a secret");
    Signer::new(key, secret).with_scope(text(v, "region"), text(v, "service")).with_options(options)
}

#[test]
fn our_signer_writes_what_real_clients_wrote() {
    for (file, text_of_file, at_least, _) in FILES {
        let (mut resigned, mut long, mut unsigned) = (0, 0, 0);
        for v in vectors(text_of_file) {
            let Some(expected) = client_authorization(&v) else { continue };
            let id = text(&v, "id");

            let mut request = unsigned_request(&v);
            let content = "x-amz-content-sha256";
            let declared_unsigned = header(&v, content).map(str::trim) == Some(UNSIGNED_PAYLOAD);
            if declared_unsigned {
                request.headers.retain(|(name, _)| !name.eq_ignore_ascii_case(content));
            }
            let options = SignOptions {
                unsigned_payload: declared_unsigned,
                content_sha256_header: declared_unsigned,
                ..SignOptions::default()
            };
            let expected = parts(expected);
            let signer = signer(&v, &request, &expected[1], options);

            let amz_date = header(&v, "x-amz-date").expect("an X-Amz-Date");
            let (_, at) = AmzDate::parse(amz_date.trim().as_bytes()).expect("a date");
            let ours = signer.sign(&request, at).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(ours.amz_date.as_str(), amz_date.trim(), "{id}: X-Amz-Date");
            assert_eq!(parts(&ours.authorization), expected, "{id}: Authorization");
            if declared_unsigned {
                let written = ours.content_sha256.as_deref();
                assert_eq!(written, Some(UNSIGNED_PAYLOAD), "{id}: {content}");
                unsigned += 1;
            }

            resigned += 1;
            long += usize::from(request.headers.len() > 8);
        }
        assert!(resigned >= at_least, "{file}: {resigned} vectors re-signed");
        if file == "sigv4.jsonl" {
            assert!(long >= 8, "{file}: {long} of them with more than eight headers");
        }
        if file.ends_with("-unsigned.jsonl") {
            assert_eq!(unsigned, resigned, "{file}: every one signs UNSIGNED-PAYLOAD");
        }
    }
}

/// The raw value of query parameter `name` in `target`.
fn param<'t>(target: &'t str, name: &str) -> Option<&'t str> {
    let (_, query) = target.split_once('?')?;
    query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

#[test]
fn our_presigner_writes_what_real_clients_wrote() {
    const PARAMS: [&str; 5] = [
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    ];
    for (file, text_of_file, _, at_least) in FILES {
        let mut presigned = 0;
        for v in vectors(text_of_file) {
            let target = text(&v["request"], "target");
            let valid = v["kind"] == "sigv4-verify" && v["expect"] == "valid";
            if !valid || param(target, "X-Amz-Signature").is_none() {
                continue;
            }
            let id = text(&v, "id");

            let request = unsigned_request(&v);
            let signed = param(target, "X-Amz-SignedHeaders").expect("a signed list");
            // S3's presigned URLs sign UNSIGNED-PAYLOAD in place of the body's hash.
            let s3 = text(&v, "service") == "s3";
            let options = SignOptions { unsigned_payload: s3, ..SignOptions::default() };
            let signer = signer(&v, &request, &signed.replace("%3B", ";"), options);

            let amz_date = param(target, "X-Amz-Date").expect("an X-Amz-Date");
            let (_, at) = AmzDate::parse(amz_date.as_bytes()).expect("a date");
            let expires = param(target, "X-Amz-Expires").expect("an X-Amz-Expires");
            let expires = expires.parse().expect("a number of seconds");
            // The client's URL, presigned again: its parameters are replaced.
            let ours =
                signer.presign(&request, at, expires).unwrap_or_else(|e| panic!("{id}: {e}"));
            for name in PARAMS {
                assert_eq!(param(&ours.target, name), param(target, name), "{id}: {name}");
            }
            presigned += 1;
        }
        assert!(presigned >= at_least, "{file}: {presigned} presigned URLs made again");
    }
}

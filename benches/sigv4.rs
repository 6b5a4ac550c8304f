//! What signing and verifying one typical Para request costs.
//!
//! Every case works on the same request, `GET /v1/search/default?q=hello%20world&limit=5`
//! to `localhost:8080`, signed by `app:myapp` at 2024-01-02T03:04:05Z:
//!
//! - `sign/para-auth`, `presign/para-auth`: the [`Signer`], built once (it
//!   keeps the day's signing key).
//! - `sign/para-auth-new-key`: a new [`Signer`] for each request, deriving
//!   the key each time, as `sign/aws-sigv4` does.
//! - `verify-warm/para-auth`: the [`Verifier`] with the signing key cached.
//! - `verify-cold/para-auth`: the same with no cache, deriving the key each time.
//! - `verify-wide/para-auth`: warm, with a hundred more headers signed.
//! - `floor/sha256-hmac`: the work no signature can avoid, as a yardstick: hash
//!   the canonical request, write the string to sign, one HMAC with a keyed state.
//! - `sign/aws-sigv4`: the aws-sigv4 crate signing the same request, with
//!   `--features compare` only. Setup checks that it gives our signature.
//! - `sign/hard-coded`, `verify-warm/hard-coded`: a signer and a verifier
//!   written for this one request's shape (see [`bound`]), as a second
//!   yardstick: how close a general signer or verifier could hope to come.
//!
//! Run: `cargo bench --bench sigv4 --features compare`.

#![expect(missing_docs, reason = "criterion_group! defines an undocumented `pub fn`")]
#![expect(clippy::expect_used, reason = "a failed setup is a broken benchmark: it panics")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use para_auth::sigv4::{CanonicalRules, EMPTY_SHA256, Signature, Signer, Verifier, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, SecretKey, Timestamp, block_on_ready};

const ACCESS_KEY: &str = "app:myapp";
const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const METHOD: &str = "GET";
const TARGET: &str = "/v1/search/default?q=hello%20world&limit=5";
const HOST: &str = "localhost:8080";

/// 2024-01-02T03:04:05Z, in seconds since the epoch and as `X-Amz-Date`.
const NOW: i64 = 1_704_164_645;
const AMZ_DATE: &str = "20240102T030405Z";

/// Algorithm, date and scope: the lines of the string to sign before the hash.
const STRING_TO_SIGN_HEAD: &str =
    "AWS4-HMAC-SHA256\n20240102T030405Z\n20240102/us-east-1/para/aws4_request\n";

fn now() -> Timestamp {
    Timestamp::from_unix(NOW)
}

fn access_key() -> AccessKey {
    AccessKey::new(ACCESS_KEY).expect("the access key parses")
}

fn secret() -> SecretKey {
    SecretKey::new(SECRET).expect("the secret parses")
}

/// The request before signing.
fn request() -> OwnedRequest {
    OwnedRequest::new(METHOD, TARGET).header("Host", HOST)
}

/// Our signature of [`request`] at [`NOW`], checked for its date.
fn our_signature(signer: &Signer) -> Signature {
    let signature = signer.sign(&request(), now()).expect("the request signs");
    assert_eq!(signature.amz_date.as_str(), AMZ_DATE, "X-Amz-Date of the signature");
    signature
}

/// The request with the signature's headers added.
fn signed_request(signature: &Signature) -> OwnedRequest {
    with_signature(request(), signature)
}

/// `request` with the signature's headers added.
fn with_signature(request: OwnedRequest, signature: &Signature) -> OwnedRequest {
    signature.headers().fold(request, |request, (name, value)| request.header(name, value))
}

/// [`request`] signed by [`our_signature`].
fn our_signed_request() -> OwnedRequest {
    signed_request(&our_signature(&Signer::new(access_key(), secret())))
}

/// The hex signature at the end of an `Authorization` value.
fn signature_part(authorization: &str) -> &str {
    authorization.rsplit_once("Signature=").map_or("", |(_, hex)| hex)
}

fn bench_sign(c: &mut Criterion) {
    let signer = Signer::new(access_key(), secret());
    let request = request();

    let mut group = c.benchmark_group("sign");
    #[cfg(feature = "compare")]
    aws::bench(&mut group, signature_part(&our_signature(&signer).authorization));
    group.bench_function("para-auth", |b| b.iter(|| signer.sign(black_box(&request), now())));
    // aws-sigv4 derives the day's signing key on every call; ours keeps it.
    // This is ours doing the same: a new signer for each request.
    let (key, secret) = (access_key(), secret());
    group.bench_function("para-auth-new-key", |b| {
        b.iter(|| Signer::new(key.clone(), secret.clone()).sign(black_box(&request), now()))
    });

    let key = keyed_state();
    let ours = our_signature(&signer).authorization;
    assert_eq!(bound::sign(&key, &request, now()), ours, "hard-coded signer against ours");
    group
        .bench_function("hard-coded", |b| b.iter(|| bound::sign(&key, black_box(&request), now())));
    group.finish();
}

fn bench_presign(c: &mut Criterion) {
    let signer = Signer::new(access_key(), secret());
    let request = request();
    signer.presign(&request, now(), 900).expect("the request presigns");

    let mut group = c.benchmark_group("presign");
    group.bench_function("para-auth", |b| {
        b.iter(|| signer.presign(black_box(&request), now(), 900))
    });
    group.finish();
}

/// A verifier over a store that knows the app, with a key cache of `capacity`.
fn verifier(capacity: usize) -> Verifier<MemoryAppStore> {
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(access_key(), secret()));
    let config = VerifierConfig { key_cache_capacity: capacity, ..VerifierConfig::default() };
    Verifier::with_config(store, config)
}

/// Verify `request` once outside the timing (which also fills a cache), then time it.
fn bench_verify(c: &mut Criterion, group: &str, request: &OwnedRequest, capacity: usize) {
    let verifier = verifier(capacity);
    block_on_ready(verifier.verify(request, now())).expect("the signed request verifies");

    let mut group = c.benchmark_group(group);
    group.bench_function("para-auth", |b| {
        b.iter(|| block_on_ready(verifier.verify(black_box(request), now())))
    });
    group.finish();
}

fn bench_verify_warm(c: &mut Criterion) {
    let signed = our_signed_request();
    bench_verify(c, "verify-warm", &signed, VerifierConfig::default().key_cache_capacity);

    let key = keyed_state();
    assert!(bound::verify(&key, &signed), "the hard-coded verifier takes our request");
    let mut tampered = signed.clone();
    tampered.target.push(b'0');
    assert!(!bound::verify(&key, &tampered), "the hard-coded verifier refuses a changed one");

    let mut group = c.benchmark_group("verify-warm");
    group.bench_function("hard-coded", |b| b.iter(|| bound::verify(&key, black_box(&signed))));
    group.finish();
}

fn bench_verify_cold(c: &mut Criterion) {
    bench_verify(c, "verify-cold", &our_signed_request(), 0);
}

/// How many extra headers `verify-wide` signs: about the most a server on
/// hyper's defaults lets through.
const WIDE: usize = 100;

/// A request that signs [`WIDE`] more headers, as clients that sign every
/// header do: unusual, but a caller may send it, so its cost is watched.
fn bench_verify_wide(c: &mut Criterion) {
    let request = (0..WIDE)
        .fold(request(), |request, i| request.header(&format!("X-Header-{i:03}"), "a value"));
    let signature = Signer::new(access_key(), secret()).sign(&request, now());
    let request = with_signature(request, &signature.expect("the request signs"));
    bench_verify(c, "verify-wide", &request, VerifierConfig::default().key_cache_capacity);
}

/// HMAC-SHA256 of `data` under `key`, once.
fn hmac_once(key: &[u8], data: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The HMAC state keyed with the day's signing key, ready to clone.
fn keyed_state() -> Hmac<Sha256> {
    let k_date = hmac_once(format!("AWS4{SECRET}").as_bytes(), &AMZ_DATE[..8]);
    let k_region = hmac_once(&k_date, "us-east-1");
    let k_service = hmac_once(&k_region, "para");
    let k_signing = hmac_once(&k_service, "aws4_request");
    Hmac::<Sha256>::new_from_slice(&k_signing).expect("HMAC takes any key length")
}

/// The floor: hash, hex, string to sign (into a reused buffer), one HMAC.
fn floor_signature(key: &Hmac<Sha256>, canonical: &[u8], buffer: &mut Vec<u8>) -> [u8; 32] {
    let mut hash_hex = [0u8; 64];
    hex::encode_to_slice(Sha256::digest(canonical), &mut hash_hex).expect("32 bytes fill 64");

    buffer.clear();
    buffer.extend_from_slice(STRING_TO_SIGN_HEAD.as_bytes());
    buffer.extend_from_slice(&hash_hex);

    let mut mac = key.clone();
    mac.update(buffer);
    mac.finalize().into_bytes().into()
}

fn bench_floor(c: &mut Criterion) {
    let signer = Signer::new(access_key(), secret());
    let ours = our_signature(&signer);
    let signed = signed_request(&ours);
    let rules = CanonicalRules::PARA;
    let canonical =
        para_auth::sigv4::canonical_request(&signed, "host;x-amz-date", EMPTY_SHA256, rules, false)
            .expect("the canonical request is built");

    // The floor must do the real work: its MAC is our signature.
    let key = keyed_state();
    let mut buffer = Vec::with_capacity(STRING_TO_SIGN_HEAD.len() + 64);
    let floor = hex::encode(floor_signature(&key, canonical.as_bytes(), &mut buffer));
    assert_eq!(floor, signature_part(&ours.authorization), "floor MAC against our signature");

    let mut group = c.benchmark_group("floor");
    group.bench_function("sha256-hmac", |b| {
        b.iter(|| floor_signature(&key, black_box(canonical.as_bytes()), &mut buffer))
    });
    group.finish();
}

/// A signer and a verifier that know this benchmark's request in advance.
///
/// Both take the shape as given: the `Authorization` layout every client
/// writes, the scope of `STRING_TO_SIGN_HEAD`, a path with nothing to
/// escape, a query of pairs already in canonical form, no body, and (for the
/// signer) `Host` as the only header. Neither looks up a key, consults a
/// cache or checks the clock. What is left is the work every signer and
/// verifier of this request does in some form: read it, write the
/// canonical request into one buffer, hash it, write the string to sign,
/// MAC it. They are not general and not safe to use: they only bound what a
/// general one can reach.
mod bound {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    use para_auth::sigv4::EMPTY_SHA256;
    use para_auth::{OwnedRequest, Timestamp};

    const PREFIX: &[u8] = b"AWS4-HMAC-SHA256 Credential=";
    const SCOPE: &str = "20240102/us-east-1/para/aws4_request";
    /// The headers the signer signs.
    const LIST: &str = "host;x-amz-date";

    /// Text gathered in a fixed buffer, for one call to the hash.
    struct Text {
        bytes: [u8; 512],
        len: usize,
    }

    impl Text {
        fn new() -> Self {
            Text { bytes: [0; 512], len: 0 }
        }

        fn put(&mut self, piece: &[u8]) {
            self.bytes[self.len..self.len + piece.len()].copy_from_slice(piece);
            self.len += piece.len();
        }

        fn as_slice(&self) -> &[u8] {
            &self.bytes[..self.len]
        }
    }

    fn header<'r>(request: &'r OwnedRequest, name: &[u8]) -> Option<&'r [u8]> {
        let mut headers = request.headers.iter();
        let found = headers.find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name));
        found.map(|(_, value)| value.trim_ascii())
    }

    fn hex64(digest: &[u8]) -> [u8; 64] {
        let mut hex = [0u8; 64];
        hex::encode_to_slice(digest, &mut hex).expect("32 bytes fill 64");
        hex
    }

    fn split_at_byte(bytes: &[u8], byte: u8) -> (&[u8], &[u8]) {
        match memchr::memchr(byte, bytes) {
            Some(at) => (&bytes[..at], &bytes[at + 1..]),
            None => (bytes, b""),
        }
    }

    /// Method, path, the query's pairs in order, headers, list, payload hash.
    fn canonical(request: &OwnedRequest, headers: &[(&[u8], &[u8])], list: &[u8]) -> Text {
        let mut text = Text::new();
        let (path, query) = split_at_byte(&request.target, b'?');
        let mut pairs: [&[u8]; 8] = [b""; 8];
        let mut count = 0;
        for pair in query.split(|&b| b == b'&') {
            pairs[count] = pair;
            count += 1;
        }
        pairs[..count].sort_unstable();
        for piece in [request.method.as_bytes(), b"\n", path, b"\n"] {
            text.put(piece);
        }
        for (i, pair) in pairs[..count].iter().enumerate() {
            text.put(if i == 0 { b"" } else { b"&" });
            text.put(pair);
        }
        text.put(b"\n");
        for (name, value) in headers {
            for piece in [*name, b":", value, b"\n"] {
                text.put(piece);
            }
        }
        for piece in [b"\n", list, b"\n", EMPTY_SHA256.as_bytes()] {
            text.put(piece);
        }
        text
    }

    /// The MAC of the string to sign for `canonical` at `amz_date`.
    fn mac(key: &Hmac<Sha256>, amz_date: &[u8], canonical: &Text) -> Hmac<Sha256> {
        let hash = hex64(&Sha256::digest(canonical.as_slice()));
        let mut text = Text::new();
        for piece in [b"AWS4-HMAC-SHA256\n", amz_date, b"\n", SCOPE.as_bytes(), b"\n", &hash] {
            text.put(piece);
        }
        let mut mac = key.clone();
        mac.update(text.as_slice());
        mac
    }

    /// The `Authorization` value for the request (whose only header is `Host`).
    pub(super) fn sign(key: &Hmac<Sha256>, request: &OwnedRequest, now: Timestamp) -> String {
        let Ok(amz_date) = now.to_amz_date() else { return String::new() };
        let amz_date = amz_date.as_str().as_bytes();
        let host = header(request, b"host").unwrap_or_default();
        let headers: [(&[u8], &[u8]); 2] = [(b"host", host), (b"x-amz-date", amz_date)];
        let signature = mac(key, amz_date, &canonical(request, &headers, LIST.as_bytes()));
        let mut authorization = String::with_capacity(200);
        for piece in ["AWS4-HMAC-SHA256 Credential=app:myapp/", SCOPE, ", SignedHeaders="] {
            authorization.push_str(piece);
        }
        let signature = hex64(&signature.finalize().into_bytes());
        let signature = std::str::from_utf8(&signature).expect("hex is ASCII");
        for piece in [LIST, ", Signature=", signature] {
            authorization.push_str(piece);
        }
        authorization
    }

    /// Whether the request's signature is right, reading only what it signs.
    pub(super) fn verify(key: &Hmac<Sha256>, request: &OwnedRequest) -> bool {
        let (Some(authorization), Some(amz_date)) =
            (header(request, b"authorization"), header(request, b"x-amz-date"))
        else {
            return false;
        };
        let Some(rest) = authorization.strip_prefix(PREFIX) else { return false };
        let (credential, rest) = split_at_byte(rest, b',');
        let Some(rest) = rest.strip_prefix(b" SignedHeaders=") else { return false };
        let (list, rest) = split_at_byte(rest, b',');
        let Some(hex_signature) = rest.strip_prefix(b" Signature=") else { return false };
        let (_access_key, scope) = split_at_byte(credential, b'/');
        if scope != SCOPE.as_bytes() || amz_date.get(..8) != Some(&SCOPE.as_bytes()[..8]) {
            return false;
        }
        let mut signature = [0u8; 32];
        if hex::decode_to_slice(hex_signature, &mut signature).is_err() {
            return false;
        }

        let mut headers: [(&[u8], &[u8]); 8] = [(b"", b""); 8];
        let mut count = 0;
        for name in list.split(|&b| b == b';') {
            let Some(value) = header(request, name) else { return false };
            headers[count] = (name, value);
            count += 1;
        }
        let canonical = canonical(request, &headers[..count], list);
        mac(key, amz_date, &canonical).verify_slice(&signature).is_ok()
    }
}

/// The aws-sigv4 crate, set up to sign as Para does.
#[cfg(feature = "compare")]
mod aws {
    use std::hint::black_box;
    use std::time::{Duration, UNIX_EPOCH};

    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{self, SignableBody, SignableRequest, SigningParams};
    use aws_sigv4::http_request::{PayloadChecksumKind, PercentEncodingMode, SigningSettings};
    use aws_sigv4::http_request::{SessionTokenMode, UriPathNormalizationMode};
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;
    use criterion::BenchmarkGroup;
    use criterion::measurement::WallTime;

    use super::{ACCESS_KEY, HOST, METHOD, NOW, SECRET, TARGET};

    /// Para's flavour: the path encoded twice and not normalised, no
    /// `x-amz-content-sha256` header, no session token.
    fn settings() -> SigningSettings {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Double;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        settings.session_token_mode = SessionTokenMode::Exclude;
        settings
    }

    fn params(identity: &Identity) -> SigningParams<'_> {
        let time = UNIX_EPOCH + Duration::from_secs(NOW.unsigned_abs());
        let params = v4::SigningParams::builder()
            .identity(identity)
            .region("us-east-1")
            .name("para")
            .time(time)
            .settings(settings())
            .build()
            .expect("the signing parameters are complete");
        params.into()
    }

    /// Sign the request; the output holds the headers to add.
    fn sign<'a>(params: &'a SigningParams<'a>) -> http_request::SigningInstructions {
        let headers = [("Host", HOST)].into_iter();
        let request = SignableRequest::new(METHOD, TARGET, headers, SignableBody::empty())
            .expect("aws-sigv4 takes the request");
        let output = http_request::sign(request, params).expect("aws-sigv4 signs");
        output.into_parts().0
    }

    /// Check aws-sigv4 agrees with `ours` (hex signature), then time it.
    pub(super) fn bench(group: &mut BenchmarkGroup<'_, WallTime>, ours: &str) {
        let credentials = Credentials::new(ACCESS_KEY, SECRET, None, None, "bench");
        let identity: Identity = credentials.into();
        let params = params(&identity);

        let instructions = sign(&params);
        let authorization = instructions
            .headers()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.to_owned())
            .expect("aws-sigv4 adds Authorization");
        assert_eq!(super::signature_part(&authorization), ours, "aws-sigv4 against para-auth");

        group.bench_function("aws-sigv4", |b| b.iter(|| sign(black_box(&params))));
    }
}

criterion_group!(
    benches,
    bench_sign,
    bench_verify_warm,
    bench_verify_cold,
    bench_verify_wide,
    bench_presign,
    bench_floor
);
criterion_main!(benches);

//! Property tests: sign-then-verify round-trips (with every signer option,
//! header-signed and presigned), any changed signed byte is refused, a
//! mismatch's diagnostic shows what the verifier hashed, the signer refuses
//! header names no verifier can read, and no input panics the parser, the
//! verifier or the signer.

use para_auth::block_on_ready;
use para_auth::sigv4::{CanonicalRules, SignOptions, SignedRequest, Signer, Verifier};
use para_auth::sigv4::{PayloadCheck, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, Error, Malformed, OwnedRequest, Reason, SecretKey, Timestamp};
use proptest::prelude::*;

#[path = "common/query.rs"]
mod common;
use sha2::{Digest, Sha256};

/// HMAC-SHA-256, from the `hmac` crate.
fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().into()
}

const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);

fn key() -> AccessKey {
    AccessKey::new("app:myapp").unwrap()
}

fn secret() -> SecretKey {
    SecretKey::new("FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==").unwrap()
}

fn verifier(config: VerifierConfig) -> Verifier<MemoryAppStore> {
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key(), secret()));
    Verifier::with_config(store, config)
}

/// Path bytes: anything but `?`, `#` and control bytes, after a leading `/`.
fn path() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        any::<u8>().prop_filter("no ?, # or controls", |b| !b"?#".contains(b) && *b >= 0x20),
        0..40,
    )
    .prop_map(|mut p| {
        p.insert(0, b'/');
        p
    })
}

/// A query piece: text with valid escapes, `+`, `=` and non-ASCII.
fn component() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        "[A-Za-z0-9._~-]{1,6}",
        Just("+".to_owned()),
        Just("%20".to_owned()),
        Just("%2f".to_owned()),
        Just("%E2%9C%93".to_owned()),
        Just("é".to_owned()),
        Just("=".to_owned()),
        Just("*".to_owned()),
    ];
    prop::collection::vec(atom, 0..4).prop_map(|parts| parts.concat())
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    // Up to a dozen, so that long signed lists are read as short ones are;
    // the short names repeat, in either case.
    let name = "[xX]-[a-zA-Z0-9-]{1,10}|[xX]-[aA]";
    let value = "[ -~]{0,20}|[a-zé ]{1,10}";
    prop::collection::vec((name, value), 0..12)
}

fn request() -> impl Strategy<Value = OwnedRequest> {
    (
        "[A-Z]{1,7}",
        path(),
        common::query(component),
        headers(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(method, path, query, headers, body)| {
            let mut target = path;
            if !query.is_empty() {
                target.push(b'?');
                target.extend_from_slice(query.as_bytes());
            }
            let mut request = OwnedRequest::new(&method, target).header("Host", "localhost:8080");
            for (n, v) in headers {
                request = request.header(&n, v);
            }
            request.with_body(body)
        })
}

fn sign(request: &OwnedRequest) -> OwnedRequest {
    let signature = Signer::new(key(), secret()).sign(request, NOW).expect("signing");
    let mut signed = request.clone();
    for (n, v) in signature.headers() {
        signed = signed.header(n, v);
    }
    signed
}

/// Any of the signer's options, with the verifier settings that match them.
fn options() -> impl Strategy<Value = (SignOptions, VerifierConfig)> {
    let rules = prop_oneof![
        Just(CanonicalRules::PARA),
        Just(CanonicalRules::AWS),
        Just(CanonicalRules::S3)
    ];
    let token = prop::option::of("[A-Za-z0-9+/=]{1,30}");
    (rules, any::<bool>(), any::<bool>(), token).prop_map(|(rules, content, unsigned, token)| {
        let options = SignOptions {
            rules,
            content_sha256_header: content,
            unsigned_payload: unsigned,
            session_token: token,
            ..SignOptions::default()
        };
        let config =
            VerifierConfig { rules, allow_unsigned_payload: unsigned, ..VerifierConfig::default() };
        (options, config)
    })
}

/// Any method, target bytes and body, and up to five headers whose names
/// match `names` and whose values are any bytes, up to `value_len` of them.
fn arbitrary_request(names: &'static str, value_len: usize) -> impl Strategy<Value = OwnedRequest> {
    let header = (names, prop::collection::vec(any::<u8>(), 0..value_len));
    (
        "[ -~]{0,8}",
        prop::collection::vec(any::<u8>(), 0..80),
        prop::collection::vec(header, 0..6),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(|(method, target, headers, body)| OwnedRequest {
            headers,
            ..OwnedRequest::new(&method, target).with_body(body)
        })
}

/// Whether a `%` in `bytes` is not followed by two hex digits.
fn has_broken_escape(bytes: &[u8]) -> bool {
    (0..bytes.len()).any(|i| {
        bytes[i] == b'%'
            && !bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })
}

/// Replace one alphanumeric byte with another that differs even ignoring case
/// (so a `%2f` never becomes the equivalent `%2F`).
fn mutate(bytes: &mut [u8], pick: usize) -> bool {
    let spots: Vec<usize> =
        (0..bytes.len()).filter(|&i| bytes[i].is_ascii_alphanumeric()).collect();
    if spots.is_empty() {
        return false;
    }
    let i = spots[pick % spots.len()];
    bytes[i] = if bytes[i].eq_ignore_ascii_case(&b'q') { b'7' } else { b'q' };
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_round_trips(request in request()) {
        let signed = sign(&request);
        let verified = block_on_ready(verifier(VerifierConfig::default()).verify(&signed, NOW));
        prop_assert!(verified.is_ok(), "{:?}: {:?}", signed, verified.err());
    }

    #[test]
    fn every_option_signs_and_presigns_what_verifies(
        request in request(),
        (options, config) in options(),
        expires in 1..=604_800u32,
    ) {
        let (unsigned, s3) = (options.unsigned_payload, options.rules == CanonicalRules::S3);
        let expect = if unsigned { PayloadCheck::Unsigned } else { PayloadCheck::Verified };
        let signer = Signer::new(key(), secret()).with_options(options);
        let verifier = verifier(config);

        // S3's rule decodes the path: a broken escape in it cannot be signed.
        let path = request.target.split(|&b| b == b'?').next().unwrap_or_default();
        if s3 && has_broken_escape(path) {
            let refused = signer.sign(&request, NOW);
            prop_assert!(matches!(refused, Err(Error::Malformed(Malformed::PercentEscape))));
            return Ok(());
        }
        let signature = signer.sign(&request, NOW).expect("signing");
        let signed = signature.headers().fold(request.clone(), |r, (n, v)| r.header(n, v));
        let verified = block_on_ready(verifier.verify(&signed, NOW));
        prop_assert_eq!(verified.map(|v| v.payload()).ok(), Some(expect), "{:?}", signed);

        // A URL is text: a target that is not UTF-8 cannot be presigned.
        let presigned = signer.presign(&request, NOW, expires);
        if std::str::from_utf8(&request.target).is_err() {
            prop_assert!(matches!(presigned, Err(Error::Config(_))), "{:?}", presigned);
            return Ok(());
        }
        let mut request = request;
        request.target = presigned.expect("presigning").target.into_bytes();
        let verified = block_on_ready(verifier.verify(&request, NOW));
        prop_assert_eq!(verified.map(|v| v.payload()).ok(), Some(expect), "{:?}", request);
    }

    #[test]
    fn any_changed_signed_byte_is_refused(
        request in request(),
        part in 0usize..4,
        pick in any::<usize>(),
    ) {
        let mut signed = sign(&request);
        let changed = match part {
            0 => {
                let mut method = signed.method.clone().into_bytes();
                let changed = mutate(&mut method, pick);
                signed.method = String::from_utf8(method).unwrap();
                changed
            }
            1 => mutate(&mut signed.target, pick),
            2 => {
                // A signed header value other than the signature itself.
                let i = pick % (signed.headers.len() - 1);
                mutate(&mut signed.headers[i].1, pick / 7)
            }
            _ => mutate(&mut signed.body, pick),
        };
        prop_assume!(changed);
        let verdict = block_on_ready(verifier(VerifierConfig::default()).verify(&signed, NOW));
        let Err(error) = verdict else {
            return Err(TestCaseError::fail(format!("accepted after a change: {signed:?}")));
        };
        // The signature no longer matches, or a more precise reason: the
        // change broke an escape in the target or the date (`malformed`).
        let precise: &[Reason] = match part {
            0 | 3 => &[Reason::SignatureMismatch],
            _ => &[Reason::SignatureMismatch, Reason::Malformed],
        };
        prop_assert!(precise.contains(&error.reason()), "part {}: {:?}: {:?}", part, error, signed);
    }

    #[test]
    fn no_input_panics_the_verifier(
        request in arbitrary_request("[A-Za-z-]{1,20}", 80),
        authorization in auth_fragments(),
    ) {
        let request = request
            .header("Authorization", authorization)
            .header("X-Amz-Date", "20240102T030405Z");
        let _ = SignedRequest::parse(&request);
        let config = VerifierConfig { diagnostics: true, ..VerifierConfig::default() };
        let _ = block_on_ready(verifier(config).verify(&request, NOW));
    }

    /// Whatever the request and the options, signing and presigning either
    /// succeed or give a typed error, `malformed` or `config`: the reasons
    /// a signer has (the others are a verifier's).
    #[test]
    fn no_input_panics_the_signer(
        request in arbitrary_request("[ -~]{0,12}", 40),
        (options, _) in options(),
        unsigned in prop::collection::vec("[ -~]{0,12}", 0..3),
        expires in any::<u32>(),
    ) {
        let signer = Signer::new(key(), secret())
            .with_options(SignOptions { unsigned_headers: unsigned, ..options });
        let outcomes = [
            signer.sign(&request, NOW).err(),
            signer.presign(&request, NOW, expires).err(),
        ];
        for error in outcomes.into_iter().flatten() {
            let reason = error.reason();
            prop_assert!(matches!(reason, Reason::Malformed | Reason::Config), "{:?}", error);
        }
    }

    /// On a mismatch, the diagnostic shows the very bytes the verifier
    /// hashed: its string to sign names the SHA-256 of its canonical
    /// request, and under the signer's secret that string gives the
    /// request's signature (the verifier's secret differs).
    #[test]
    fn mismatch_diagnostics_show_what_the_verifier_hashed(request in request()) {
        let signed = sign(&request);
        let store = MemoryAppStore::new();
        let other = SecretKey::new("another-secret-another-secret-another-secret").unwrap();
        store.insert(AppRecord::new(key(), other));
        let config = VerifierConfig { diagnostics: true, ..VerifierConfig::default() };
        let refused = block_on_ready(Verifier::with_config(store, config).verify(&signed, NOW));
        let error = refused.expect_err("another secret");
        let diagnostic = error.diagnostic().expect("diagnostics are on");

        let hash = hex::encode(Sha256::digest(diagnostic.canonical_request.as_bytes()));
        prop_assert!(diagnostic.string_to_sign.ends_with(&hash), "{:?}", diagnostic);
        let mut key = format!("AWS4{}", secret().expose_secret()).into_bytes();
        for part in ["20240102", "us-east-1", "para", "aws4_request"] {
            key = hmac(&key, part.as_bytes()).to_vec();
        }
        let expected = hex::encode(hmac(&key, diagnostic.string_to_sign.as_bytes()));
        let authorization = signed.headers.iter().find(|(n, _)| n == "Authorization").unwrap();
        let authorization = std::str::from_utf8(&authorization.1).unwrap();
        prop_assert!(authorization.ends_with(&format!("Signature={expected}")), "{:?}", diagnostic);
    }

    /// RFC 9110 makes a field name a token; the signed-header list can hold
    /// nothing else (`;` would split a name, a space end the list).
    #[test]
    fn header_names_sign_and_verify_or_are_refused(
        name in "[ -~]{1,8}|[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,8}",
        presign in any::<bool>(),
    ) {
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        let request = OwnedRequest::new("GET", "/v1/x").header("Host", "h").header(&name, "v");
        let signer = Signer::new(key(), secret());
        let signed = if presign {
            signer.presign(&request, NOW, 60).map(|url| {
                let mut presigned = request.clone();
                presigned.target = url.target.into_bytes();
                presigned
            })
        } else {
            signer.sign(&request, NOW).map(|_| sign(&request))
        };
        match signed {
            Ok(signed) => {
                prop_assert!(name.chars().all(tchar), "signed a header named {name:?}");
                let verified =
                    block_on_ready(verifier(VerifierConfig::default()).verify(&signed, NOW));
                prop_assert!(verified.is_ok(), "{name:?}: {:?}", verified.err());
            }
            Err(error) => {
                prop_assert!(!name.chars().all(tchar), "refused {name:?}: {error:?}");
                prop_assert!(matches!(error, Error::Malformed(Malformed::HeaderName)), "{error:?}");
            }
        }
    }

    #[test]
    fn no_input_panics_the_raw_reader(raw in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(request) = OwnedRequest::parse_http1(&raw) {
            let _ = block_on_ready(verifier(VerifierConfig::default()).verify(&request, NOW));
        }
    }
}

/// Authorization values built from plausible and broken fragments.
fn auth_fragments() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(b"AWS4-HMAC-SHA256 ".to_vec()),
        Just(b"Credential=app:myapp/20240102/us-east-1/para/aws4_request".to_vec()),
        Just(b"Credential=/".to_vec()),
        Just(b", ".to_vec()),
        Just(b",".to_vec()),
        Just(b"SignedHeaders=host;x-amz-date".to_vec()),
        Just(b"SignedHeaders=;".to_vec()),
        Just(b"Signature=".to_vec()),
        Just(b"3ed4c3f81054ea75ab7382e5e87777f4f07c09b98fb47448e1fcda9e169e0f8d".to_vec()),
        Just(b"=".to_vec()),
        Just(vec![0xff, 0xfe]),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(fragment, 0..8).prop_map(|parts| parts.concat())
}

//! What verifying and issuing one Para user token costs.
//!
//! Every case works on the token Para issued for user `1234567890` of
//! `app:myapp` at 2024-01-02T03:04:05Z (HS256, valid for a day), keyed with the
//! app secret followed by the user's token secret: 100 bytes.
//!
//! - `token-verify/para-auth`: [`Tokens::verify`] at the issue time, over
//!   in-memory stores that know the app and the user.
//! - `token-verify/floor`: the work no verifier can avoid, as a yardstick: one
//!   HMAC-SHA256 under the 100-byte key over `header.payload`, compared in
//!   constant time with the signature, decoded beforehand.
//! - `token-issue/para-auth`: [`issue_user_token`] for the same user and time.
//! - `token-reject-8mib/para-auth`: verifying 8 MiB of `a`, refused by size.
//! - `token-verify/jsonwebtoken`, `token-issue/jsonwebtoken`: the jsonwebtoken
//!   crate on the same token and claims, with `--features compare` only.
//!
//! Run: `cargo bench --bench tokens --features compare`.

#![expect(missing_docs, reason = "criterion_group! defines an undocumented `pub fn`")]
#![expect(clippy::expect_used, reason = "a failed setup is a broken benchmark: it panics")]

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use para_auth::jwt::{Claims, Tokens, issue_user_token};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::users::{MemoryUserStore, UserRecord};
use para_auth::{AccessKey, AppId, Reason, SecretKey, Timestamp, block_on_ready};

const APP_ID: &str = "app:myapp";
const APP_SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const USER_ID: &str = "1234567890";
const USER_SECRET: &str = "FAKEuserTokenSecretFAKEuserTokenSecret12345=";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.\
    eyJzdWIiOiIxMjM0NTY3ODkwIiwibmJmIjoxNzA0MTY0NjQ1LCJyZWZyZXNoIjoxNzA0MTY4MjQ1MDAwLCJhcHBpZC\
    I6ImFwcDpteWFwcCIsImlkcCI6ImdlbmVyaWMiLCJleHAiOjE3MDQyNTEwNDUsImlhdCI6MTcwNDE2NDY0NX0.\
    KbkIAf7ZwDMApEYNHn_BjhZipsA00mmI2nJZ5K7umws";

/// 2024-01-02T03:04:05Z: when Para issued the token.
const NOW: i64 = 1_704_164_645;
/// The token's lifetimes: valid for a day, refresh after an hour.
const VALIDITY_SECS: u32 = 86_400;
const REFRESH_SECS: u32 = 3_600;

fn now() -> Timestamp {
    Timestamp::from_unix(NOW)
}

fn app_id() -> AppId {
    AppId::new(APP_ID).expect("the app id parses")
}

fn app() -> AppRecord {
    let secret = SecretKey::new(APP_SECRET).expect("the app secret parses");
    AppRecord::new(AccessKey::from(app_id()), secret)
        .with_token_lifetimes(VALIDITY_SECS, REFRESH_SECS)
}

fn user() -> UserRecord {
    let secret = SecretKey::new(USER_SECRET).expect("the token secret parses");
    UserRecord::new(app_id(), USER_ID).expect("the user is made").with_token_secret(secret)
}

/// The user token's key: the app secret's text, then the user's token secret's.
fn key() -> Vec<u8> {
    let key = [APP_SECRET, USER_SECRET].concat().into_bytes();
    assert_eq!(key.len(), 100, "key length");
    key
}

/// The claims of the token, as Para wrote them.
fn paras_claims() -> Claims {
    Claims {
        sub: Some(USER_ID.to_owned()),
        appid: APP_ID.to_owned(),
        idp: Some("generic".to_owned()),
        iat: Some(1_704_164_645),
        nbf: Some(1_704_164_645),
        exp: Some(1_704_251_045),
        refresh: Some(1_704_168_245_000),
    }
}

fn tokens() -> Tokens<MemoryAppStore, MemoryUserStore> {
    let apps = MemoryAppStore::new();
    apps.insert(app());
    let users = MemoryUserStore::new();
    users.insert(user());
    Tokens::new(apps, users)
}

/// The floor: one keyed HMAC over the signing input, checked in constant time.
fn floor_verify(key: &[u8], signing_input: &[u8], signature: &[u8]) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signing_input);
    mac.verify_slice(signature).is_ok()
}

fn bench_floor(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let (signing_input, encoded) = TOKEN.rsplit_once('.').expect("the token has a signature");
    let signature = URL_SAFE_NO_PAD.decode(encoded).expect("the signature is base64url");
    let key = key();

    // The floor must do the real work: it accepts the token and refuses another key.
    assert!(floor_verify(&key, signing_input.as_bytes(), &signature), "floor, right key");
    assert!(!floor_verify(&key[1..], signing_input.as_bytes(), &signature), "floor, wrong key");

    group.bench_function("floor", |b| {
        b.iter(|| floor_verify(&key, black_box(signing_input.as_bytes()), &signature))
    });
}

fn bench_verify(c: &mut Criterion) {
    let tokens = tokens();
    let app_id = app_id();
    let verified = block_on_ready(tokens.verify(TOKEN, Some(&app_id), now()));
    let verified = verified.expect("Para's token verifies at its issue time");
    assert_eq!(verified.user().map(|u| u.id.as_str()), Some(USER_ID), "verified user");
    assert_eq!(verified.claims(), &paras_claims(), "verified claims");

    let mut group = c.benchmark_group("token-verify");
    group.bench_function("para-auth", |b| {
        b.iter(|| block_on_ready(tokens.verify(black_box(TOKEN), Some(&app_id), now())))
    });
    #[cfg(feature = "compare")]
    jwt::bench_verify(&mut group, &key());
    bench_floor(&mut group);
    group.finish();
}

fn bench_issue(c: &mut Criterion) {
    let (app, user) = (app(), user());
    let issued = issue_user_token(&app, &user, Some("generic"), now()).expect("the token issues");
    assert_eq!(issued.claims, paras_claims(), "issued claims against Para's");
    let verified = block_on_ready(tokens().verify(&issued.access_token, Some(&app_id()), now()));
    verified.expect("our token verifies");

    let mut group = c.benchmark_group("token-issue");
    group.bench_function("para-auth", |b| {
        b.iter(|| issue_user_token(black_box(&app), &user, Some("generic"), now()))
    });
    #[cfg(feature = "compare")]
    jwt::bench_issue(&mut group, &issued.claims, &key());
    group.finish();
}

fn bench_reject_huge(c: &mut Criterion) {
    let tokens = tokens();
    let huge = "a".repeat(8 * 1024 * 1024);
    let refused = block_on_ready(tokens.verify(&huge, None, now()));
    let reason = refused.expect_err("8 MiB is refused").reason();
    assert_eq!(reason, Reason::Malformed, "reason for 8 MiB");

    let mut group = c.benchmark_group("token-reject-8mib");
    group.bench_function("para-auth", |b| {
        b.iter(|| block_on_ready(tokens.verify(black_box(&huge), None, now())))
    });
    group.finish();
}

/// The jsonwebtoken crate, on the same token and claims.
#[cfg(feature = "compare")]
mod jwt {
    use std::hint::black_box;

    use criterion::BenchmarkGroup;
    use criterion::measurement::WallTime;
    use jsonwebtoken::errors::ErrorKind;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
    use para_auth::block_on_ready;
    use para_auth::jwt::Claims;

    use super::{APP_ID, TOKEN, USER_ID};

    /// Para's claims, as jsonwebtoken reads them.
    #[derive(Debug, serde::Deserialize)]
    struct WireClaims {
        sub: String,
        appid: String,
        idp: String,
        iat: i64,
        nbf: i64,
        exp: i64,
        refresh: i64,
    }

    /// The one backend built, made the process default.
    fn rust_crypto() {
        let wanted = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
        if let Err(installed) = wanted.install_default() {
            assert!(std::ptr::eq(installed, wanted), "another crypto provider is installed");
        }
    }

    /// HS256 only, `exp` required and checked, no leeway.
    fn validation() -> Validation {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation
    }

    /// jsonwebtoken cannot be given a time: on the wall clock, long after the
    /// token's `exp`, it checks the MAC, reads the claims, then finds the token
    /// expired. That refusal is what is timed; setup checks nothing else fails.
    pub(super) fn bench_verify(group: &mut BenchmarkGroup<'_, WallTime>, key: &[u8]) {
        rust_crypto();
        let key = DecodingKey::from_secret(key);
        let validation = validation();
        let refused = decode::<WireClaims>(TOKEN, &key, &validation).expect_err("expired");
        assert!(matches!(refused.kind(), ErrorKind::ExpiredSignature), "{refused:?}");

        let mut unclocked = validation.clone();
        unclocked.validate_exp = false;
        let read = decode::<WireClaims>(TOKEN, &key, &unclocked).expect("the token reads").claims;
        assert_eq!((read.sub.as_str(), read.appid.as_str()), (USER_ID, APP_ID), "{read:?}");
        assert_eq!((read.idp.as_str(), read.iat, read.nbf), ("generic", super::NOW, super::NOW));
        assert_eq!((read.exp, read.refresh), (1_704_251_045, 1_704_168_245_000), "{read:?}");

        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| decode::<WireClaims>(black_box(TOKEN), &key, &validation))
        });
    }

    /// jsonwebtoken writing `claims` under `key`, HS256 with its default header.
    pub(super) fn bench_issue(
        group: &mut BenchmarkGroup<'_, WallTime>,
        claims: &Claims,
        key: &[u8],
    ) {
        rust_crypto();
        let header = Header::new(Algorithm::HS256);
        let key = EncodingKey::from_secret(key);
        let token = encode(&header, claims, &key).expect("jsonwebtoken signs");

        // Its token must pass ours, for the same user.
        let tokens = super::tokens();
        let verified = block_on_ready(tokens.verify(&token, Some(&super::app_id()), super::now()));
        let verified = verified.expect("jsonwebtoken's token verifies in ours");
        assert_eq!(verified.claims(), claims, "claims through jsonwebtoken");

        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| encode(&header, black_box(claims), &key))
        });
    }
}

criterion_group!(benches, bench_verify, bench_issue, bench_reject_huge);
criterion_main!(benches);

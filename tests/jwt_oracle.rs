//! jsonwebtoken as a second, independent reader and writer of Para's tokens.
//!
//! - Tokens we issue (user and super, several apps, users and times) pass
//!   jsonwebtoken's checks with the right key and fail with any other.
//! - Tokens jsonwebtoken writes with HS256, HS384 and HS512 pass ours with the
//!   right key, for the right subject, and fail with any other; keys shorter
//!   than the hash are refused (RFC 7518 section 3.2).
//! - Para's own token reads the same in both.
//!
//! jsonwebtoken reads the wall clock and cannot be given a time. Where a test
//! pins the time, its time checks are off and the window is checked on the
//! claims it returns.
//!
//! Run: `cargo test --features compare --test jwt_oracle`.

#![cfg(feature = "compare")]

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use para_auth::jwt::{self, Claims, IssuedToken, Subject, Tokens, VerifiedToken};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::users::{MemoryUserStore, UserRecord};
use para_auth::{AccessKey, AppId, Reason, SecretKey, Timestamp, block_on_ready};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

const PARA_APP_SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const PARA_USER_SECRET: &str = "FAKEuserTokenSecretFAKEuserTokenSecret12345=";
const PARA_USER: &str = "1234567890";
/// A user token Para issued for `PARA_USER` of `app:myapp`, valid for a day.
const PARA_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.\
    eyJzdWIiOiIxMjM0NTY3ODkwIiwibmJmIjoxNzA0MTY0NjQ1LCJyZWZyZXNoIjoxNzA0MTY4MjQ1MDAwLCJhcHBpZC\
    I6ImFwcDpteWFwcCIsImlkcCI6ImdlbmVyaWMiLCJleHAiOjE3MDQyNTEwNDUsImlhdCI6MTcwNDE2NDY0NX0.\
    KbkIAf7ZwDMApEYNHn_BjhZipsA00mmI2nJZ5K7umws";

/// 2024-01-02T03:04:05Z: when Para issued its token.
const NOW: i64 = 1_704_164_645;
/// Para's default lifetimes: a token lasts a week, its refresh hint is an hour.
const WEEK: i64 = 604_800;
const HOUR: i64 = 3_600;

/// The three HMAC algorithms, as jsonwebtoken and as we name them.
const ALGORITHMS: [(Algorithm, jwt::Algorithm); 3] = [
    (Algorithm::HS256, jwt::Algorithm::HS256),
    (Algorithm::HS384, jwt::Algorithm::HS384),
    (Algorithm::HS512, jwt::Algorithm::HS512),
];

type Store = Tokens<MemoryAppStore, MemoryUserStore>;

/// Para's claims as jsonwebtoken reads and writes them: written here, not taken
/// from the crate under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct WireClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    appid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idp: Option<String>,
    iat: i64,
    nbf: i64,
    exp: i64,
    refresh: i64,
}

impl WireClaims {
    /// Claims issued at `at` with Para's default lifetimes.
    fn at(app: &AppRecord, sub: Option<&str>, idp: Option<&str>, at: i64) -> Self {
        WireClaims {
            sub: sub.map(str::to_owned),
            appid: app.app_id().unwrap().as_str().to_owned(),
            idp: idp.map(str::to_owned),
            iat: at,
            nbf: at,
            exp: at + WEEK,
            refresh: (at + HOUR) * 1_000,
        }
    }

    fn into_ours(self) -> Claims {
        Claims {
            sub: self.sub,
            appid: self.appid,
            idp: self.idp,
            iat: Some(self.iat),
            nbf: Some(self.nbf),
            exp: Some(self.exp),
            refresh: Some(self.refresh),
        }
    }
}

/// The claims of Para's token, as Para wrote them.
fn paras_claims() -> WireClaims {
    WireClaims {
        sub: Some(PARA_USER.to_owned()),
        appid: "app:myapp".to_owned(),
        idp: Some("generic".to_owned()),
        iat: 1_704_164_645,
        nbf: 1_704_164_645,
        exp: 1_704_251_045,
        refresh: 1_704_168_245_000,
    }
}

/// Make jsonwebtoken's RustCrypto backend the process default. With only the
/// `rust_crypto` feature it would pick it by itself; installing it says so.
fn rust_crypto() {
    let wanted = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    if let Err(installed) = wanted.install_default() {
        assert!(std::ptr::eq(installed, wanted), "another crypto provider is installed");
    }
}

/// jsonwebtoken's checks for `alg`: the MAC, and with `times`, `exp` and `nbf`
/// required and judged on the wall clock with no leeway.
///
/// Without `times` it requires no claim: it reads times as unsigned, so a
/// token from before 1970 would count as lacking them. [`WireClaims`] still
/// insists on every time.
fn validation(alg: Algorithm, times: bool) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = 0;
    validation.validate_exp = times;
    validation.validate_nbf = times;
    let required: &[&str] = if times { &["exp", "nbf"] } else { &[] };
    validation.set_required_spec_claims(required);
    validation
}

/// jsonwebtoken's reading of an HS256 `token`.
fn theirs(token: &str, key: &[u8], times: bool) -> Result<WireClaims, ErrorKind> {
    rust_crypto();
    let key = DecodingKey::from_secret(key);
    let read = decode::<WireClaims>(token, &key, &validation(Algorithm::HS256, times));
    read.map(|data| data.claims).map_err(jsonwebtoken::errors::Error::into_kind)
}

/// jsonwebtoken writing `claims` with `alg` under `key`.
fn their_token(alg: Algorithm, claims: &WireClaims, key: &[u8]) -> String {
    rust_crypto();
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
}

/// jsonwebtoken refuses `token` under `key` for a bad signature.
fn assert_bad_signature(token: &str, key: &[u8], what: &str) {
    let read = theirs(token, key, false);
    assert!(matches!(read, Err(ErrorKind::InvalidSignature)), "{what}: {read:?}");
}

/// A user token's key as Para defines it: the app secret's text, then the user's
/// token secret's.
fn user_key(app: &AppRecord, user: &UserRecord) -> Vec<u8> {
    let app_secret = app.secret.key().expose_secret();
    [app_secret, user.token_secret.expose_secret()].concat().into_bytes()
}

/// A super token's key: the app secret's text.
fn super_key(app: &AppRecord) -> Vec<u8> {
    app.secret.key().expose_secret().as_bytes().to_vec()
}

/// The key with its last bit flipped.
fn flipped(key: &[u8]) -> Vec<u8> {
    let mut key = key.to_vec();
    *key.last_mut().unwrap() ^= 1;
    key
}

fn app(id: &str, secret: &str) -> AppRecord {
    let id = AppId::new(id).unwrap();
    AppRecord::new(AccessKey::from(id), SecretKey::new(secret).unwrap())
}

/// A user of `app`, with a fresh token secret unless one is given.
fn user(app: &AppRecord, id: &str, token_secret: Option<&str>) -> UserRecord {
    let user = UserRecord::new(app.app_id().unwrap(), id).unwrap();
    match token_secret {
        Some(secret) => user.with_token_secret(SecretKey::new(secret).unwrap()),
        None => user,
    }
}

fn store(apps: &[&AppRecord], users: &[&UserRecord]) -> Store {
    let app_store = MemoryAppStore::new();
    for app in apps {
        app_store.insert((*app).clone());
    }
    let user_store = MemoryUserStore::new();
    for user in users {
        user_store.insert((*user).clone());
    }
    Tokens::new(app_store, user_store)
}

/// Our verdict on `token`, expected for `app`, at `at`.
fn ours(tokens: &Store, token: &str, app: &AppRecord, at: i64) -> Result<VerifiedToken, Reason> {
    let app_id = app.app_id().unwrap();
    let verdict = block_on_ready(tokens.verify(token, Some(&app_id), Timestamp::from_unix(at)));
    verdict.map_err(|e| e.reason())
}

/// The wall clock, read through jsonwebtoken: the time its checks use.
fn wall_clock() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap()
}

/// Apps and users of several shapes: Para's own secrets, generated ones, odd user ids.
fn population() -> Vec<(AppRecord, Vec<UserRecord>)> {
    let para = app("app:myapp", PARA_APP_SECRET);
    let para_users =
        vec![user(&para, PARA_USER, Some(PARA_USER_SECRET)), user(&para, "ann@example.com", None)];
    let shop = app("Shop EU", SecretKey::generate().unwrap().expose_secret());
    let shop_users = vec![user(&shop, "Zoë \"q\" \\ / \u{1F600}", None), user(&shop, "", None)];
    vec![(para, para_users), (shop, shop_users)]
}

/// Our user and super tokens for `app` at `at`, each with the claims it must
/// carry and the key that must verify it.
fn issued_by_us(
    app: &AppRecord,
    users: &[UserRecord],
    at: i64,
) -> Vec<(IssuedToken, WireClaims, Vec<u8>)> {
    let now = Timestamp::from_unix(at);
    let mut out = Vec::new();
    for user in users {
        let issued = jwt::issue_user_token(app, user, Some("generic"), now).unwrap();
        let want = WireClaims::at(app, Some(&user.id), Some("generic"), at);
        out.push((issued, want, user_key(app, user)));
    }
    let issued = jwt::issue_super_token(app, now).unwrap();
    out.push((issued, WireClaims::at(app, None, None, at), super_key(app)));
    out
}

/// jsonwebtoken reads `issued` as `want` under `key`, and refuses it under
/// the key flipped and under the other kind of key.
fn assert_read_back(issued: &IssuedToken, want: &WireClaims, key: &[u8], times: bool) {
    let token = &issued.access_token;
    let read = theirs(token, key, times);
    assert_eq!(read.as_ref().ok(), Some(want), "{want:?}: {read:?}");
    assert_eq!(want.clone().into_ours(), issued.claims, "claims we say we issued");

    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!((header.alg, header.typ.as_deref()), (Algorithm::HS256, Some("JWT")));
    assert_bad_signature(token, &flipped(key), "flipped key");
}

#[test]
fn our_tokens_pass_jsonwebtoken_on_its_own_clock() {
    let now = wall_clock();
    for (app, users) in population() {
        for (issued, want, key) in issued_by_us(&app, &users, now) {
            assert_read_back(&issued, &want, &key, true);
        }
    }
}

#[test]
fn our_tokens_at_pinned_times_read_the_same_in_jsonwebtoken() {
    // The epoch, 2001, Para's token, 2100.
    for at in [0, 1_000_000_000, NOW, 4_102_444_800] {
        for (app, users) in population() {
            for (issued, want, key) in issued_by_us(&app, &users, at) {
                assert_read_back(&issued, &want, &key, false);
            }
        }
    }
}

#[test]
fn our_user_and_super_keys_are_not_interchangeable_in_jsonwebtoken() {
    let (para, users) = population().swap_remove(0);
    let (shop, _) = population().swap_remove(1);
    let user = &users[0];
    let at = Timestamp::from_unix(NOW);

    let user_token = jwt::issue_user_token(&para, user, None, at).unwrap().access_token;
    assert_bad_signature(&user_token, &super_key(&para), "user token, app secret alone");
    let super_token = jwt::issue_super_token(&para, at).unwrap().access_token;
    assert_bad_signature(&super_token, &user_key(&para, user), "super token, user key");
    assert_bad_signature(&super_token, &super_key(&shop), "super token, another app's secret");
}

#[test]
fn jsonwebtoken_judges_our_times_on_its_clock() {
    let now = wall_clock();
    let (app, users) = population().swap_remove(0);
    let key = user_key(&app, &users[0]);
    let issue = |at: i64| {
        let issued = jwt::issue_user_token(&app, &users[0], None, Timestamp::from_unix(at));
        issued.unwrap().access_token
    };

    let expired = theirs(&issue(now - WEEK - HOUR), &key, true);
    assert!(matches!(expired, Err(ErrorKind::ExpiredSignature)), "{expired:?}");
    let early = theirs(&issue(now + HOUR), &key, true);
    assert!(matches!(early, Err(ErrorKind::ImmatureSignature)), "{early:?}");
    assert!(theirs(&issue(now - WEEK + HOUR), &key, true).is_ok());
}

#[test]
fn jsonwebtoken_user_tokens_verify_in_ours() {
    let app = app("app:myapp", PARA_APP_SECRET);
    let user = user(&app, PARA_USER, Some(PARA_USER_SECRET));
    let tokens = store(&[&app], &[&user]);
    let claims = WireClaims::at(&app, Some(PARA_USER), Some("generic"), NOW);

    for (alg, ours_alg) in ALGORITHMS {
        let token = their_token(alg, &claims, &user_key(&app, &user));
        let verified =
            ours(&tokens, &token, &app, NOW).unwrap_or_else(|r| panic!("{alg:?}: {r:?}"));
        let Subject::User(found) = verified.subject() else { panic!("{alg:?}: not a user") };
        assert_eq!(found.id, PARA_USER);
        assert_eq!(verified.algorithm(), ours_alg);
        assert_eq!(verified.claims(), &claims.clone().into_ours());

        for key in [flipped(&user_key(&app, &user)), super_key(&app)] {
            let refused = ours(&tokens, &their_token(alg, &claims, &key), &app, NOW).err();
            assert_eq!(refused, Some(Reason::BadSignature), "{alg:?}");
        }
    }
}

#[test]
fn jsonwebtoken_super_tokens_verify_in_ours() {
    // 48 random bytes: 64 characters of Base64, enough for HS512.
    let app = app("app:shop", SecretKey::random(48).unwrap().expose_secret());
    assert_eq!(super_key(&app).len(), 64);
    let other = user(&app, "someone", None);
    let tokens = store(&[&app], &[&other]);
    let claims = WireClaims::at(&app, None, None, NOW);

    for (alg, ours_alg) in ALGORITHMS {
        let token = their_token(alg, &claims, &super_key(&app));
        let verified =
            ours(&tokens, &token, &app, NOW).unwrap_or_else(|r| panic!("{alg:?}: {r:?}"));
        assert!(matches!(verified.subject(), Subject::Super), "{alg:?}");
        assert_eq!(verified.algorithm(), ours_alg);
        assert_eq!(verified.claims(), &claims.clone().into_ours());

        for key in [flipped(&super_key(&app)), user_key(&app, &other)] {
            let refused = ours(&tokens, &their_token(alg, &claims, &key), &app, NOW).err();
            assert_eq!(refused, Some(Reason::BadSignature), "{alg:?}");
        }
    }
}

#[test]
fn keys_shorter_than_the_hash_are_refused_as_algorithm() {
    // RFC 7518 section 3.2: the key must be at least as long as the hash output.
    let cases = [
        (Algorithm::HS256, 31, Some(Reason::Algorithm)),
        (Algorithm::HS256, 32, None),
        (Algorithm::HS384, 47, Some(Reason::Algorithm)),
        (Algorithm::HS384, 48, None),
        (Algorithm::HS512, 63, Some(Reason::Algorithm)),
        (Algorithm::HS512, 64, None),
    ];
    for (alg, len, want) in cases {
        let secret = "k".repeat(len);
        let app = app("app:short", &secret);
        let claims = WireClaims::at(&app, None, None, NOW);
        let token = their_token(alg, &claims, secret.as_bytes());
        let got = ours(&store(&[&app], &[]), &token, &app, NOW).err();
        assert_eq!(got, want, "{alg:?} with a {len}-byte key");
    }

    // Para's own app secret (56 bytes) is too short for an HS512 super token.
    let para = app("app:myapp", PARA_APP_SECRET);
    let token =
        their_token(Algorithm::HS512, &WireClaims::at(&para, None, None, NOW), &super_key(&para));
    assert_eq!(ours(&store(&[&para], &[]), &token, &para, NOW).err(), Some(Reason::Algorithm));
}

#[test]
fn paras_token_reads_the_same_in_both() {
    let app = app("app:myapp", PARA_APP_SECRET);
    let user = user(&app, PARA_USER, Some(PARA_USER_SECRET));
    let key = user_key(&app, &user);
    assert_eq!(key.len(), 100);

    let read = theirs(PARA_TOKEN, &key, false).unwrap();
    assert_eq!(read, paras_claims());
    let tokens = store(&[&app], &[&user]);
    for at in [read.nbf, 1_704_200_000, read.exp - 1] {
        let verified =
            ours(&tokens, PARA_TOKEN, &app, at).unwrap_or_else(|r| panic!("{at}: {r:?}"));
        assert_eq!(verified.user().map(|u| u.id.as_str()), Some(PARA_USER));
        assert_eq!(verified.claims(), &read.clone().into_ours());
    }

    // On its own clock, jsonwebtoken finds the MAC good and the token long expired.
    let expired = theirs(PARA_TOKEN, &key, true);
    assert!(matches!(expired, Err(ErrorKind::ExpiredSignature)), "{expired:?}");
    assert_bad_signature(PARA_TOKEN, &flipped(&key), "Para's token, flipped key");
}

/// The refresh hint Para's rule gives: the interval, or half the validity when
/// the validity is under two intervals.
fn refresh_hint(validity: u32, interval: u32) -> i64 {
    let hint = if u64::from(validity) < 2 * u64::from(interval) { validity / 2 } else { interval };
    i64::from(hint)
}

/// What a token issued at `at` under these lifetimes must carry.
fn expected(app: &AppRecord, sub: Option<&str>, idp: Option<&str>, at: i64) -> WireClaims {
    let validity = app.token_validity_secs;
    WireClaims {
        exp: at + i64::from(validity),
        refresh: (at + refresh_hint(validity, app.refresh_interval_secs)) * 1_000,
        ..WireClaims::at(app, sub, idp, at)
    }
}

/// Issue for `sub` (a user) or for the app (`None`), then read it back in
/// jsonwebtoken and in ours.
fn round_trip(
    app: &AppRecord,
    sub: Option<&str>,
    idp: Option<&str>,
    at: i64,
) -> Result<(), TestCaseError> {
    let now = Timestamp::from_unix(at);
    let user = sub.map(|id| user(app, id, None));
    let (issued, key, want) = match &user {
        Some(user) => (jwt::issue_user_token(app, user, idp, now), user_key(app, user), idp),
        None => (jwt::issue_super_token(app, now), super_key(app), None),
    };
    let issued = issued.unwrap();
    let want = expected(app, sub, want, at);

    let read = theirs(&issued.access_token, &key, false);
    prop_assert_eq!(read.as_ref().ok(), Some(&want), "{:?}", read);
    prop_assert_eq!(&issued.claims, &want.clone().into_ours());
    prop_assert_eq!(issued.expires, want.exp * 1_000);

    let tokens = store(&[app], &user.iter().collect::<Vec<_>>());
    let verified = ours(&tokens, &issued.access_token, app, at);
    let subject = verified.map(|v| v.user().map(|u| u.id.clone()));
    prop_assert_eq!(subject, Ok(sub.map(str::to_owned)));
    Ok(())
}

proptest! {
    #[test]
    fn issued_claims_read_back_the_same_in_jsonwebtoken(
        app_id in "[a-z0-9]{1,12}(-[a-z0-9]{1,6})?",
        sub in proptest::option::of(any::<String>()),
        idp in proptest::option::of(any::<String>()),
        // From year 1 to year 9999.
        at in -62_135_596_800i64..=253_402_300_799,
        validity in 1u32..,
        interval in any::<u32>(),
    ) {
        let secret = SecretKey::generate().unwrap();
        let app = app(&app_id, secret.expose_secret()).with_token_lifetimes(validity, interval);
        prop_assert_eq!(app.app_id().unwrap().to_string(), format!("app:{app_id}"));
        round_trip(&app, sub.as_deref(), idp.as_deref(), at)?;
    }
}

//! Arbitrary text as a token, verified against a store with one app and one
//! user; and arbitrary header and payload bytes (split at the first
//! newline) made into a token with a valid MAC under the app's secret, so
//! that what is checked behind the MAC (claims, times, the user) is reached.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use para_auth::jwt::Tokens;
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::users::{MemoryUserStore, UserRecord};
use para_auth::{AccessKey, AppId, SecretKey, Timestamp, block_on_ready};

const APP_SECRET: &str = "ssssssssssssssssssssssssssssssssssssssssssssssssssssssss";
const USER_SECRET: &str = "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu";

fuzz_target!(|data: &[u8]| {
    let app_id = AppId::new("myapp").expect("the app id reads");
    let apps = MemoryAppStore::new();
    let secret = SecretKey::new(APP_SECRET).expect("the secret reads");
    apps.insert(AppRecord::new(AccessKey::from(app_id.clone()), secret));
    let users = MemoryUserStore::new();
    let user = UserRecord::new(app_id.clone(), "1").expect("the user reads");
    users.insert(user.with_token_secret(SecretKey::new(USER_SECRET).expect("the secret reads")));
    let tokens = Tokens::new(apps, users);
    let now = Timestamp::from_unix(1_704_164_645);

    let text = String::from_utf8_lossy(data);
    let _ = block_on_ready(tokens.verify(&text, Some(&app_id), now));
    let _ = para_auth::jwt::dangerous::claims_unverified(&text);

    // The same bytes as header and payload, signed as a super token and as
    // the user's token.
    let (header, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b"{\"alg\":\"HS256\"}"[..], data),
    };
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    for (key, user_key) in
        [(APP_SECRET.to_owned(), false), (format!("{APP_SECRET}{USER_SECRET}"), true)]
    {
        let mac = para_auth::sigv4::hmac_sha256(key.as_bytes(), input.as_bytes());
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac));
        if let Ok(verified) = block_on_ready(tokens.verify(&token, Some(&app_id), now)) {
            // What verifies is unexpired, and speaks for whom its key names:
            // the app secret alone never makes a user's token, nor the
            // user's key a super token.
            let claims = verified.claims();
            // (`exp` shows rounded down: a verified one is at least `now`.)
            assert!(claims.exp.is_some_and(|exp| exp >= now.unix()), "verified past exp");
            assert_eq!(verified.user().is_some(), user_key, "{:?}", claims);
        }
    }
});

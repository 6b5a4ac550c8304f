//! Arbitrary text as a token, verified against a store with one app and one user.
#![no_main]

use libfuzzer_sys::fuzz_target;
use para_auth::jwt::Tokens;
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::users::{MemoryUserStore, UserRecord};
use para_auth::{AccessKey, AppId, SecretKey, Timestamp, block_on_ready};

fuzz_target!(|data: &[u8]| {
    let Ok(app_id) = AppId::new("myapp") else { return };
    let (Ok(secret), Ok(user)) =
        (SecretKey::new("s".repeat(56)), UserRecord::new(app_id.clone(), "1"))
    else {
        return;
    };
    let apps = MemoryAppStore::new();
    apps.insert(AppRecord::new(AccessKey::from(app_id.clone()), secret));
    let users = MemoryUserStore::new();
    users.insert(user);
    let tokens = Tokens::new(apps, users);
    let text = String::from_utf8_lossy(data);
    let _ =
        block_on_ready(tokens.verify(&text, Some(&app_id), Timestamp::from_unix(1_704_164_645)));
    let _ = para_auth::jwt::dangerous::claims_unverified(&text);
});

//! Property tests for tokens: issue-then-verify round-trips, any changed byte
//! fails, and no input panics the verifier.

use para_auth::jwt::{Subject, Tokens, issue_super_token, issue_user_token};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::users::{MemoryUserStore, UserRecord};
use para_auth::{AccessKey, AppId, SecretKey, Timestamp, block_on_ready};
use proptest::prelude::*;

fn stores(
    app: &str,
    user_id: &str,
) -> (Tokens<MemoryAppStore, MemoryUserStore>, AppRecord, UserRecord) {
    let app_id = AppId::new(app).unwrap();
    let record = AppRecord::new(AccessKey::from(app_id.clone()), SecretKey::generate().unwrap());
    let apps = MemoryAppStore::new();
    apps.insert(record.clone());
    let users = MemoryUserStore::new();
    let user = UserRecord::new(app_id, user_id).unwrap();
    users.insert(user.clone());
    (Tokens::new(apps, users), record, user)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn issued_user_tokens_verify(app in "[a-zA-Z][a-zA-Z0-9 _.-]{0,20}", user_id in "\\PC{1,30}",
                                 idp in "\\PC{0,20}", now in 0i64..4_000_000_000) {
        let (tokens, app, user) = stores(&app, &user_id);
        let now = Timestamp::from_unix(now);
        let issued = issue_user_token(&app, &user, Some(&idp), now).unwrap();
        let expected = app.app_id();
        let verified = block_on_ready(tokens.verify(&issued.access_token, expected.as_ref(), now));
        let verified = verified.unwrap();
        let Subject::User(who) = verified.subject() else { panic!("a user token") };
        prop_assert_eq!(&who.id, &user_id);
        prop_assert_eq!(verified.claims().idp.as_deref(), Some(idp.as_str()));
        prop_assert_eq!(verified.claims().exp, Some(now.unix() + 604_800));

        let super_token = issue_super_token(&app, now).unwrap();
        let verified = block_on_ready(tokens.verify(&super_token.access_token, None, now)).unwrap();
        prop_assert!(verified.user().is_none());
    }

    #[test]
    fn any_changed_byte_fails(pick in any::<usize>(), replacement in "[A-Za-z0-9_.=+/-]") {
        let (tokens, app, user) = stores("myapp", "1234");
        let now = Timestamp::from_unix(1_704_164_645);
        let token = issue_user_token(&app, &user, None, now).unwrap().access_token;
        let i = pick % token.len();
        let mut bytes = token.clone().into_bytes();
        let new = replacement.as_bytes()[0];
        prop_assume!(bytes[i] != new);
        bytes[i] = new;
        let changed = String::from_utf8(bytes).unwrap();
        let verdict = block_on_ready(tokens.verify(&changed, None, now));
        prop_assert!(verdict.is_err(), "{} accepted", changed);
    }

    #[test]
    fn issuing_at_any_time_never_panics(now in any::<i64>()) {
        let (_, app, user) = stores("myapp", "1234");
        let now = Timestamp::from_unix(now);
        let _ = issue_user_token(&app, &user, None, now);
        let _ = issue_super_token(&app, now);
    }

    #[test]
    fn no_input_panics(token in "\\PC{0,300}", raw in prop::collection::vec(any::<u8>(), 0..300)) {
        let (tokens, _, _) = stores("myapp", "1234");
        let now = Timestamp::from_unix(1_704_164_645);
        let _ = block_on_ready(tokens.verify(&token, None, now));
        let _ = block_on_ready(tokens.verify(&String::from_utf8_lossy(&raw), None, now));
        let dotted = format!("{token}.{token}.{token}");
        let _ = block_on_ready(tokens.verify(&dotted, None, now));
    }
}

//! The rules of Para's permission evaluator, one test each, named for the rule
//! (the `#[cfg(test)]` module of `permissions`).

use super::*;

fn perms(json: &str) -> ResourcePermissions {
    ResourcePermissions::from_json(json).unwrap()
}

fn allowed(p: &ResourcePermissions, who: Who<'_>, method: &str, path: &str) -> bool {
    p.decide(who, method, path).allowed
}

const U: Who<'static> = Who::User("u1");

#[test]
fn empty_map_denies_everyone_but_admins() {
    let p = perms("{}");
    assert!(!allowed(&p, U, "GET", "posts"));
    assert!(!allowed(&p, Who::Guest, "GET", "posts"));
    assert!(allowed(&p, Who::Admin("root"), "DELETE", "posts"));
    assert_eq!(p.decide(U, "GET", "posts").kind, Kind::DefaultDeny);
}

#[test]
fn exact_key_decides_over_prefix() {
    let p = perms(r#"{"u1": {"posts": ["GET", "POST"], "posts/1": ["GET"]}}"#);
    assert!(!allowed(&p, U, "POST", "posts/1"), "posts/1 says GET only");
    assert!(allowed(&p, U, "POST", "posts/2"), "posts covers posts/2");
    let d = p.decide(U, "POST", "posts/2");
    assert_eq!((d.kind, d.key), (Kind::Prefix, Some("posts")));
}

#[test]
fn prefixes_match_whole_segments_only() {
    let p = perms(r#"{"u1": {"post": ["*"]}}"#);
    assert!(!allowed(&p, U, "GET", "posts/1"));
    assert!(allowed(&p, U, "GET", "post/1"));
    assert!(allowed(&p, U, "GET", "post/1/links/2"), "deeper paths too");
}

#[test]
fn wildcard_covers_children_not_itself_and_longest_decides() {
    let p = perms(r#"{"u1": {"posts/*": ["GET"], "posts/1/*": ["DELETE"]}}"#);
    assert!(allowed(&p, U, "GET", "posts/1"));
    assert!(!allowed(&p, U, "GET", "posts/1/2"), "the longer posts/1/* decides");
    assert!(allowed(&p, U, "DELETE", "posts/1/2"));
    assert!(!allowed(&p, U, "GET", "posts"), "posts/* does not cover posts");
    assert_eq!(p.decide(U, "DELETE", "posts/1/2").key, Some("posts/1/*"));
}

#[test]
fn prefix_grants_count_before_any_wildcard_decides() {
    // Para stops at the first X/* key in stored order; we let every prefix grant count first.
    let p = perms(r#"{"u1": {"posts/*": ["-"], "posts": ["GET"]}}"#);
    assert!(allowed(&p, U, "GET", "posts/1"));
    assert!(!allowed(&p, U, "PUT", "posts/1"));
}

#[test]
fn subject_star_key_is_the_last_resort_and_caps_everyone() {
    let p = perms(r#"{"u1": {"*": ["GET"]}, "*": {"*": ["*"]}}"#);
    assert!(allowed(&p, U, "GET", "anything/1"));
    assert!(!allowed(&p, U, "POST", "anything/1"), "the user's own * caps what * gives");
    assert!(allowed(&p, Who::User("u2"), "POST", "anything/1"));
    assert_eq!(p.decide(U, "POST", "x").kind, Kind::Any);
}

#[test]
fn explicit_denial_under_a_user_is_final() {
    let p = perms(r#"{"u1": {"posts": ["-"]}, "*": {"posts": ["*"]}}"#);
    assert!(!allowed(&p, U, "GET", "posts"));
    // A `-` under `*` does not deny what `*`/`*` grants.
    let p = perms(r#"{"*": {"posts": ["-"], "*": ["GET"]}}"#);
    assert!(allowed(&p, U, "GET", "posts"));
}

#[test]
fn everyone_grants_users_without_entries() {
    let p = perms(r#"{"*": {"tags": ["GET"]}}"#);
    assert!(allowed(&p, U, "GET", "tags"));
    assert!(allowed(&p, U, "GET", "tags/x"));
    assert!(!allowed(&p, U, "POST", "tags"));
}

#[test]
fn guests_need_the_mark_as_well_as_the_method() {
    let p = perms(r#"{"*": {"*": ["GET"], "posts": ["?"]}}"#);
    assert!(allowed(&p, Who::Guest, "GET", "posts"), "method and mark from different keys");
    assert!(!allowed(&p, Who::Guest, "GET", "tags"));
    assert_eq!(p.decide(Who::Guest, "GET", "tags").kind, Kind::Guest);
    // The mark under a user is dropped when loaded.
    let p = perms(r#"{"u1": {"posts": ["?", "GET"]}}"#);
    assert_eq!(p.get("u1", "posts").unwrap().names(), ["GET"]);
}

#[test]
fn implicit_access_to_ones_own_path() {
    let p = perms(r#"{"*": {"tags": ["GET"]}}"#);
    for method in ["GET", "PATCH", "DELETE"] {
        assert!(allowed(&p, U, method, "users/u1"), "{method}");
        assert!(allowed(&p, U, method, "posts/u1"), "{method}, any type");
    }
    assert!(!allowed(&p, U, "PUT", "users/u1"));
    assert!(!allowed(&p, U, "POST", "users/u1"));
    assert!(!allowed(&p, U, "GET", "u1"), "a path with a type");
    assert_eq!(p.decide(U, "GET", "users/u1").kind, Kind::SelfPath);
    // Not when the map is empty, nor against an explicit denial.
    assert!(!allowed(&perms("{}"), U, "GET", "users/u1"));
    let p = perms(r#"{"u1": {"*": ["-"]}}"#);
    assert!(!allowed(&p, U, "GET", "users/u1"));
}

#[test]
fn any_method_includes_head_and_options_only_through_star() {
    let p = perms(r#"{"u1": {"a": ["GET"], "b": ["*"]}}"#);
    assert!(!allowed(&p, U, "HEAD", "a"));
    assert!(allowed(&p, U, "HEAD", "b"));
    assert!(allowed(&p, U, "OPTIONS", "b"));
}

#[test]
fn paths_keep_dots_and_plus() {
    let p = perms(r#"{"u1": {"v1.2/a+b": ["GET"]}}"#);
    assert!(allowed(&p, U, "GET", "v1.2/a+b"));
    assert!(!allowed(&p, U, "GET", "v12/a b"));
}

#[test]
fn aliases_unknown_tokens_and_round_trip() {
    let p = perms(concat!(
        r#"{"u1": {"a": ["READ_ONLY"], "b": ["w"], "c": ["READ_WRITE"], "d": ["EMPTY"]},"#,
        r#" "*": {"e": ["GUEST"]}}"#
    ));
    assert_eq!(p.get("u1", "a").unwrap().names(), ["GET"]);
    assert_eq!(p.get("u1", "b").unwrap().names(), ["POST", "PUT", "PATCH", "DELETE"]);
    assert_eq!(p.get("u1", "c").unwrap().names(), ["*"]);
    assert_eq!(p.get("u1", "d").unwrap().names(), ["-"]);
    assert_eq!(p.get("*", "e").unwrap().names(), ["?"]);
    let err = ResourcePermissions::from_json(r#"{"u1": {"a": ["GET", "FETCH"]}}"#).unwrap_err();
    assert_eq!(err, PermissionError::UnknownToken("FETCH".to_owned()));
    assert!(ResourcePermissions::from_json(r#"{"u1": ["GET"]}"#).is_err());
    assert_eq!(perms(&p.to_json()), p);
}

#[test]
fn grant_and_revoke() {
    let mut p = ResourcePermissions::new();
    p.grant("u1", "/posts/", ["GET"]).unwrap();
    assert!(allowed(&p, U, "GET", "posts/9"));
    p.grant("u1", "posts", ["POST"]).unwrap();
    assert!(allowed(&p, U, "POST", "posts"));
    assert!(p.grant("u1", "posts", ["NOPE"]).is_err());
    p.revoke("u1", Some("posts"));
    assert!(!allowed(&p, U, "GET", "posts/9"));
    assert!(p.is_empty());
}

#[test]
fn own_is_reported_and_can_modify_follows_para() {
    let p = perms(r#"{"u1": {"posts": ["GET", "OWN"]}}"#);
    assert!(p.decide(U, "GET", "posts/3").own_only);
    let obj = |id, creator, parent| ObjectRef { id, creator_id: creator, parent_id: parent };
    assert!(can_modify("u1", obj("p1", Some("u1"), None)));
    assert!(can_modify("u1", obj("p1", Some("u1:child"), None)));
    assert!(!can_modify("u1", obj("p1", Some("u10"), None)));
    assert!(can_modify("u1", obj("u1", None, None)));
    assert!(can_modify("u1", obj("p1", None, Some("u1"))));
    assert!(!can_modify("", obj("p1", Some(":x"), None)));
}

#[test]
fn long_paths_are_decided_like_short_ones() {
    let p = perms(r#"{"u1": {"a/a": ["GET"], "b/*": ["PUT"]}, "*": {"c": ["GET"]}}"#);
    let long = "a/".repeat(100_000);
    assert!(allowed(&p, U, "GET", &long), "the prefix a/a grants");
    assert!(!allowed(&p, U, "POST", &long));
    assert!(allowed(&p, U, "PUT", &format!("b/{}", "x/".repeat(100_000))));
    assert!(!allowed(&p, U, "GET", &"z/".repeat(100_000)));
}

#[test]
fn many_grants_compile_once() {
    let grants = (0..100).map(|i| ("u1", if i % 2 == 0 { "posts" } else { "tags" }, ["GET"]));
    let p = ResourcePermissions::from_grants(grants).unwrap();
    assert!(allowed(&p, U, "GET", "tags/1"));
    let err = ResourcePermissions::from_grants([("u1", "x", ["SEND"])]).unwrap_err();
    assert_eq!(err, PermissionError::UnknownToken("SEND".to_owned()));
    let error: crate::Error = err.into();
    assert_eq!(error.reason(), crate::Reason::Config);
    assert!(std::error::Error::source(&error).is_some(), "the token stays reachable");
}

#[test]
fn a_blank_subject_is_a_guest() {
    // "a guest is S = "", which has no entries": it needs the `?` mark.
    let p = perms(r#"{"*": {"posts": ["GET"]}}"#);
    for blank in ["", " "] {
        assert!(!allowed(&p, Who::User(blank), "GET", "posts"), "{blank:?}");
    }
    let p = perms(r#"{"": {"posts": ["GET"]}, "*": {"posts": ["?"]}}"#);
    assert!(!allowed(&p, Who::User(""), "GET", "posts"), "a blank subject has no entries");
    let p = perms(r#"{"*": {"posts": ["GET", "?"]}}"#);
    assert!(allowed(&p, Who::User(""), "GET", "posts"));
}

#[test]
fn a_path_with_a_star_segment_meets_the_key_written_so() {
    // Step 1: the key equal to the path decides, `X/*` included.
    let p = perms(r#"{"u1": {"posts": ["GET"], "posts/*": ["-"]}}"#);
    assert!(!allowed(&p, U, "GET", "posts/*"));
    let p = perms(r#"{"*": {"posts": ["GET"], "posts/*": ["-"]}}"#);
    assert!(!allowed(&p, U, "GET", "posts/*"));
    // The exact key grants, so the user's `*` key is not consulted.
    let p = perms(r#"{"u1": {"posts/*": ["GET"], "*": ["-"]}}"#);
    assert!(allowed(&p, U, "GET", "posts/*"));
    // Step 2: `a/*` is a whole-segment prefix of the parent `a/*/b`.
    let p = perms(r#"{"u1": {"a/*": ["GET"], "a/*/b/*": ["-"]}}"#);
    let decision = p.decide(U, "GET", "a/*/b/c");
    assert!(decision.allowed && decision.kind == Kind::Prefix, "{decision:?}");
    assert_eq!(decision.key, Some("a/*"));
    // Without the literal segment nothing changed: `a/*` covers the path.
    let decision = p.decide(U, "GET", "a/x/b/c");
    assert!(decision.allowed && decision.kind == Kind::Wildcard, "{decision:?}");
}

#[test]
fn own_holds_when_any_entry_for_the_type_says_it() {
    for json in [
        r#"{"*": {"posts": ["GET", "OWN"], "*": ["*"]}}"#,
        r#"{"u1": {"posts": ["GET", "OWN"]}, "*": {"posts": ["*"]}}"#,
        r#"{"u1": {"posts": ["*"]}, "*": {"posts": ["*", "OWN"]}}"#,
        // The user's own exact key decides; everyone's entry for the type says OWN.
        r#"{"u1": {"posts/1": ["PUT"]}, "*": {"posts": ["*", "OWN"]}}"#,
    ] {
        let p = perms(json);
        let decision = p.decide(U, "PUT", "posts/1");
        assert!(decision.allowed && decision.own_only, "{json}: {decision:?}");
    }
    let p = perms(r#"{"u1": {"posts": ["*"]}, "*": {"tags": ["*", "OWN"]}}"#);
    assert!(!p.decide(U, "PUT", "posts/1").own_only, "OWN on another type");
}

#[test]
fn a_path_ending_in_slash_and_the_id_is_the_users_own() {
    let p = perms(r#"{"*": {"tags": ["GET"]}}"#);
    let decision = p.decide(Who::User("a/1"), "GET", "posts/a/1");
    assert!(decision.allowed && decision.kind == Kind::SelfPath, "{decision:?}");
    assert!(!allowed(&p, Who::User("a/1"), "GET", "a/1"), "no parent");
    assert!(!allowed(&p, Who::User("u1"), "GET", "posts/xu1"));
}

//! Property tests for permissions: the order of keys never matters, the
//! compiled index agrees with a plain reading of the rules, and nothing panics.

use std::collections::BTreeMap;

use para_auth::permissions::{ResourcePermissions, Who};
use proptest::prelude::*;

type Map = BTreeMap<String, BTreeMap<String, Vec<String>>>;

const SUBJECTS: [&str; 3] = ["*", "u1", "u2"];
const KEYS: [&str; 12] = [
    "*",
    "posts",
    "posts/*",
    "posts/1",
    "posts/1/*",
    "posts/1/links",
    "post",
    "users",
    "users/*",
    "users/u1",
    "tags/x",
    "a.b+c",
];
const TOKENS: [&str; 9] = ["GET", "POST", "PUT", "PATCH", "DELETE", "*", "?", "-", "OWN"];
const PATHS: [&str; 12] = [
    "posts",
    "posts/1",
    "posts/2",
    "posts/1/links",
    "posts/1/links/2",
    "post/1",
    "users/u1",
    "users/u2",
    "tags/x",
    "tags",
    "a.b+c",
    "other/u1",
];
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

fn map() -> impl Strategy<Value = Map> {
    let tokens = prop::collection::vec(prop::sample::select(&TOKENS[..]), 1..4)
        .prop_map(|t| t.into_iter().map(str::to_owned).collect::<Vec<_>>());
    let entries = prop::collection::btree_map(
        prop::sample::select(&KEYS[..]).prop_map(str::to_owned),
        tokens,
        0..5,
    );
    prop::collection::btree_map(
        prop::sample::select(&SUBJECTS[..]).prop_map(str::to_owned),
        entries,
        0..3,
    )
}

/// The map as JSON with its subjects and keys in the order `shuffle` picks.
fn json_in_order(map: &Map, shuffle: &[usize]) -> String {
    let mut subjects: Vec<_> = map.iter().collect();
    rotate(&mut subjects, shuffle.first().copied().unwrap_or(0));
    let parts: Vec<String> = subjects
        .iter()
        .enumerate()
        .map(|(i, (subject, entries))| {
            let mut entries: Vec<_> = entries.iter().collect();
            rotate(&mut entries, shuffle.get(i + 1).copied().unwrap_or(0));
            entries.reverse();
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{:?}: {}", k, serde_json::to_string(v).unwrap()))
                .collect();
            format!("{subject:?}: {{{}}}", inner.join(", "))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn rotate<T>(items: &mut [T], by: usize) {
    if !items.is_empty() {
        let n = items.len();
        items.rotate_left(by % n);
    }
}

/// A plain reading of Para's rules over the raw map, written without the index.
mod reference {
    use super::Map;

    fn set<'m>(map: &'m Map, subject: &str, key: &str) -> Option<Vec<&'m str>> {
        let mut tokens: Vec<&str> =
            map.get(subject)?.get(key)?.iter().map(String::as_str).collect();
        if subject != "*" {
            tokens.retain(|t| *t != "?");
        }
        Some(tokens)
    }

    fn has(tokens: &[&str], want: &str) -> bool {
        if want == "?" {
            tokens.contains(&"?")
        } else {
            tokens.contains(&want) || tokens.contains(&"*")
        }
    }

    pub(super) fn grants(map: &Map, s: &str, p: &str, m: &str) -> bool {
        let Some(entries) = map.get(s) else { return false };
        if let Some(t) = set(map, s, p) {
            return has(&t, m);
        }
        let prefixes: Vec<&str> = p.match_indices('/').map(|(i, _)| &p[..i]).collect();
        if prefixes.iter().any(|x| set(map, s, x).is_some_and(|t| has(&t, m))) {
            return true;
        }
        let longest = entries
            .keys()
            .filter_map(|k| k.strip_suffix("/*"))
            .filter(|x| p.starts_with(&format!("{x}/")))
            .max_by_key(|x| x.len());
        if let Some(x) = longest {
            return has(&set(map, s, &format!("{x}/*")).unwrap_or_default(), m);
        }
        set(map, s, "*").is_some_and(|t| has(&t, m))
    }

    pub(super) fn decide(map: &Map, user: Option<&str>, p: &str, m: &str) -> bool {
        if map.values().all(|e| e.is_empty()) {
            return false;
        }
        let s = user.unwrap_or("");
        if let Some(entries) = map.get(s) {
            if entries.contains_key(p) {
                if !grants(map, s, p, m) {
                    return false;
                }
            } else if entries.contains_key("*") && !grants(map, s, "*", m) {
                return false;
            }
        }
        let exact = map.get(s).is_some_and(|e| e.contains_key(p));
        let allowed = if exact {
            grants(map, s, p, m)
        } else {
            grants(map, s, p, m)
                || grants(map, s, "*", m)
                || grants(map, "*", p, m)
                || grants(map, "*", "*", m)
        };
        if allowed {
            return user.is_some() || grants(map, "*", p, "?");
        }
        let own = user.is_some_and(|u| {
            let parent = p.strip_suffix(u).and_then(|rest| rest.strip_suffix('/'));
            parent.is_some_and(|parent| !parent.is_empty())
        });
        own && matches!(m, "GET" | "PATCH" | "DELETE")
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn key_order_never_changes_a_decision(
        map in map(),
        a in prop::collection::vec(any::<usize>(), 4),
        b in prop::collection::vec(any::<usize>(), 4),
    ) {
        let one = ResourcePermissions::from_json(&json_in_order(&map, &a)).unwrap();
        let two = ResourcePermissions::from_json(&json_in_order(&map, &b)).unwrap();
        for who in [Who::Guest, Who::User("u1"), Who::User("u2"), Who::User("u3")] {
            for path in PATHS {
                for method in METHODS {
                    let (x, y) = (one.decide(who, method, path), two.decide(who, method, path));
                    prop_assert_eq!(x.allowed, y.allowed);
                }
            }
        }
    }

    #[test]
    fn the_index_agrees_with_a_plain_reading(map in map()) {
        let json = serde_json::to_string(&map).unwrap();
        let compiled = ResourcePermissions::from_json(&json).unwrap();
        let callers =
            [(Who::Guest, None), (Who::User("u1"), Some("u1")), (Who::User("u3"), Some("u3"))];
        for (who, user) in callers {
            for path in PATHS {
                for method in METHODS {
                    let want = reference::decide(&map, user, path, method);
                    let got = compiled.decide(who, method, path);
                    prop_assert_eq!(
                        got.allowed, want,
                        "{:?} {} {} in {:?}: {:?}", who, method, path, map, got
                    );
                }
            }
        }
    }

    #[test]
    fn arbitrary_maps_and_paths_never_panic(
        json in "\\PC{0,200}",
        path in "\\PC{0,60}",
        method in "\\PC{0,8}",
        user in "\\PC{0,10}",
    ) {
        if let Ok(map) = ResourcePermissions::from_json(&json) {
            let _ = map.decide(Who::User(&user), &method, &path);
            let _ = map.decide(Who::Guest, &method, &path);
        }
        let fixed = r#"{"*": {"*": ["?", "GET"], "a/*": ["POST"]}, "u": {"a": ["-"]}}"#;
        let fixed = ResourcePermissions::from_json(fixed).unwrap();
        let _ = fixed.decide(Who::User(&user), &method, &path);
        let _ = fixed.decide(Who::Guest, &method, &path);
    }
}

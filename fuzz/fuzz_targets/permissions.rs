//! Arbitrary JSON as a permission map, and arbitrary questions put to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use para_auth::permissions::{ResourcePermissions, Who};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (json, question) = text.split_once('\n').unwrap_or((&text, "GET posts/1"));
    let Ok(map) = ResourcePermissions::from_json(json) else { return };
    let (method, path) = question.split_once(' ').unwrap_or((question, ""));
    // What the map writes, it reads back, and it decides the same.
    let again = ResourcePermissions::from_json(&map.to_json()).expect("its own JSON reads");
    for who in [Who::User("u1"), Who::User(""), Who::Guest, Who::Admin("boss")] {
        let (first, second) = (map.decide(who, method, path), again.decide(who, method, path));
        assert_eq!(first.allowed, second.allowed, "{who:?} {method} {path} in {json}");
        assert_eq!(first.own_only, second.own_only, "{who:?} {method} {path} in {json}");
    }
});

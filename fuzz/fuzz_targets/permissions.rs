//! Arbitrary JSON as a permission map, and arbitrary questions put to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use para_auth::permissions::{ResourcePermissions, Who};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (json, question) = text.split_once('\n').unwrap_or((&text, "GET posts/1"));
    let Ok(map) = ResourcePermissions::from_json(json) else { return };
    let (method, path) = question.split_once(' ').unwrap_or((question, ""));
    let _ = map.decide(Who::User("u1"), method, path);
    let _ = map.decide(Who::Guest, method, path);
    let _ = ResourcePermissions::from_json(&map.to_json());
});

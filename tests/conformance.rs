//! The conformance vectors made by real clients (botocore, requests-aws4auth,
//! Para's Python client, aws4, @smithy/signature-v4), hand-picked requests
//! and random ones, run through the same code path as `para-auth check`;
//! and the runner fails a vector whose expectation is wrong, saying what
//! differs.

use para_auth::conformance::run_file;

fn run(path: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let report = run_file(&text);
    let failures: Vec<String> =
        report.failures.iter().map(|f| format!("{}: {}", f.id, f.message)).collect();
    assert!(failures.is_empty(), "{path}: {}\n{}", report.summary(), failures.join("\n"));
    assert_eq!(report.passed, text.lines().count(), "{path}: every line ran");
}

#[test]
fn sigv4_vectors_all_pass() {
    run("tests/vectors/sigv4.jsonl");
}

#[test]
fn sigv4_vectors_sent_to_a_proxy_all_pass() {
    run("tests/vectors/proxy.jsonl");
}

#[test]
fn sigv4_vectors_of_random_requests_botocore_signed_all_pass() {
    run("tests/vectors/botocore-random.jsonl");
}

#[test]
fn sigv4_vectors_of_random_requests_aws4_and_smithy_signed_all_pass() {
    run("tests/vectors/node-random.jsonl");
}

#[test]
fn sigv4_vectors_of_unsigned_payloads_botocore_signed_all_pass() {
    run("tests/vectors/botocore-unsigned.jsonl");
}

#[test]
fn sigv4_vectors_of_unsigned_payloads_aws4_and_smithy_signed_all_pass() {
    run("tests/vectors/node-unsigned.jsonl");
}

#[test]
fn jwt_vectors_all_pass() {
    run("tests/vectors/jwt.jsonl");
}

#[test]
fn permission_vectors_all_pass() {
    run("tests/vectors/permissions.jsonl");
}

#[test]
fn unreadable_lines_and_unknown_kinds_fail_without_crashing() {
    let report = run_file("not json\n{\"kind\":\"nope\",\"id\":\"x\"}\n{\"id\":\"y\"}\n");
    assert_eq!(report.passed, 0);
    assert_eq!(report.failures.len(), 3);
    assert_eq!(report.failures[0].id, "line 1");
    assert!(report.failures[1].message.contains("unknown kind"));
    assert_eq!(report.summary(), "0 passed, 3 failed");
}

/// The first vector of `path` of `kind` that has `field`, as JSON.
fn first(path: &str, kind: &str, field: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|v| v["kind"] == kind && v.get(field).is_some())
        .unwrap_or_else(|| panic!("{path}: no {kind} vector with `{field}`"))
}

/// `vector` changed by `change`: the runner must fail it, saying `because`.
fn fails(vector: &serde_json::Value, change: impl FnOnce(&mut serde_json::Value), because: &str) {
    let report = run_file(&vector.to_string());
    assert_eq!((report.passed, report.failures.len()), (1, 0), "the vector passes as it is");
    let mut changed = vector.clone();
    change(&mut changed);
    let report = run_file(&changed.to_string());
    assert_eq!(report.passed, 0, "{because}: {changed}");
    let message = &report.failures[0].message;
    assert!(message.contains(because), "{because}: {message}");
}

#[test]
fn a_wrong_expectation_fails_and_says_what_differs() {
    use serde_json::{Value, json};
    let sigv4 = "tests/vectors/sigv4.jsonl";
    let verify = first(sigv4, "sigv4-verify", "canonical_request");
    let append = |field: &'static str| {
        move |v: &mut Value| v[field] = json!(format!("{}x", v[field].as_str().unwrap()))
    };
    fails(&verify, append("canonical_request"), "canonical request differs");
    fails(&verify, append("string_to_sign"), "string to sign differs");
    fails(&verify, |v| v["expect"] = json!("invalid:expired"), "expected invalid:expired, got");
    fails(&verify, |v| v["options"] = json!({"path": "triple"}), "unknown path option");

    let sign = first(sigv4, "sigv4-sign", "expect_headers");
    fails(&sign, |v| v["expect_headers"][1][1] = json!("AWS4-HMAC-SHA256 x"), "expected");
    fails(&sign, |v| v["expect_headers"].as_array_mut().unwrap().truncate(1), "expected 1 headers");

    let permission = first("tests/vectors/permissions.jsonl", "permission", "expect");
    let flipped = if permission["expect"] == "allow" { "deny" } else { "allow" };
    fails(&permission, |v| v["expect"] = json!(flipped), &format!("expected {flipped}"));
    fails(&permission, |v| v["subject"] = json!(7), "`subject` is neither null nor text");

    let token = first("tests/vectors/jwt.jsonl", "jwt", "token");
    fails(&token, |v| v["expect"] = json!("super"), "expected super");
}

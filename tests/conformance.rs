//! The conformance vectors made by real clients (botocore, requests-aws4auth,
//! Para's Python client, aws4, @smithy/signature-v4), hand-picked requests
//! and random ones, run through the same code path as `para-auth check`.

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

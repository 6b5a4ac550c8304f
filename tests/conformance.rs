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
    let report = run_file(
        "not json\n{\"kind\":\"nope\",\"id\":\"x\",\"source\":\"s\"}\n{\"id\":\"y\"}\n[1]\n",
    );
    assert_eq!(report.passed, 0);
    assert_eq!(report.failures.len(), 4);
    assert_eq!(report.failures[0].id, "line 1");
    assert!(report.failures[1].message.contains("unknown kind"));
    assert_eq!(report.failures[3].message, "not a JSON object");
    assert_eq!(report.summary(), "0 passed, 4 failed");
}

/// Each line of `lines` run as one file: how many passed, and each failure's
/// id and message.
fn outcome(lines: &[Vec<u8>]) -> (usize, Vec<(String, String)>) {
    let report = run_file(lines.join(&b'\n'));
    let failures = report.failures.into_iter().map(|f| (f.id, f.message)).collect();
    (report.passed, failures)
}

#[test]
fn a_line_fails_alone_for_what_every_vector_must_have() {
    use serde_json::json;
    let good = first("tests/vectors/permissions.jsonl", "permission", "expect");
    let with = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        change(&mut v);
        v.to_string().into_bytes()
    };
    let mut not_utf8 = good.to_string().into_bytes();
    not_utf8.insert(10, 0xff);
    let lines = [
        good.to_string().into_bytes(),
        not_utf8,
        with(&|v| v["id"] = json!("another")),
        with(&|v| v["id"] = json!("another")),
        with(&|v| drop(v.as_object_mut().unwrap().remove("id"))),
        with(&|v| {
            v["id"] = json!("no source");
            v.as_object_mut().unwrap().remove("source");
        }),
        with(&|v| {
            v["id"] = json!("no subject");
            v.as_object_mut().unwrap().remove("subject");
        }),
        with(&|v| v["id"] = json!("last")),
    ];
    let (passed, failures) = outcome(&lines);
    assert_eq!(passed, 3, "{failures:?}");
    let why: Vec<(&str, &str)> = failures.iter().map(|(i, m)| (i.as_str(), m.as_str())).collect();
    assert_eq!(
        why,
        [
            ("line 2", "the line is not UTF-8"),
            ("another", "the `id` of line 3 again (line 4)"),
            ("line 5", "no `id`, or it is not text"),
            ("no source", "no `source`, or it is not text"),
            ("no subject", "no `subject` (null for a guest)"),
        ]
    );
}

#[test]
fn options_of_the_wrong_type_fail_the_vector() {
    use serde_json::json;
    let verify = first("tests/vectors/sigv4.jsonl", "sigv4-verify", "request");
    for (options, because) in [
        (json!({"skew_s": 300.0}), "`skew_s` is not whole seconds: 300.0"),
        (json!({"skew_s": "300"}), "`skew_s` is not whole seconds"),
        (json!({"skew_s": -1}), "`skew_s` is not whole seconds: -1"),
        (json!({"skew_s": 4_294_967_296_u64}), "`skew_s` is not whole seconds"),
        (json!({"normalize": "yes"}), "option `normalize` has a value of the wrong type"),
        (json!({"path": 2}), "option `path` has a value of the wrong type"),
        (json!({"paths": "single"}), "unknown option `paths`"),
        (json!(["normalize"]), "`options` is not an object"),
    ] {
        fails(&verify, |v| v["options"] = options, because);
    }
}

#[test]
fn a_request_that_cannot_be_read_is_judged_by_its_verdict_alone() {
    use serde_json::json;
    // A presigned URL botocore signed, with its stages, made to expire in
    // more than a week: malformed, whatever the stages say.
    let text = std::fs::read_to_string("tests/vectors/botocore-unsigned.jsonl").unwrap();
    let presigned: serde_json::Value = text
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|v| {
            v["expect"] == "valid"
                && v.get("canonical_request").is_some()
                && v["request"]["target"].as_str().unwrap().contains("X-Amz-Expires=")
        })
        .expect("a valid presigned vector with stages");
    let mut changed = presigned.clone();
    let target = presigned["request"]["target"].as_str().unwrap();
    let (head, rest) = target.split_once("X-Amz-Expires=").unwrap();
    let rest = rest.split_once('&').map_or(String::new(), |(_, tail)| format!("&{tail}"));
    changed["request"]["target"] = json!(format!("{head}X-Amz-Expires=604801{rest}"));
    changed["expect"] = json!("invalid:malformed");
    let report = run_file(changed.to_string());
    assert_eq!(report.summary(), "1 passed, 0 failed", "{:?}", report.failures);
}

#[test]
fn byte_strings_may_come_in_base64() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde_json::{Value, json};
    let b64 = |text: &str| json!(STANDARD.encode(text));
    let verify = first("tests/vectors/sigv4.jsonl", "sigv4-verify", "canonical_request");
    let mut changed = verify.clone();
    let request = changed["request"].as_object_mut().unwrap();
    let target = request.remove("target").unwrap();
    request.insert("target_b64".to_owned(), b64(target.as_str().unwrap()));
    let headers = request.remove("headers").unwrap();
    let headers: Vec<Value> = headers
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| json!([b64(pair[0].as_str().unwrap()), b64(pair[1].as_str().unwrap())]))
        .collect();
    request.insert("headers_b64".to_owned(), json!(headers));
    let canonical = changed.as_object_mut().unwrap().remove("canonical_request").unwrap();
    changed["canonical_request_b64"] = b64(canonical.as_str().unwrap());
    assert_eq!(run_file(changed.to_string()).summary(), "1 passed, 0 failed");

    changed["request"]["target"] = target;
    assert!(run_file(changed.to_string()).failures[0].message.contains("both `target` and"));

    // A token that is not UTF-8 is malformed, as any token that cannot be read.
    let mut token = first("tests/vectors/jwt.jsonl", "jwt", "token");
    token.as_object_mut().unwrap().remove("token");
    token["token_b64"] = json!(STANDARD.encode(b"eyJ\xff.e30.AAAA"));
    token["expect"] = json!("invalid:malformed");
    assert_eq!(run_file(token.to_string()).summary(), "1 passed, 0 failed");
}

#[test]
fn a_signer_is_held_to_its_headers_in_any_order_and_to_its_stages() {
    use serde_json::json;
    let sign = first("tests/vectors/sigv4.jsonl", "sigv4-sign", "expect_headers");
    let mut reversed = sign.clone();
    reversed["expect_headers"].as_array_mut().unwrap().reverse();
    assert_eq!(run_file(reversed.to_string()).summary(), "1 passed, 0 failed");
    let mut renamed = sign.clone();
    renamed["expect_headers"][0][0] = json!("x-amz-DATE");
    assert_eq!(run_file(renamed.to_string()).summary(), "1 passed, 0 failed");

    // The signer's stages, as the client that made the vector built them.
    let sign = first("tests/vectors/sigv4.jsonl", "sigv4-sign", "canonical_request");
    fails(&sign, |v| v["canonical_request"] = json!("GET\n/\n\n"), "canonical request differs");
    fails(&sign, |v| v["string_to_sign"] = json!("AWS4-HMAC-SHA256\n"), "string to sign differs");
}

#[test]
fn every_failure_is_one_line() {
    use serde_json::json;
    let verify = first("tests/vectors/sigv4.jsonl", "sigv4-verify", "canonical_request");
    let mut changed = verify.clone();
    changed["canonical_request"] = json!("GET\n/other\n");
    let sign = first("tests/vectors/sigv4.jsonl", "sigv4-sign", "expect_headers");
    let mut wrong = sign.clone();
    wrong["expect_headers"][1][1] = json!("AWS4-HMAC-SHA256 x");
    let report = run_file(format!("{changed}\n{wrong}"));
    assert_eq!(report.failures.len(), 2);
    for failure in report.failures {
        assert!(!failure.message.contains('\n'), "{}", failure.message);
    }
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
    let report = run_file(vector.to_string());
    assert_eq!((report.passed, report.failures.len()), (1, 0), "the vector passes as it is");
    let mut changed = vector.clone();
    change(&mut changed);
    let report = run_file(changed.to_string());
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

#[test]
fn a_signature_segment_of_base64url_text_is_a_wrong_signature() {
    use serde_json::json;
    let text = std::fs::read_to_string("tests/vectors/jwt.jsonl").unwrap();
    let valid: serde_json::Value = text
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|v| v["expect"] == "super" || v["expect"].as_str().unwrap().starts_with("user:"))
        .find(|v| v["token"].as_str().unwrap().rsplit_once('.').unwrap().1.len() == 43)
        .expect("a valid HS256 token vector");
    let token = valid["token"].as_str().unwrap();
    let (input, mac) = token.rsplit_once('.').unwrap();
    let cut = &mac[..mac.len() - 1];
    for (mac, expect) in [
        (format!("{mac}{}", "A".repeat(48)), "invalid:bad_signature"), // 68 bytes
        (cut.to_owned(), "invalid:bad_signature"), // its last character has bits left over
        (String::new(), "invalid:bad_signature"),
        (format!("{}!", cut), "invalid:malformed"), // not base64url
        (format!("{mac}AA"), "invalid:malformed"),  // 45 characters: no base64 length
    ] {
        let mut changed = valid.clone();
        changed["token"] = json!(format!("{input}.{mac}"));
        changed["expect"] = json!(expect);
        let report = run_file(changed.to_string());
        assert_eq!(report.summary(), "1 passed, 0 failed", "{mac}: {:?}", report.failures);
    }
}

#[test]
fn a_request_whose_canonical_request_cannot_be_built_is_judged_by_its_verdict() {
    use serde_json::json;
    let verify = first("tests/vectors/sigv4.jsonl", "sigv4-verify", "canonical_request");
    let mut absent = verify.clone();
    let headers = absent["request"]["headers"].as_array_mut().unwrap();
    let host = headers.iter().position(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("host"));
    headers.remove(host.expect("a Host header"));
    absent["expect"] = json!("invalid:malformed");
    let mut fragment = verify.clone();
    let target = format!("{}#frag", fragment["request"]["target"].as_str().unwrap());
    fragment["request"]["target"] = json!(target);
    fragment["expect"] = json!("invalid:malformed");
    fragment["id"] = json!("with a fragment");
    let report = run_file(format!("{absent}\n{fragment}"));
    assert_eq!(report.summary(), "2 passed, 0 failed", "{:?}", report.failures);
}

#[test]
fn a_sign_vector_whose_request_carries_a_stale_date_is_still_held_to_its_stages() {
    use serde_json::json;
    let sign = first("tests/vectors/sigv4.jsonl", "sigv4-sign", "canonical_request");
    let mut stale = sign.clone();
    let headers = stale["request"]["headers"].as_array_mut().unwrap();
    headers.push(json!(["X-Amz-Date", "20000101T000000Z"]));
    assert_eq!(run_file(stale.to_string()).summary(), "1 passed, 0 failed");
    fails(&stale, |v| v["canonical_request"] = json!("GET\n/\n\n"), "canonical request differs");
}

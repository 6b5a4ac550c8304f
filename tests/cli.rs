//! The `para-auth` command-line tool, run as a user would.
#![cfg(feature = "cli")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_para-auth"))
        .args(args)
        .env("PARA_ACCESS_KEY", "app:myapp")
        .env("PARA_SECRET_KEY", SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn check_runs_the_vectors_and_closes_with_the_count() {
    let output = run(&["check", "tests/vectors/sigv4.jsonl"], b"");
    assert!(output.status.success(), "{}", stdout(&output));
    assert_eq!(stdout(&output).lines().last(), Some("150 passed, 0 failed"));
}

#[test]
fn check_counts_unknown_kinds_and_bad_lines_as_failures() {
    let dir = std::env::temp_dir().join(format!("para-auth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mixed.jsonl");
    let good = std::fs::read("tests/vectors/permissions.jsonl").unwrap();
    let good = good.split(|&b| b == b'\n').next().unwrap();
    let mixed = [
        b"{\"kind\":\"acl\",\"id\":\"a\",\"source\":\"s\"}\nnot json\n".as_slice(),
        b"\"\xff\"\n",
        good,
    ]
    .concat();
    std::fs::write(&file, mixed).unwrap();
    let output = run(&["check", file.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("FAIL a: unknown kind `acl`"), "{text}");
    assert!(text.contains("FAIL line 3: the line is not UTF-8"), "{text}");
    assert_eq!(text.lines().last(), Some("1 passed, 3 failed"), "a bad line stops nothing");
}

#[test]
fn sign_prints_paras_signature() {
    let output =
        run(&["sign", "--now", "1704164645", "GET", "http://localhost:8080/v1/posts/123"], b"");
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("X-Amz-Date: 20240102T030405Z\n"), "{text}");
    assert!(
        text.contains("Signature=3ed4c3f81054ea75ab7382e5e87777f4f07c09b98fb47448e1fcda9e169e0f8d"),
        "{text}"
    );
}

#[test]
fn verify_reads_raw_http_and_explains_a_mismatch() {
    let request = |sig: &str| {
        format!(
            "GET /v1/posts/123 HTTP/1.1\r\nHost: localhost:8080\r\nX-Amz-Date: 20240102T030405Z\r\n\
             Authorization: AWS4-HMAC-SHA256 \
             Credential=app:myapp/20240102/us-east-1/para/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature={sig}\r\n\r\n"
        )
    };
    let good = "3ed4c3f81054ea75ab7382e5e87777f4f07c09b98fb47448e1fcda9e169e0f8d";
    let output = run(&["verify", "--now", "1704164645"], request(good).as_bytes());
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("valid: signed by app:myapp"));

    let bad = good.replace('3', "4");
    let output = run(&["verify", "--now", "1704164645"], request(&bad).as_bytes());
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.starts_with("invalid:signature_mismatch"), "{text}");
    assert!(
        text.contains("canonical request:\nGET\n/v1/posts/123\n\nhost:localhost:8080\n"),
        "{text}"
    );
    assert!(text.contains("string to sign:\nAWS4-HMAC-SHA256\n20240102T030405Z\n"), "{text}");
}

const PARA_TOKEN: &str = concat!(
    "eyJhbGciOiJIUzI1NiJ9.",
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmJmIjoxNzA0MTY0NjQ1LCJyZWZyZXNoIjoxNzA0MTY4MjQ1MDAwLCJhcHBp",
    "ZCI6ImFwcDpteWFwcCIsImlkcCI6ImdlbmVyaWMiLCJleHAiOjE3MDQyNTEwNDUsImlhdCI6MTcwNDE2NDY0NX0.",
    "KbkIAf7ZwDMApEYNHn_BjhZipsA00mmI2nJZ5K7umws"
);
const PARA_USER_SECRET: &str = "FAKEuserTokenSecretFAKEuserTokenSecret12345=";

#[test]
fn token_verify_issue_and_inspect() {
    let user = ["--user", "1234567890", "--user-secret", PARA_USER_SECRET];
    let mut args = vec!["token", "verify", "--now", "1704164645"];
    args.extend(user);
    args.push(PARA_TOKEN);
    let output = run(&args, b"");
    assert!(output.status.success());
    assert_eq!(stdout(&output), "user:1234567890\n");

    let output = run(
        &[
            "token",
            "verify",
            "--now",
            "1704251045",
            "--user",
            "1234567890",
            "--user-secret",
            PARA_USER_SECRET,
            PARA_TOKEN,
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).starts_with("invalid:expired"));

    let output = run(&["token", "issue", "--now", "1704164645"], b"");
    let issued = stdout(&output).trim().to_owned();
    let output = run(&["token", "verify", "--now", "1704164645", &issued], b"");
    assert_eq!(stdout(&output), "super\n");

    let output = run(&["token", "inspect", PARA_TOKEN], b"");
    let text = stdout(&output);
    assert!(text.starts_with("NOT VERIFIED\nalg: HS256\n"), "{text}");
    assert!(text.contains("\"refresh\": 1704168245000"), "{text}");
}

#[test]
fn check_runs_every_vector_file() {
    let files =
        ["tests/vectors/sigv4.jsonl", "tests/vectors/jwt.jsonl", "tests/vectors/permissions.jsonl"];
    let mut args = vec!["check"];
    args.extend(files);
    let output = run(&args, b"");
    assert!(output.status.success(), "{}", stdout(&output));
    assert_eq!(stdout(&output).lines().last(), Some("250 passed, 0 failed"));
}

#[test]
fn keys_new_and_perms_explain() {
    let output = run(&["keys", "new", "My App"], b"");
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("accessKey: app:my-app"));
    let secret = lines.next().unwrap().strip_prefix("secretKey: ").unwrap();
    assert_eq!(secret.len(), 56);

    let dir = std::env::temp_dir().join(format!("para-auth-perms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let map = dir.join("map.json");
    std::fs::write(&map, r#"{"*": {"posts": ["GET", "?"]}, "u1": {"drafts/*": ["*", "OWN"]}}"#)
        .unwrap();
    let map = map.to_str().unwrap();
    let output = run(&["perms", "explain", "--map", map, "u1", "PUT", "drafts/3"], b"");
    assert!(output.status.success());
    assert_eq!(stdout(&output), "allow: Wildcard by \"u1\" \"drafts/*\" (OWN: own objects only)\n");
    let output = run(&["perms", "explain", "--map", map, "-", "GET", "tags"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "deny: DefaultDeny\n");
    // A request path is read as the gate reads it.
    let output = run(&["perms", "explain", "--map", map, "u1", "PUT", "/v1/drafts/3?x=1"], b"");
    assert!(output.status.success());
    assert_eq!(stdout(&output), "allow: Wildcard by \"u1\" \"drafts/*\" (OWN: own objects only)\n");
}

/// What `sign` prints for these arguments (with the key and clock fixed).
fn signed(args: &[&str]) -> String {
    let output = run(&[&["sign", "--now", "1704164645"], args].concat(), b"");
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    stdout(&output)
}

#[test]
fn sign_reads_a_url_as_a_client_sends_it() {
    // As the request goes out: no default port, no user name, no fragment in
    // `Host`; an empty path is `/`.
    let plain = signed(&["GET", "/p", "-H", "Host: example.com"]);
    for url in ["http://example.com:80/p", "https://example.com:443/p", "http://u:pw@example.com/p"]
    {
        assert_eq!(signed(&["GET", url]), plain, "{url}");
    }
    assert_eq!(signed(&["GET", "http://example.com/p#frag"]), plain);
    let root = signed(&["GET", "/?a=1", "-H", "Host: localhost:8080"]);
    assert_eq!(signed(&["GET", "http://localhost:8080?a=1"]), root);
    assert_eq!(signed(&["GET", "http://localhost:8080?a=1#x"]), root);
    let presigned = signed(&["GET", "http://localhost:8080?a=1", "--presign", "60"]);
    assert!(presigned.starts_with("http://localhost:8080/?a=1&X-Amz-Algorithm="), "{presigned}");

    let refused = run(&["sign", "GET", "http://a/p", "-H", "Host: b"], b"");
    assert_eq!(refused.status.code(), Some(2));
    let refused = run(&["sign", "G ET", "http://a/p"], b"");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("method"));
}

#[test]
fn options_take_their_value_after_an_equals_sign_and_never_echo_it() {
    let by_env = signed(&["GET", "http://localhost:8080/v1/posts"]);
    let inline = format!("--secret={SECRET}");
    let by_option = signed(&["GET", "http://localhost:8080/v1/posts", "--key=app:myapp", &inline]);
    assert_eq!(by_option, by_env);
    let refused = run(&["sign", "GET", "/p", "--secrett=hunter2hunter2"], b"");
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("unknown option --secrett") && !said.contains("hunter2"), "{said}");
    let refused = run(&["sign", "GET", "/p", "--normalize=yes"], b"");
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn check_reports_a_file_it_cannot_read_and_still_closes() {
    let output = run(&["check", "tests/vectors/permissions.jsonl", "no/such/file.jsonl"], b"");
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("FAIL no/such/file.jsonl: the file cannot be read"), "{text}");
    assert_eq!(text.lines().last(), Some("60 passed, 1 failed"));
}

#[test]
fn a_reader_that_stops_early_ends_the_tool_quietly() {
    // `para-auth check FILE | head`: more output than a pipe holds, and a
    // reader that closes its end before reading any of it.
    let dir = std::env::temp_dir().join(format!("para-auth-cli-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("many.jsonl");
    std::fs::write(&file, "{\"kind\":\"acl\",\"id\":\"a\"}\n".repeat(5000)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_para-auth"))
        .args(["check", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
    assert!(!output.status.success(), "output was lost: not a success");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sign_takes_headers_a_body_and_presigns() {
    // aws4 1.13.2 signed this request (tests/vectors/sigv4.jsonl, sigv4-s1-0015).
    let body = r#"{"name": "stra\u00dfe", "n": 360375, "tags": ["a", "d"], "ok": false}"#;
    let output = run(
        &[
            "sign",
            "--key",
            "app:a1983",
            "--secret",
            "xG1kRCEsl3lVXO2MAW82L4nUarceyRup8GyJCgTjbThS+CrFqzc9Jg==",
            "--now",
            "2013800631",
            "-H",
            "Content-Type: application/json",
            "-H",
            "X-Request-Note: red",
            "-H",
            "Content-Length: 69",
            "--data",
            body,
            "POST",
            "http://localhost:8080/v1/users/976747416905369851?desc=2",
        ],
        b"",
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = stdout(&output);
    assert!(text.contains("X-Amz-Date: 20331024T210351Z\n"), "{text}");
    let aws4 = "SignedHeaders=content-length;content-type;host;x-amz-date;x-request-note, \
                Signature=d5e3fa2184ad6444f8194373d65121fb4f3852de8f493dc0d0a3924367057c40";
    assert!(text.contains(aws4), "{text}");

    // botocore 1.44.8 presigned this URL for 300 seconds (tests/presign.rs).
    let url = "http://localhost:8080/v1/posts?q=a%20b&limit=5";
    let output = run(&["sign", "--now", "1704164645", "--presign", "300", "GET", url], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = stdout(&output);
    assert!(text.starts_with("http://localhost:8080/v1/posts?q=a%20b&limit=5&X-Amz-"), "{text}");
    let botocore =
        "X-Amz-Signature=7c8d833bb34ab15e1ffd3bfb064c143d4b811955c8bcab6e8f2011bcdda5f460";
    assert!(text.trim_end().ends_with(botocore), "{text}");

    // Out of range, or not a number: an error, no URL.
    for expires in ["0", "604801", "soon"] {
        let output = run(&["sign", "--presign", expires, "GET", url], b"");
        assert!(!output.status.success() && output.stdout.is_empty(), "{expires}");
        assert!(!output.stderr.is_empty(), "{expires}: says why");
    }
    // A header without its colon, and an unknown option: the usage, status 2.
    for args in [&["sign", "-H", "Broken", "GET", url][..], &["sign", "--frobnicate", "GET", url]] {
        let output = run(args, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}

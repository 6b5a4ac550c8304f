//! Requests as a client sends them to a proxy: the target in absolute form.
//!
//! The two requests below were captured on the wire: botocore 1.44.8
//! (`SigV4Auth`, service `para`, region `us-east-1`, key `app:myapp`)
//! signed them and its HTTP client, urllib3 2.8.0 configured with an HTTP
//! proxy, sent them to a listener standing in for the proxy. botocore signs
//! the path and query of the URL and the `Host` it sends.

use para_auth::sigv4::Verifier;
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, Error, Malformed, OwnedRequest, SecretKey, Timestamp, block_on_ready};

const SECRET: &str = "cGFyYS1hdXRoIGludGVyb3A6IGEgZml4ZWQgNDAtYnl0ZSBrZXkhIQ==";
/// 2026-12-04T06:36:18Z, the `X-Amz-Date` of both requests.
const NOW: Timestamp = Timestamp::from_unix(1_796_366_178);

const GET_LINE: &str =
    "GET http://localhost:8080/v1/search/default?q=hello%20world&limit=5 HTTP/1.1";
const GET_HOST: &str = "Host: localhost:8080";
const GET_SIGNATURE: &str = "5ef1c08265138ab405fdc6f5acebb6e9225170548d87aa7bf48477836c3505f5";

const PUT_LINE: &str = "PUT http://api.example.com:8080/v1/my%20type/a%2Fb?b=2&a=1 HTTP/1.1";
const PUT_HOST: &str = "Host: api.example.com:8080";
const PUT_SIGNATURE: &str = "2eaa70229cada3740955b10a508d6a66dcda65dca87f731e22e4ff33642cb854";

/// Raw HTTP/1.1 text: the request line, the header lines, a blank line, the body.
fn raw(request_line: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut text = format!("{request_line}\r\n");
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

fn authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "Authorization: AWS4-HMAC-SHA256 \
         Credential=app:myapp/20261204/us-east-1/para/aws4_request, \
         SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// The captured GET, its `Host` line replaced by `host` (none when `None`).
fn get(host: Option<&str>) -> Vec<u8> {
    let authorization = authorization("host;x-amz-date", GET_SIGNATURE);
    let mut headers = vec!["Accept-Encoding: identity", "User-Agent: python-urllib3/2.8.0"];
    headers.extend(host);
    headers.extend(["X-Amz-Date: 20261204T063618Z", &authorization]);
    raw(GET_LINE, &headers, "")
}

fn put() -> Vec<u8> {
    let authorization = authorization("content-type;host;x-amz-date", PUT_SIGNATURE);
    let headers = [
        PUT_HOST,
        "Accept-Encoding: identity",
        "User-Agent: python-urllib3/2.8.0",
        "Content-Type: application/json",
        "X-Amz-Date: 20261204T063618Z",
        &authorization,
        "Content-Length: 7",
    ];
    raw(PUT_LINE, &headers, "{\"x\":1}")
}

fn verify(request: &OwnedRequest) -> Result<(), Error> {
    let store = MemoryAppStore::new();
    let key = AccessKey::new("app:myapp").unwrap();
    store.insert(AppRecord::new(key, SecretKey::new(SECRET).unwrap()));
    block_on_ready(Verifier::new(store).verify(request, NOW)).map(|_| ())
}

fn malformed(raw: &[u8]) -> Malformed {
    match OwnedRequest::parse_http1(raw) {
        Err(Error::Malformed(what)) => what,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(raw)),
    }
}

#[test]
fn botocore_requests_sent_to_a_proxy_verify() {
    for raw in [get(Some(GET_HOST)), put()] {
        let request = OwnedRequest::parse_http1(&raw).unwrap();
        verify(&request).unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&raw)));
    }
}

#[test]
fn the_target_becomes_the_path_and_query_it_names() {
    let request = OwnedRequest::parse_http1(&put()).unwrap();
    assert_eq!(request.target, b"/v1/my%20type/a%2Fb?b=2&a=1");
    assert_eq!(request.body, b"{\"x\":1}");
    let hosts: Vec<_> = request.headers.iter().filter(|(n, _)| n == "Host").collect();
    assert_eq!(hosts, [&("Host".to_owned(), b"api.example.com:8080".to_vec())]);

    for (target, origin) in [
        ("http://localhost:8080", "/"),
        ("http://localhost:8080?a=1", "/?a=1"),
        ("HTTPS://localhost:8080/", "/"),
        ("http://user@localhost:8080/v1/_me", "/v1/_me"),
    ] {
        let text = raw(&format!("GET {target} HTTP/1.1"), &["Host: localhost:8080"], "");
        let request = OwnedRequest::parse_http1(&text).unwrap();
        assert_eq!(request.target, origin.as_bytes(), "{target}");
    }
}

#[test]
fn without_a_host_header_the_host_is_the_targets() {
    let request = OwnedRequest::parse_http1(&get(None)).unwrap();
    let host = request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("host"));
    assert_eq!(host.map(|(_, v)| v.as_slice()), Some(&b"localhost:8080"[..]));
    verify(&request).unwrap();

    for (target, host) in [
        ("http://example.com:80/", "example.com"),
        ("https://example.com:443/", "example.com"),
        ("https://example.com:8443/", "example.com:8443"),
        ("http://[::1]:80/", "[::1]"),
    ] {
        let text = raw(&format!("GET {target} HTTP/1.1"), &[], "");
        let request = OwnedRequest::parse_http1(&text).unwrap();
        assert_eq!(request.headers, [("Host".to_owned(), host.as_bytes().to_vec())], "{target}");
    }
}

#[test]
fn a_host_header_may_differ_only_in_case_and_default_port() {
    for (target, host) in [
        ("http://example.com/", "EXAMPLE.com"),
        ("http://example.com/", "example.com:80"),
        ("https://example.com:443/", "example.com"),
    ] {
        let text = raw(&format!("GET {target} HTTP/1.1"), &[&format!("Host: {host}")], "");
        let request = OwnedRequest::parse_http1(&text).unwrap();
        // The header is kept as the client sent (and signed) it.
        assert_eq!(request.headers, [("Host".to_owned(), host.as_bytes().to_vec())]);
    }
}

#[test]
fn a_host_header_naming_another_host_is_refused() {
    // A request signed for one host must not be routed to another.
    assert_eq!(malformed(&get(Some("Host: evil.example.com"))), Malformed::HostMismatch);
    for (target, host) in [
        ("http://example.com/", "example.com:8080"),
        ("https://example.com/", "example.com:80"),
        ("http://example.com/", "example.org"),
        ("http://example.com/", ""),
    ] {
        let text = raw(&format!("GET {target} HTTP/1.1"), &[&format!("Host: {host}")], "");
        assert_eq!(malformed(&text), Malformed::HostMismatch, "{target} {host}");
    }
    let two = raw("GET http://example.com/ HTTP/1.1", &["Host: example.com"; 2], "");
    assert_eq!(malformed(&two), Malformed::HostMismatch);
    let error = OwnedRequest::parse_http1(&two).unwrap_err();
    assert_eq!(error.reason().as_str(), "malformed", "{error}");
}

#[test]
fn an_unreadable_authority_is_refused() {
    for target in ["http:///v1/_me", "http://exa mple.com/", "http://example.com:port/"] {
        let text = raw(&format!("GET {target} HTTP/1.1"), &["Host: example.com"], "");
        assert_eq!(malformed(&text), Malformed::Target, "{target}");
    }
}

#[test]
fn origin_form_targets_that_mention_a_uri_are_left_alone() {
    for target in ["/go?to=http://example.com/", "/a://b", "*"] {
        let text = raw(&format!("OPTIONS {target} HTTP/1.1"), &["Host: localhost"], "");
        let request = OwnedRequest::parse_http1(&text).unwrap();
        assert_eq!(request.target, target.as_bytes());
    }
}

#[test]
fn a_changed_absolute_target_fails_to_verify() {
    let text = String::from_utf8(put()).unwrap().replace("a=1", "a=2");
    let request = OwnedRequest::parse_http1(text.as_bytes()).unwrap();
    assert_eq!(verify(&request).unwrap_err().reason().as_str(), "signature_mismatch");
}

#[test]
fn a_request_built_by_hand_is_put_in_origin_form_the_same_way() {
    let absolute = OwnedRequest::new("GET", "https://example.com:443/v1/_me?a=1");
    let request = absolute.into_origin_form().unwrap();
    assert_eq!(request.target, b"/v1/_me?a=1");
    assert_eq!(request.headers, [("Host".to_owned(), b"example.com".to_vec())]);

    let origin = OwnedRequest::new("GET", "/v1/_me").header("Host", "example.com");
    assert_eq!(origin.clone().into_origin_form().unwrap(), origin);

    let other = OwnedRequest::new("GET", "http://example.com/").header("Host", "example.org");
    assert!(matches!(other.into_origin_form(), Err(Error::Malformed(Malformed::HostMismatch))));
}

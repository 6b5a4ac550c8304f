//! Where `host` comes from, and that it is always signed.
//!
//! The signatures below were made by botocore 1.44.8 (`SigV4Auth`, service
//! `para`, region `us-east-1`) for `GET` of each URL with no `Host` header,
//! key `app:myapp`, Para's example secret, at 2024-01-02T03:04:05Z: botocore
//! signs the host its HTTP client will send, without user information and
//! without the scheme's default port. An HTTP/2 request reaches a server in
//! the same shape: the authority in the URI, no `Host` header.

use para_auth::sigv4::{SignOptions, Signer, Verifier};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, Reason, SecretKey, Timestamp, block_on_ready};

const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const AMZ_DATE: &str = "20240102T030405Z";
const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);

/// (URL, the host a client sends for it, botocore's signature).
const BOTOCORE: [(&str, &str, &str); 6] = [
    (
        "https://example.com/v1/_me",
        "example.com",
        "5dbc47bb3074271ab16590816e575b70246ce03154e1f0e19c005aa155b3f4ff",
    ),
    (
        "http://example.com:8080/v1/posts?q=a%20b",
        "example.com:8080",
        "83190c4b008ca07d3f1ea343bf6ec46b1258024992a7cda7ec5f34c63faadb06",
    ),
    (
        "https://example.com:443/v1/posts/123",
        "example.com",
        "7f8861e21c5d3650fe11937ff7e3fa59e23b4c344defe7ba50e2ea8146aeb360",
    ),
    (
        "https://[::1]:443/v1/_me",
        "[::1]",
        "c2f873c2e93b7933d5f752f0195af5963bdccee78f6f21f210be678817a4755c",
    ),
    (
        "http://[::1]:8080/v1/_me",
        "[::1]:8080",
        "b4d354cc493098fbd34f7ca4e0cc5ee82e58dcd6000a74b135c8278f38d9772e",
    ),
    (
        "http://user@example.com/v1/_me",
        "example.com",
        "5dbc47bb3074271ab16590816e575b70246ce03154e1f0e19c005aa155b3f4ff",
    ),
];

fn key() -> AccessKey {
    AccessKey::new("app:myapp").unwrap()
}

fn secret() -> SecretKey {
    SecretKey::new(SECRET).unwrap()
}

fn verifier() -> Verifier<MemoryAppStore> {
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key(), secret()));
    Verifier::new(store)
}

fn authorization(signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=app:myapp/20240102/us-east-1/para/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature={signature}"
    )
}

/// `GET url` with the signature's headers and no `Host`.
fn http_request(url: &str, signature: &str) -> http::Request<Vec<u8>> {
    http::Request::get(url)
        .header("X-Amz-Date", AMZ_DATE)
        .header("Authorization", authorization(signature))
        .body(Vec::new())
        .unwrap()
}

#[test]
fn signs_an_absolute_uri_without_host_as_botocore_does() {
    let signer = Signer::new(key(), secret());
    for (url, _, want) in BOTOCORE {
        let request = http::Request::get(url).body(Vec::<u8>::new()).unwrap();
        let signature = signer.sign(&request, NOW).unwrap();
        assert_eq!(signature.authorization, authorization(want), "{url}");
    }
}

#[test]
fn verifies_botocore_signatures_with_the_host_in_the_uri() {
    let verifier = verifier();
    for (url, _, signature) in BOTOCORE {
        let request = http_request(url, signature);
        block_on_ready(verifier.verify(&request, NOW)).unwrap_or_else(|e| panic!("{url}: {e}"));
        // As a server's router holds it: head only, the body not read yet.
        let (parts, _) = request.into_parts();
        block_on_ready(verifier.verify(&parts, NOW)).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn the_same_signatures_verify_with_the_host_header_a_client_sends() {
    let verifier = verifier();
    for (url, host, signature) in BOTOCORE {
        let target = url.splitn(4, '/').nth(3).map(|path| format!("/{path}")).unwrap();
        let request = OwnedRequest::new("GET", target)
            .header("Host", host)
            .header("X-Amz-Date", AMZ_DATE)
            .header("Authorization", authorization(signature));
        block_on_ready(verifier.verify(&request, NOW)).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn a_host_header_is_signed_rather_than_the_uri() {
    // Sent to an internal address with the public host in `Host`.
    let request = http::Request::get("http://10.0.0.7:9000/v1/_me")
        .header("Host", "example.com")
        .body(Vec::<u8>::new())
        .unwrap();
    let signature = Signer::new(key(), secret()).sign(&request, NOW).unwrap();
    let (_, _, want) = BOTOCORE[0];
    assert_eq!(signature.authorization, authorization(want));

    let mut signed = http_request("http://10.0.0.7:9000/v1/_me", want);
    block_on_ready(verifier().verify(&signed, NOW)).unwrap_err();
    signed.headers_mut().insert("host", http::HeaderValue::from_static("example.com"));
    block_on_ready(verifier().verify(&signed, NOW)).unwrap();
}

#[test]
fn refuses_to_sign_without_a_host() {
    let signer = Signer::new(key(), secret());
    let no_host = OwnedRequest::new("GET", "/v1/_me");
    let origin_form = http::Request::get("/v1/_me").body(Vec::<u8>::new()).unwrap();
    for error in [
        signer.sign(&no_host, NOW).unwrap_err(),
        signer.presign(&no_host, NOW, 60).unwrap_err(),
        signer.sign(&origin_form, NOW).unwrap_err(),
    ] {
        assert_eq!(error.reason(), Reason::Config, "{error}");
        assert!(error.to_string().contains("host"), "{error}");
    }

    let options = SignOptions { unsigned_headers: vec!["Host".to_owned()], ..Default::default() };
    let signer = signer.with_options(options);
    let with_host = no_host.header("Host", "example.com");
    for error in [
        signer.sign(&with_host, NOW).unwrap_err(),
        signer.presign(&with_host, NOW, 60).unwrap_err(),
    ] {
        assert_eq!(error.reason(), Reason::Config, "{error}");
    }
}

#[test]
fn unsigned_headers_are_left_out_of_the_signature() {
    // Para's example `GET /v1/posts/123` signs `host;x-amz-date` only.
    let want = "3ed4c3f81054ea75ab7382e5e87777f4f07c09b98fb47448e1fcda9e169e0f8d";
    let options =
        SignOptions { unsigned_headers: vec!["user-AGENT".to_owned()], ..Default::default() };
    let signer = Signer::new(key(), secret()).with_options(options);
    let request = |agent: &str| {
        OwnedRequest::new("GET", "/v1/posts/123")
            .header("Host", "localhost:8080")
            .header("User-Agent", agent)
    };
    let signature = signer.sign(&request("curl/8"), NOW).unwrap();
    assert!(
        signature
            .authorization
            .ends_with(&format!("SignedHeaders=host;x-amz-date, Signature={want}"))
    );

    let sent = signature
        .headers()
        .fold(request("something else"), |request, (name, value)| request.header(name, value));
    block_on_ready(verifier().verify(&sent, NOW)).unwrap();
}

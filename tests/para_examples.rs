//! Para's own verified examples: exact signatures for requests its server
//! accepts (key `app:myapp`, host `localhost:8080`, `20240102T030405Z`,
//! signed headers `host;x-amz-date`, empty body).

use para_auth::sigv4::{Signer, Verifier};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, AmzDate, OwnedRequest, Reason, SecretKey, block_on_ready};

const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";

const EXAMPLES: [(&str, &str); 4] = [
    ("/v1/posts/123", "3ed4c3f81054ea75ab7382e5e87777f4f07c09b98fb47448e1fcda9e169e0f8d"),
    (
        "/v1/search/default?q=hello%20world&limit=5",
        "4073f2213154cfd10e247f80fb8c680c3015b322108528ca9a8c5b0dc546c46a",
    ),
    ("/v1/my%20type/a%20b", "098047387c48b0d30dc657e90ec0ba2a5bc07698d99c0631f2fc258843475826"),
    ("/v1/search?q=&a=1", "1c35fa7c25cf87d59ea0372be9f407e6cc4ba9435d5c55290d837215257c71bb"),
];

fn key() -> AccessKey {
    AccessKey::new("app:myapp").unwrap()
}

fn secret() -> SecretKey {
    SecretKey::new(SECRET).unwrap()
}

#[test]
fn signer_matches_paras_signatures() {
    let (_, now) = AmzDate::parse(b"20240102T030405Z").unwrap();
    let signer = Signer::new(key(), secret());
    for (target, want) in EXAMPLES {
        let request = OwnedRequest::new("GET", target).header("Host", "localhost:8080");
        let signature = signer.sign(&request, now).unwrap();
        let expected = format!(
            "AWS4-HMAC-SHA256 Credential=app:myapp/20240102/us-east-1/para/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature={want}"
        );
        assert_eq!(signature.authorization, expected, "GET {target}");
    }
}

#[test]
fn verifier_accepts_paras_signatures_and_nothing_else() {
    let (_, now) = AmzDate::parse(b"20240102T030405Z").unwrap();
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key(), secret()));
    let verifier = Verifier::new(store);

    for (target, signature) in EXAMPLES {
        let request = |sig: &str| {
            OwnedRequest::new("GET", target)
                .header("Host", "localhost:8080")
                .header("X-Amz-Date", "20240102T030405Z")
                .header(
                    "Authorization",
                    format!(
                        "AWS4-HMAC-SHA256 \
                         Credential=app:myapp/20240102/us-east-1/para/aws4_request, \
                         SignedHeaders=host;x-amz-date, Signature={sig}"
                    ),
                )
        };
        let verified = block_on_ready(verifier.verify(&request(signature), now)).unwrap();
        assert_eq!(verified.app().access_key.as_str(), "app:myapp");

        // Another example's signature is refused.
        let other = EXAMPLES.iter().find(|(t, _)| *t != target).unwrap().1;
        let err = block_on_ready(verifier.verify(&request(other), now)).unwrap_err();
        assert_eq!(err.reason(), Reason::SignatureMismatch, "GET {target}");
    }
}

//! Presigned URLs against botocore's.
//!
//! The URLs below were made by botocore 1.44.8 (`SigV4QueryAuth`, service
//! `para`, region `us-east-1`) for `GET http://localhost:8080/v1/posts?q=a%20b&limit=5`,
//! key `app:myapp`, Para's example secret, at 2024-01-02T03:04:05Z.

use para_auth::sigv4::{Signer, Verifier};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, SecretKey, Timestamp, block_on_ready};

const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);
const TARGET: &str = "/v1/posts?q=a%20b&limit=5";

/// botocore's URL (less scheme and host) for 300 seconds.
const FOR_300: &str = "/v1/posts?q=a%20b&limit=5&X-Amz-Algorithm=AWS4-HMAC-SHA256\
    &X-Amz-Credential=app%3Amyapp%2F20240102%2Fus-east-1%2Fpara%2Faws4_request\
    &X-Amz-Date=20240102T030405Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host\
    &X-Amz-Signature=7c8d833bb34ab15e1ffd3bfb064c143d4b811955c8bcab6e8f2011bcdda5f460";
/// botocore's signature of the same request for 900 seconds.
const SIGNATURE_900: &str = "11fadc17bc0afa7c0bb36a815049a9661f63863af8262741d276183e0bef2a69";

fn signer() -> Signer {
    Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(SECRET).unwrap())
}

fn get(target: &str) -> OwnedRequest {
    OwnedRequest::new("GET", target).header("Host", "localhost:8080")
}

fn signature_of(target: &str) -> &str {
    let (_, rest) = target.split_once("X-Amz-Signature=").unwrap();
    assert!(!rest.contains("X-Amz-Signature="), "two signatures in {target}");
    rest
}

#[test]
fn presigns_as_botocore_does() {
    let ours = signer().presign(&get(TARGET), NOW, 300).unwrap().target;
    assert_eq!(signature_of(&ours), signature_of(FOR_300), "{ours}");
    let ours = signer().presign(&get(TARGET), NOW, 900).unwrap().target;
    assert_eq!(signature_of(&ours), SIGNATURE_900, "{ours}");

    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(
        AccessKey::new("app:myapp").unwrap(),
        SecretKey::new(SECRET).unwrap(),
    ));
    let verifier = Verifier::new(store);
    for target in [FOR_300, &ours] {
        block_on_ready(verifier.verify(&get(target), NOW)).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_presigned_url_presigns_again_in_place_of_its_parameters() {
    // botocore's own URL, presigned again for 900 s: its parameters are
    // replaced, not repeated, so the signature is that of the plain request.
    let again = signer().presign(&get(FOR_300), NOW, 900).unwrap().target;
    assert_eq!(signature_of(&again), SIGNATURE_900, "{again}");
    assert_eq!(again.matches("X-Amz-").count(), 6, "{again}");
    assert!(again.starts_with("/v1/posts?q=a%20b&limit=5&X-Amz-Algorithm="), "{again}");
    // A name written with escapes is still one of them.
    let escaped = FOR_300.replace("X-Amz-Date=", "X-Amz%2DDate=");
    let again = signer().presign(&get(&escaped), NOW, 900).unwrap().target;
    assert_eq!(signature_of(&again), SIGNATURE_900, "{again}");
}

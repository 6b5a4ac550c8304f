//! Sign a request as an app, verify it as a server, and print both sides.
//!
//! Run with `cargo run --example quickstart`.

use para_auth::sigv4::{Signer, Verifier, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, AppId, OwnedRequest, SecretKey, SystemClock, block_on_ready};

fn main() -> Result<(), para_auth::Error> {
    // The app's keys. Para's access key is the app id.
    let app = AppId::new("My App")?;
    let key = AccessKey::from(app);
    let secret = SecretKey::new("FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==")?;
    let now = SystemClock::now();

    // The app's side: sign a request.
    let request = OwnedRequest::new("GET", "/v1/search/default?q=hello%20world&limit=5")
        .header("Host", "localhost:8080");
    let signature = Signer::new(key.clone(), secret.clone()).sign(&request, now)?;
    let mut signed = request.clone();
    println!("app signs:\n  {} {}", signed.method, String::from_utf8_lossy(&signed.target));
    println!("  Host: localhost:8080");
    for (name, value) in signature.headers() {
        println!("  {name}: {value}");
        signed = signed.header(name, value);
    }

    // The server's side: the app is in the store; verify.
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key, secret));
    let config = VerifierConfig { diagnostics: true, ..VerifierConfig::para() };
    let verifier = Verifier::with_config(store, config);

    let verdict = block_on_ready(verifier.verify(&signed, now));
    match &verdict {
        Ok(v) => println!("server says: valid, signed by {}", v.app().access_key),
        Err(e) => println!("server says: invalid:{} ({e})", e.reason()),
    }

    // A tampered copy is refused, and the server can show what it computed.
    let mut tampered = signed.clone();
    tampered.target = b"/v1/search/default?q=hello%20world&limit=500".to_vec();
    if let Err(err) = block_on_ready(verifier.verify(&tampered, now)) {
        println!("tampered copy: invalid:{} ({err})", err.reason());
        if let Some(diagnostic) = err.diagnostic() {
            println!("server's canonical request:\n{}", diagnostic.canonical_request);
        }
    }
    verdict.map(|_| ())
}

//! Para's authentication and authorization model for Rust services.
//!
//! Apps sign requests with AWS Signature Version 4 (service `para`, region
//! `us-east-1`); servers verify them, byte for byte as the real clients
//! (botocore, aws4, @smithy/signature-v4, Para's own) compute them.
//!
//! ```
//! use para_auth::{AccessKey, SecretKey, Timestamp, OwnedRequest};
//! use para_auth::sigv4::{Signer, Verifier};
//! use para_auth::store::{AppRecord, MemoryAppStore};
//!
//! # fn main() -> Result<(), para_auth::Error> {
//! let key = AccessKey::new("app:myapp")?;
//! let secret = SecretKey::new("FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==")?;
//! let now = Timestamp::from_unix(1_704_164_645);
//!
//! // The app signs.
//! let signer = Signer::new(key.clone(), secret.clone());
//! let mut request = OwnedRequest::new("GET", "/v1/posts/123").header("Host", "localhost:8080");
//! for (name, value) in signer.sign(&request, now)?.headers() {
//!     request = request.header(name, value);
//! }
//!
//! // The server verifies.
//! let store = MemoryAppStore::new();
//! store.insert(AppRecord::new(key, secret));
//! let verifier = Verifier::new(store);
//! let verified = para_auth::block_on_ready(verifier.verify(&request, now))?;
//! assert_eq!(verified.app().access_key.as_str(), "app:myapp");
//! # Ok(())
//! # }
//! ```
//!
//! # Architecture
//!
//! ```text
//!            gate: request -> Caller (app | user | guest) -> Allowed, with grounds
//!              |               |                  |                   |
//!            sigv4            jwt            permissions          identity
//!   canonical, sign,   issue, verify,    Para's map, compiled   providers behind
//!   presign, parse,    refresh, revoke   index, decide with     a trait; sign-in
//!   verify             (jws underneath)  the deciding entry     and sign-up
//!              \               |                  |                   /
//!   store (apps) and users: async traits, in memory by default
//!   keys: AppId, AccessKey, SecretKey, generate    request: RequestView, OwnedRequest
//!   time: Timestamp (always an argument), SystemClock (the one clock read)
//!   error: one Error with a stable Reason and an HTTP status
//! ```
//!
//! Dependencies point downwards only: `sigv4`, `jwt` and `permissions` know
//! nothing of each other, and `gate` combines them. The pure parts
//! (canonicalise, sign, verify with a given record, decide a permission) are
//! synchronous; the stores are async, since they may be a database shared by
//! many servers.
//!
//! # Security model
//!
//! - **Trust.** A request is trusted only as far as its signature: the
//!   signature covers the method, path, query, the signed headers and the
//!   payload hash. Unsigned headers are the client's word, nothing more.
//!   `host` and `x-amz-date` must be signed.
//! - **Clock.** Time is an argument. A header-signed request must be dated
//!   within 900 s of `now`, either way (configurable); a presigned one is
//!   valid until its `X-Amz-Expires` and may be dated up to the same skew
//!   ahead.
//! - **Replay.** SigV4 does not prevent replay inside the window: anyone who
//!   sees a signed request can send it again until it falls out of the
//!   window. Use TLS, and keep the window short where replay matters.
//! - **Secrets** zeroize on drop, never print, and signatures compare in
//!   constant time. A client is never told an unknown key from a bad
//!   signature ([`Error::public_message`]).

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod error;
pub mod gate;
pub mod identity;
pub mod jwt;
pub mod keys;
pub mod permissions;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod request;
pub mod sigv4;
pub mod store;
mod sync;
pub mod time;
#[cfg(feature = "tower")]
pub mod tower;
pub mod users;

pub mod conformance;

pub use error::{Diagnostic, Error, Malformed, Reason, ScopeField, SignInFailure};
pub use keys::{AccessKey, AppId, SecretKey};
pub use request::{Body, OwnedRequest, RequestView};
pub use time::{AmzDate, SystemClock, Timestamp};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Drive a future whose every await is immediately ready to completion.
///
/// The in-memory stores answer at once, so a verifier over them needs no
/// runtime: this polls the future in a loop on the current thread. With a
/// store that really waits (a database) use your async runtime instead; this
/// would spin.
pub fn block_on_ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

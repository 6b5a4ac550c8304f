//! AWS Signature Version 4, as Para uses it.
//!
//! - [`Signer`] adds `X-Amz-Date` and `Authorization` to a request, or
//!   presigns it into a URL.
//! - [`SignedRequest::parse`] reads the signature of an incoming request
//!   without a key or a clock; [`Verifier`] checks it against an
//!   [`AppStore`](crate::store::AppStore).
//! - [`canonical_request`] shows the text both sides hash, for people
//!   debugging a signature.
//!
//! The derivation chain, stated once:
//!
//! ```text
//! k_date    = HMAC("AWS4" + secret, yyyymmdd)
//! k_region  = HMAC(k_date, region)
//! k_service = HMAC(k_region, service)
//! k_signing = HMAC(k_service, "aws4_request")
//! signature = hex(HMAC(k_signing, string_to_sign))
//! ```

mod cache;
mod canonical;
mod encode;
mod parse;
mod sign;
mod verify;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use canonical::{CanonicalRules, PathEncoding, SENSITIVE_HEADERS};
pub use parse::{Form, SignedRequest};
pub use sign::{PresignedUrl, SignOptions, Signature, Signer};
pub use verify::{PayloadCheck, VerifiedRequest, Verifier, VerifierConfig};

use crate::error::Error;
use crate::keys::SecretKey;
use crate::request::RequestView;

/// The only algorithm: `AWS4-HMAC-SHA256`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The scope terminator: `aws4_request`.
pub const TERMINATOR: &str = "aws4_request";
/// Para's service name.
pub const PARA_SERVICE: &str = "para";
/// Para's region.
pub const PARA_REGION: &str = "us-east-1";
/// The payload hash of an empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The payload hash value that leaves the body unsigned.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The longest validity of a presigned request: a week, in seconds.
pub const MAX_PRESIGN_EXPIRES: u32 = 604_800;

type HmacSha256 = Hmac<Sha256>;

/// The keyed HMAC state for one (secret, date, region, service): what signs.
#[derive(Clone)]
pub(crate) struct SigningKey(HmacSha256);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Run the derivation chain.
    pub(crate) fn derive(secret: &SecretKey, date: &str, region: &str, service: &str) -> Self {
        let mut first = Zeroizing::new(Vec::with_capacity(4 + secret.expose_secret().len()));
        first.extend_from_slice(b"AWS4");
        first.extend_from_slice(secret.expose_secret().as_bytes());

        let k_date = Zeroizing::new(hmac(&first, date.as_bytes()));
        let k_region = Zeroizing::new(hmac(&*k_date, region.as_bytes()));
        let k_service = Zeroizing::new(hmac(&*k_region, service.as_bytes()));
        let k_signing = Zeroizing::new(hmac(&*k_service, TERMINATOR.as_bytes()));
        SigningKey(keyed(&*k_signing))
    }

    /// The signature of a string to sign whose variable parts are given.
    pub(crate) fn sign(
        &self,
        amz_date: &str,
        scope: &Scope<'_>,
        canonical_hash: &[u8; 32],
    ) -> [u8; 32] {
        let mut mac = self.0.clone();
        feed_string_to_sign(&mut mac, amz_date, scope, canonical_hash);
        mac.finalize().into_bytes().into()
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of every length: cannot fail.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A credential scope: `date/region/service/aws4_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// `yyyymmdd`.
    pub date: &'a str,
    /// e.g. `us-east-1`.
    pub region: &'a str,
    /// e.g. `para`.
    pub service: &'a str,
}

impl std::fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.date, self.region, self.service, TERMINATOR
        )
    }
}

/// Anything the string to sign can be written into.
trait Update {
    fn put(&mut self, bytes: &[u8]);
}

impl Update for HmacSha256 {
    fn put(&mut self, bytes: &[u8]) {
        Mac::update(self, bytes);
    }
}

impl Update for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

fn feed_string_to_sign(out: &mut impl Update, amz_date: &str, scope: &Scope<'_>, hash: &[u8; 32]) {
    let mut hex_hash = [0u8; 64];
    // 32 bytes always fit 64 hex digits: cannot fail.
    hex::encode_to_slice(hash, &mut hex_hash).unwrap_or_default();
    for piece in [
        ALGORITHM.as_bytes(),
        b"\n",
        amz_date.as_bytes(),
        b"\n",
        scope.date.as_bytes(),
    ] {
        out.put(piece);
    }
    for piece in [
        b"/",
        scope.region.as_bytes(),
        b"/",
        scope.service.as_bytes(),
        b"/",
    ] {
        out.put(piece);
    }
    for piece in [TERMINATOR.as_bytes(), b"\n", &hex_hash[..]] {
        out.put(piece);
    }
}

/// The string to sign for a canonical request, as text.
pub fn string_to_sign(amz_date: &str, scope: &Scope<'_>, canonical_request: &[u8]) -> String {
    let hash: [u8; 32] = Sha256::digest(canonical_request).into();
    let mut out = Vec::with_capacity(128);
    feed_string_to_sign(&mut out, amz_date, scope, &hash);
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical request a verifier builds for `request`, as text.
///
/// `signed_headers` is the lower-case, sorted, `;`-separated list and
/// `payload_hash` the value of the last line. Sensitive header values are
/// redacted only when `redact` is set (the text is then no longer the one
/// hashed).
///
/// # Errors
/// [`Error::Malformed`] for a target that is not a path, a broken percent
/// escape in the query, or a signed header absent from the request.
pub fn canonical_request<R: RequestView + ?Sized>(
    request: &R,
    signed_headers: &str,
    payload_hash: &str,
    rules: CanonicalRules,
    redact: bool,
) -> Result<String, Error> {
    let parts = canonical::Parts {
        method: request.method(),
        target: request.target(),
        signed_headers,
        payload_hash,
        skip_signature: true,
    };
    let mut out = Vec::new();
    let headers = canonical::ViewHeaders(request);
    if redact {
        canonical::write(&mut out, &parts, &canonical::Redacted(headers), rules)?;
    } else {
        canonical::write(&mut out, &parts, &headers, rules)?;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Hex SHA-256 of `bytes`, on the stack.
pub(crate) fn sha256_hex(bytes: &[u8]) -> [u8; 64] {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    let mut out = [0u8; 64];
    // 32 bytes always fit 64 hex digits: cannot fail.
    hex::encode_to_slice(digest, &mut out).unwrap_or_default();
    out
}

/// The text of a 64-byte ASCII hex buffer.
pub(crate) fn hex_str(hex: &[u8; 64]) -> &str {
    // Hex digits are ASCII: cannot fail.
    std::str::from_utf8(hex).unwrap_or_default()
}

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
pub(crate) mod canonical;
pub(crate) mod encode;
mod parse;
mod sign;
mod verify;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use canonical::{CanonicalRules, PathEncoding, SENSITIVE_HEADERS};
pub use parse::{Form, SignedRequest};
pub use sign::{DEFAULT_UNSIGNED_HEADERS, PresignedUrl, SignOptions, Signature, Signer};
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
///
/// It can sign anything for its day, so it is wiped when dropped: the state is
/// two SHA-256 states, which sha2's `zeroize` feature wipes (the build fails
/// without it).
#[derive(Clone)]
pub(crate) struct SigningKey(HmacSha256);

const _: fn() = || {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<Sha256>();
};

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
        amz_date: &[u8],
        scope: &Scope<'_>,
        canonical_hash: &[u8; 32],
    ) -> [u8; 32] {
        let mut mac = self.0.clone();
        // Gathered first, so the MAC sees one write (a long scope streams).
        let mut text = StackText::default();
        feed_string_to_sign(&mut text, amz_date, scope, canonical_hash);
        match text.as_slice() {
            Some(bytes) => mac.update(bytes),
            None => feed_string_to_sign(&mut mac, amz_date, scope, canonical_hash),
        }
        mac.finalize().into_bytes().into()
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of every length: cannot fail.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// HMAC-SHA-256 of `data` under `key`: the primitive every signature here rests on.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    hmac(key, data)
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

impl<'a> Scope<'a> {
    /// Date, region, service and `aws4_request`: the parts a `/` joins.
    pub(crate) fn parts(&self) -> [&'a str; 4] {
        [self.date, self.region, self.service, TERMINATOR]
    }

    /// `date/region/service/aws4_request`, a piece at a time.
    fn each_piece(&self, mut put: impl FnMut(&'a str)) {
        for (i, part) in self.parts().into_iter().enumerate() {
            if i > 0 {
                put("/");
            }
            put(part);
        }
    }

    /// Append `date/region/service/aws4_request` to `out`.
    pub(crate) fn push_to(&self, out: &mut String) {
        self.each_piece(|piece| out.push_str(piece));
    }
}

impl std::fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut result = Ok(());
        self.each_piece(|piece| result = result.and_then(|()| f.write_str(piece)));
        result
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

/// A string to sign on the stack; `None` once it outgrew the buffer.
struct StackText {
    buf: [u8; 256],
    len: Option<usize>,
}

impl Default for StackText {
    fn default() -> Self {
        StackText { buf: [0; 256], len: Some(0) }
    }
}

impl StackText {
    fn as_slice(&self) -> Option<&[u8]> {
        self.len.map(|len| &self.buf[..len])
    }
}

impl Update for StackText {
    fn put(&mut self, bytes: &[u8]) {
        self.len = self.len.and_then(|len| {
            let end = len.checked_add(bytes.len()).filter(|end| *end <= self.buf.len())?;
            self.buf[len..end].copy_from_slice(bytes);
            Some(end)
        });
    }
}

impl Update for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

fn feed_string_to_sign(out: &mut impl Update, amz_date: &[u8], scope: &Scope<'_>, hash: &[u8; 32]) {
    let hex_hash = hex32(hash);
    for piece in [ALGORITHM.as_bytes(), b"\n", amz_date, b"\n"] {
        out.put(piece);
    }
    scope.each_piece(|piece| out.put(piece.as_bytes()));
    for piece in [b"\n", &hex_hash[..]] {
        out.put(piece);
    }
}

/// The string to sign for a canonical request, as text.
pub fn string_to_sign(amz_date: &str, scope: &Scope<'_>, canonical_request: &[u8]) -> String {
    let hash: [u8; 32] = Sha256::digest(canonical_request).into();
    let mut out = Vec::with_capacity(128);
    feed_string_to_sign(&mut out, amz_date.as_bytes(), scope, &hash);
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical request a verifier builds for `request`, as text.
///
/// `signed_headers` is the lower-case, sorted, `;`-separated list and
/// `payload_hash` the value of the last line. `X-Amz-Signature` is left out
/// of the query, as the verifier does for a presigned request (it refuses a
/// request that carries the parameter and an `Authorization` header).
/// Sensitive header values are redacted only when `redact` is set (the text
/// is then no longer the one hashed). Header bytes that are not UTF-8 show
/// as U+FFFD.
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
    let bytes = canonical_request_bytes(request, signed_headers, payload_hash, rules, redact)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// As [`canonical_request`], the bytes exactly.
pub(crate) fn canonical_request_bytes<R: RequestView + ?Sized>(
    request: &R,
    signed_headers: &str,
    payload_hash: &str,
    rules: CanonicalRules,
    redact: bool,
) -> Result<Vec<u8>, Error> {
    let parts = canonical::Parts {
        method: request.method(),
        target: request.target(),
        signed_headers,
        payload_hash: payload_hash.as_bytes(),
        skip_signature: true,
    };
    let mut out = Vec::new();
    let headers = canonical::ViewHeaders::new(request, signed_headers);
    if redact {
        canonical::write(&mut out, &parts, &canonical::Redacted(headers), rules)?;
    } else {
        canonical::write(&mut out, &parts, &headers, rules)?;
    }
    Ok(out)
}

/// Hex SHA-256 of `bytes`, on the stack.
pub(crate) fn sha256_hex(bytes: &[u8]) -> [u8; 64] {
    if bytes.is_empty() {
        // The common case (GET, DELETE) needs no hashing.
        let mut out = [0u8; 64];
        out.copy_from_slice(EMPTY_SHA256.as_bytes());
        return out;
    }
    hex32(&Sha256::digest(bytes).into())
}

/// The body's SHA-256 in hex, when the view has the body or its digest.
pub(crate) fn body_sha256_hex(body: crate::request::Body<'_>) -> Option<[u8; 64]> {
    match body {
        crate::request::Body::Bytes(bytes) => Some(sha256_hex(bytes)),
        crate::request::Body::Sha256(digest) => Some(hex32(digest)),
        crate::request::Body::Unknown => None,
    }
}

/// Lower-case hex of 32 bytes.
///
/// One table lookup per byte gives both its digits.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    const PAIRS: [[u8; 2]; 256] = {
        let mut table = [[0u8; 2]; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = [DIGITS[b >> 4], DIGITS[b & 15]];
            b += 1;
        }
        table
    };
    let mut out = [0u8; 64];
    for (digits, byte) in out.chunks_exact_mut(2).zip(bytes) {
        digits.copy_from_slice(&PAIRS[usize::from(*byte)]);
    }
    out
}

/// 32 bytes from 64 hex digits (either case), or `None`.
///
/// Ours rather than the `hex` crate's: on a verify, its decoder ran some 600
/// more instructions (a tenth of what is not hashing). The test below holds
/// the two to the same answers.
///
/// Eight digits at a time, one per lane of a `u64`: every lane is checked to
/// be a digit or a letter `a` to `f` in either case, and its value is its low
/// nibble, plus 9 for a letter (bit 6 set).
pub(crate) fn unhex32(text: &[u8]) -> Option<[u8; 32]> {
    const LANES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x80 * LANES;
    // Lanes inside `lo..=hi`, as their high bit (meaningful when every lane is
    // below 0x80: then no sum carries into the next lane).
    let within = |c: u64, lo: u64, hi: u64| {
        c.wrapping_add((0x80 - lo) * LANES) & !c.wrapping_add((0x7F - hi) * LANES)
    };
    let text: &[u8; 64] = text.try_into().ok()?;
    let mut out = [0u8; 32];
    let mut bad = 0u64;
    for (four, eight) in out.chunks_exact_mut(4).zip(text.chunks_exact(8)) {
        let c = u64::from_le_bytes([
            eight[0], eight[1], eight[2], eight[3], eight[4], eight[5], eight[6], eight[7],
        ]);
        let ascii = c & HIGH == 0;
        let hex = within(c, 0x30, 0x39) | within(c | (0x20 * LANES), 0x61, 0x66);
        bad |= if ascii { !hex & HIGH } else { HIGH };
        let values = (c & (0x0F * LANES)) + ((c >> 6) & LANES) * 9;
        // Lane 2i gets digit 2i as its high nibble and 2i + 1 as its low one,
        // then the even lanes are packed into four bytes.
        let mut x = ((values << 4) | (values >> 8)) & 0x00FF_00FF_00FF_00FF;
        x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
        x = (x | (x >> 16)) & 0xFFFF_FFFF;
        four.copy_from_slice(&(x as u32).to_le_bytes());
    }
    (bad == 0).then_some(out)
}

/// The payload hash line of a canonical request: hex on the stack, or text
/// the request or a constant holds (`UNSIGNED-PAYLOAD`).
#[derive(Clone, Copy)]
pub(crate) enum PayloadHash<'a> {
    Hex([u8; 64]),
    Text(&'a str),
}

impl PayloadHash<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            PayloadHash::Hex(hex) => hex_str(hex),
            PayloadHash::Text(text) => text,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            PayloadHash::Hex(hex) => hex,
            PayloadHash::Text(text) => text.as_bytes(),
        }
    }
}

/// The text of a 64-byte ASCII hex buffer.
pub(crate) fn hex_str(hex: &[u8; 64]) -> &str {
    // Hex digits are ASCII: cannot fail.
    std::str::from_utf8(hex).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value in every position of a 64-digit text, against `hex`.
    #[test]
    fn unhex_decides_every_byte_as_hex_does() {
        let base = *b"0123456789abcdefABCDEF0123456789abcdefABCDEF0123456789abcdef0123";
        for at in 0..64 {
            for byte in 0..=255u8 {
                let mut text = base;
                text[at] = byte;
                let mut expected = [0u8; 32];
                let expected = hex::decode_to_slice(text, &mut expected).ok().map(|()| expected);
                assert_eq!(unhex32(&text), expected, "byte {byte:#x} at {at}");
            }
        }
    }

    #[test]
    fn hex_round_trips_and_refuses_non_hex() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        let text = hex32(&bytes);
        assert_eq!(unhex32(&text), Some(bytes));
        assert_eq!(unhex32(text.to_ascii_uppercase().as_slice()), Some(bytes));
        for bad in [&b"zz"[..], &[b'0'; 63], &[b'0'; 65], &[b'g'; 64], &[0xff; 64]] {
            assert_eq!(unhex32(bad), None);
        }
        assert_eq!(hex_str(&sha256_hex(b"")), EMPTY_SHA256);
        let all: Vec<u8> = (0..=255).collect();
        for chunk in all.chunks(32) {
            let bytes: [u8; 32] = chunk.try_into().unwrap();
            assert_eq!(hex_str(&hex32(&bytes)), hex::encode(bytes));
        }
        assert_eq!(
            hex_str(&sha256_hex(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

//! Compact JWS with HMAC (RFC 7515, RFC 7518 section 3.2): the layer under
//! Para's tokens, which knows nothing of claims.
//!
//! Everything that can be refused without a key is refused before any
//! cryptography: the size, the number of segments, non-canonical base64url
//! in the header or payload, a signature that is not base64url text, a
//! header that is not a JSON object, an algorithm other than HS256, HS384
//! or HS512 (`none` and every asymmetric one included), and any `crit`
//! extension (we understand none).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Sha256, Sha384, Sha512};

use crate::error::{Error, Malformed};

/// The largest token we read: larger ones are refused before anything else.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The HMAC algorithms of JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-SHA-256.
    HS256,
    /// HMAC-SHA-384.
    HS384,
    /// HMAC-SHA-512.
    HS512,
}

impl Algorithm {
    /// The `alg` header value.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "HS256" => Some(Algorithm::HS256),
            "HS384" => Some(Algorithm::HS384),
            "HS512" => Some(Algorithm::HS512),
            _ => None,
        }
    }

    /// The MAC length, and the least key length RFC 7518 allows, in bytes.
    pub const fn mac_len(self) -> usize {
        match self {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
        }
    }
}

/// A token split and decoded, its MAC not yet checked.
///
/// Its `Debug` shows the algorithm and the payload's length: never enough
/// to rebuild the token, which is a credential.
pub struct Parsed<'t> {
    /// The header's algorithm.
    pub algorithm: Algorithm,
    /// `header.payload` as sent: what the MAC covers.
    signing_input: &'t [u8],
    /// The decoded payload.
    pub payload: Vec<u8>,
    mac: [u8; 64],
    mac_len: usize,
}

impl std::fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed")
            .field("algorithm", &self.algorithm)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Option<std::borrow::Cow<'a, str>>,
    /// Whether `crit` is there at all, whatever its value (`null` too).
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(value).map(|_| true)
}

/// `json` read as `T` when it is a JSON object: serde would also read a
/// struct from an array, field by field, which no token holds.
pub(crate) fn from_object<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Option<T> {
    let start = json.iter().position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'));
    if start.map(|at| json[at]) != Some(b'{') {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// Split and decode a compact token, refusing all that needs no key.
///
/// # Errors
/// [`Error::Malformed`] for the size, the segments, the encoding, a header
/// that is not a JSON object or a `crit` header; [`Error::Algorithm`] for an
/// algorithm we do not accept.
pub fn parse(token: &[u8]) -> Result<Parsed<'_>, Error> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Malformed::TooLarge.into());
    }
    let [header_seg, payload_seg, mac_seg] = segments(token).ok_or(Malformed::Token)?;

    let algorithm = match common_header(header_seg) {
        Some(algorithm) => algorithm,
        None => read_header(header_seg)?,
    };

    let payload = decode(payload_seg)?;
    let mut mac_bytes = [0u8; 64];
    let mac_len = match URL_SAFE_NO_PAD.decode_slice(mac_seg, &mut mac_bytes) {
        Ok(len) => len,
        // Text of the alphabet, of a length base64 can have, that is no MAC
        // of ours (too long, or cut so that its last character has bits
        // left over): a wrong signature, as every verifier finds it. An
        // empty MAC matches nothing.
        Err(_) if mac_seg.len() % 4 != 1 && mac_seg.iter().all(|&b| is_base64url(b)) => 0,
        Err(_) => return Err(Malformed::Token.into()),
    };
    let signing_input = &token[..header_seg.len() + 1 + payload_seg.len()];
    Ok(Parsed { algorithm, signing_input, payload, mac: mac_bytes, mac_len })
}

/// The headers almost every token has, as they are encoded: `{"alg":"HSxxx"}`
/// and `{"alg":"HSxxx","typ":"JWT"}`. Matching the encoded bytes skips
/// decoding and parsing JSON that would say the same.
const COMMON_HEADERS: [(&[u8], Algorithm); 6] = [
    (b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", Algorithm::HS256),
    (b"eyJhbGciOiJIUzI1NiJ9", Algorithm::HS256),
    (b"eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9", Algorithm::HS384),
    (b"eyJhbGciOiJIUzM4NCJ9", Algorithm::HS384),
    (b"eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9", Algorithm::HS512),
    (b"eyJhbGciOiJIUzUxMiJ9", Algorithm::HS512),
];

/// The three `.`-separated segments, or `None` for any other number.
fn segments(token: &[u8]) -> Option<[&[u8]; 3]> {
    let first = memchr::memchr(b'.', token)?;
    let second = first + 1 + memchr::memchr(b'.', &token[first + 1..])?;
    let rest = &token[second + 1..];
    if memchr::memchr(b'.', rest).is_some() {
        return None;
    }
    Some([&token[..first], &token[first + 1..second], rest])
}

fn common_header(segment: &[u8]) -> Option<Algorithm> {
    COMMON_HEADERS.iter().find(|(encoded, _)| *encoded == segment).map(|(_, alg)| *alg)
}

fn read_header(segment: &[u8]) -> Result<Algorithm, Error> {
    let header_json = decode(segment)?;
    let header: Header<'_> = from_object(&header_json).ok_or(Malformed::Token)?;
    if header.crit {
        return Err(Malformed::Token.into());
    }
    header.alg.as_deref().and_then(Algorithm::from_name).ok_or(Error::Algorithm)
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Strict base64url without padding; trailing bits must be zero.
fn decode(segment: &[u8]) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| Malformed::Token.into())
}

impl Parsed<'_> {
    /// Check the MAC with `key`, in constant time.
    ///
    /// # Errors
    /// [`Error::Algorithm`] when the key is shorter than the algorithm's hash
    /// (RFC 7518 section 3.2); [`Error::BadSignature`] when the MAC differs.
    pub fn verify(&self, key: &[u8]) -> Result<(), Error> {
        if key.len() < self.algorithm.mac_len() {
            return Err(Error::Algorithm);
        }
        let mac = &self.mac[..self.mac_len];
        let ok = match self.algorithm {
            Algorithm::HS256 => check::<Hmac<Sha256>>(key, self.signing_input, mac),
            Algorithm::HS384 => check::<Hmac<Sha384>>(key, self.signing_input, mac),
            Algorithm::HS512 => check::<Hmac<Sha512>>(key, self.signing_input, mac),
        };
        if ok { Ok(()) } else { Err(Error::BadSignature) }
    }
}

impl Parsed<'_> {
    /// The payload's `exp` and `nbf` checked at `now` (see [`super::check_times`]).
    ///
    /// # Errors
    /// [`Error::Malformed`] when the payload is not a JSON object with numeric
    /// times; [`Error::Expired`] (also without `exp`) or [`Error::NotYetValid`].
    pub fn check_times(&self, now: crate::time::Timestamp, leeway_secs: u32) -> Result<(), Error> {
        #[derive(Deserialize)]
        struct Times {
            exp: Option<f64>,
            nbf: Option<f64>,
        }
        let times: Times = from_object(&self.payload).ok_or(Malformed::Claims)?;
        super::check_times(super::secs_up(times.exp), super::secs_up(times.nbf), now, leeway_secs)
    }
}

impl Parsed<'_> {
    /// Check an HS256 MAC with a keyed HMAC state prepared earlier (the key's
    /// length was checked when the state was made). `false` for other algorithms.
    pub(crate) fn verify_with_state(&self, keyed: &Hmac<Sha256>) -> bool {
        if self.algorithm != Algorithm::HS256 {
            return false;
        }
        let mut mac = keyed.clone();
        mac.update(self.signing_input);
        mac.verify_slice(&self.mac[..self.mac_len]).is_ok()
    }
}

fn check<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8], mac: &[u8]) -> bool {
    let Ok(mut m) = <M as hmac::digest::KeyInit>::new_from_slice(key) else { return false };
    m.update(input);
    m.verify_slice(mac).is_ok()
}

/// Sign `payload` (already JSON) with `header_json` into a compact token.
pub(crate) fn sign(algorithm: Algorithm, header_json: &[u8], payload: &[u8], key: &[u8]) -> String {
    let mut token = String::with_capacity((header_json.len() + payload.len()) * 4 / 3 + 100);
    URL_SAFE_NO_PAD.encode_string(header_json, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let mac = match algorithm {
        Algorithm::HS256 => mac::<Hmac<Sha256>>(key, token.as_bytes()),
        Algorithm::HS384 => mac::<Hmac<Sha384>>(key, token.as_bytes()),
        Algorithm::HS512 => mac::<Hmac<Sha512>>(key, token.as_bytes()),
    };
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(mac, &mut token);
    token
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8]) -> Vec<u8> {
    match <M as hmac::digest::KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(input);
            m.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length: cannot fail.
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_headers_are_what_they_say() {
        for (encoded, algorithm) in COMMON_HEADERS {
            let json = URL_SAFE_NO_PAD.decode(encoded).unwrap();
            let header: serde_json::Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(header["alg"], algorithm.name());
            assert!(header.get("typ").is_none_or(|t| t == "JWT"));
            assert_eq!(read_header(encoded).unwrap(), algorithm);
        }
    }
}

//! Reading a request's signature: no key, no clock.

use std::borrow::Cow;

use super::canonical::{MAX_TARGET, is_signature_name, query_pairs, split_target};
use super::encode::{check_escapes, decode_text, decoded};
use super::{ALGORITHM, MAX_PRESIGN_EXPIRES, Scope};
use crate::error::{Error, Malformed};
use crate::request::{RequestView, is_token_char, trim};
use crate::time::{AmzDate, Timestamp};

/// How a request carries its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// In the `Authorization` header, dated by `X-Amz-Date`.
    Header,
    /// In the query (`X-Amz-Signature`), valid for `expires` seconds.
    Presigned {
        /// `X-Amz-Expires`, 1 to 604800.
        expires: u32,
    },
}

/// The signature of a request, read but not yet checked.
///
/// Parsing needs no key and no clock and borrows from the request where it
/// can (a presigned query's percent-encoded values are decoded into owned
/// text).
#[derive(Debug, Clone)]
pub struct SignedRequest<'a> {
    form: Form,
    credential: Cow<'a, str>,
    /// Byte offsets of the last four `/` in `credential`.
    slashes: [usize; 4],
    signed_headers: Cow<'a, str>,
    signature: [u8; 32],
    date: AmzDate,
    time: Timestamp,
    /// Whether `host` and `x-amz-date` are among the signed headers.
    host_signed: bool,
    date_signed: bool,
    /// The `x-amz-content-sha256` header, if any.
    content_sha256: Option<&'a [u8]>,
}

/// The headers SigV4 reads by name, found in one pass over the request.
#[derive(Default)]
struct Special<'r> {
    authorization: Option<&'r [u8]>,
    amz_date: Option<&'r [u8]>,
    content_sha256: Option<&'r [u8]>,
}

impl<'r> Special<'r> {
    fn read<R: RequestView + ?Sized>(request: &'r R) -> Result<Self, Error> {
        let mut found = Special::default();
        for (name, value) in request.headers() {
            let (slot, canonical) = match name.len() {
                13 if name.eq_ignore_ascii_case("authorization") => {
                    (&mut found.authorization, "authorization")
                }
                10 if name.eq_ignore_ascii_case("x-amz-date") => {
                    (&mut found.amz_date, "x-amz-date")
                }
                20 if name.eq_ignore_ascii_case("x-amz-content-sha256") => {
                    (&mut found.content_sha256, "x-amz-content-sha256")
                }
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(Malformed::DuplicatePart(canonical).into());
            }
        }
        Ok(found)
    }
}

/// The largest `Authorization` value we read.
const MAX_AUTHORIZATION: usize = 8 * 1024;

impl<'a> SignedRequest<'a> {
    /// Read the signature from the `Authorization` header or the presigned query.
    ///
    /// # Errors
    /// [`Error::Malformed`] when the request carries no signature, carries it
    /// both ways, or any part cannot be read ([`Malformed::Algorithm`] for
    /// an algorithm other than `AWS4-HMAC-SHA256`).
    pub fn parse<R: RequestView + ?Sized>(request: &'a R) -> Result<Self, Error> {
        let special = Special::read(request)?;
        let (_, query) = split_target(request.target());
        if query.len() > MAX_TARGET {
            return Err(Malformed::TooLarge.into());
        }
        // A name that decodes to `X-Amz-Signature` holds an `X` or a `%`:
        // most queries hold neither, and cannot be presigned.
        let presigned = memchr::memchr2(b'X', b'%', query).is_some()
            && query_pairs(query).any(|(name, _)| is_signature_name(name));

        if special.authorization.is_some_and(|value| value.len() > MAX_AUTHORIZATION) {
            return Err(Malformed::TooLarge.into());
        }
        // A blank `Authorization` is none, as the gate reads it.
        let authorization = special.authorization.map(trim).filter(|value| !value.is_empty());
        let mut signed = match (authorization, presigned) {
            (Some(_), true) => return Err(Malformed::Ambiguous.into()),
            (Some(value), false) => Self::from_header(&special, value)?,
            (None, true) => Self::from_query(query)?,
            (None, false) => return Err(Malformed::Unsigned.into()),
        };
        signed.content_sha256 = special.content_sha256;
        Ok(signed)
    }

    fn from_header(special: &Special<'a>, value: &'a [u8]) -> Result<Self, Error> {
        // Every part must be text, so the value (trimmed) is checked once, whole.
        let value = std::str::from_utf8(value).map_err(|_| Malformed::NotUtf8)?;
        // The algorithm, then a space or nothing at all.
        let rest = match value.strip_prefix(ALGORITHM) {
            Some("") => "",
            Some(rest) => rest.strip_prefix(' ').ok_or(Malformed::Algorithm)?,
            None => return Err(Malformed::Algorithm.into()),
        };
        let [credential, signed_headers, signature] = authorization_parts(rest)?;
        let date_value = special.amz_date.ok_or(Malformed::MissingDate)?;
        let (date, time) = AmzDate::parse(trim(date_value))?;
        let form = Form::Header;
        let signature = signature.as_bytes();
        Self::build(form, credential.into(), signed_headers.into(), signature, date, time)
    }

    fn from_query(query: &'a [u8]) -> Result<Self, Error> {
        check_escapes(query)?;
        let mut found: [Option<&[u8]>; 6] = [None; 6];
        for (name, value) in query_pairs(query) {
            if let Some(i) = PRESIGN_PARAMS.iter().position(|p| decoded(name).eq(p.bytes())) {
                if found[i].replace(value).is_some() {
                    return Err(Malformed::DuplicatePart(PRESIGN_PARAMS[i]).into());
                }
            }
        }
        let get = |i: usize| -> Result<Cow<'a, str>, Error> {
            let raw = found[i].ok_or(Malformed::MissingParameter(PRESIGN_PARAMS[i]))?;
            Ok(decode_text(raw)?)
        };

        if get(0)? != ALGORITHM {
            return Err(Malformed::Algorithm.into());
        }
        let credential = get(1)?;
        let (date, time) = AmzDate::parse(get(2)?.as_bytes())?;
        let expires = parse_expires(&get(3)?)?;
        let signed_headers = get(4)?;
        let signature = get(5)?;
        let form = Form::Presigned { expires };
        Self::build(form, credential, signed_headers, signature.as_bytes(), date, time)
    }

    fn build(
        form: Form,
        credential: Cow<'a, str>,
        signed_headers: Cow<'a, str>,
        signature: &[u8],
        date: AmzDate,
        time: Timestamp,
    ) -> Result<Self, Error> {
        let slashes = credential_slashes(&credential)?;
        let (host_signed, date_signed) = check_signed_headers(&signed_headers)?;
        let sig = super::unhex32(signature).ok_or(Malformed::Signature)?;
        Ok(SignedRequest {
            form,
            credential,
            slashes,
            signed_headers,
            signature: sig,
            date,
            time,
            host_signed,
            date_signed,
            content_sha256: None,
        })
    }

    /// Header or presigned, and for how long a presigned request is valid.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The access key the credential names.
    pub fn access_key(&self) -> &str {
        &self.credential[..self.slashes[0]]
    }

    /// The credential scope as sent (it may name another region or service).
    pub fn scope(&self) -> Scope<'_> {
        let [a, b, c, _] = self.slashes;
        Scope {
            date: &self.credential[a + 1..b],
            region: &self.credential[b + 1..c],
            service: &self.credential[c + 1..self.slashes[3]],
        }
    }

    /// The scope's last part; valid requests say `aws4_request`.
    pub fn terminator(&self) -> &str {
        &self.credential[self.slashes[3] + 1..]
    }

    /// The signed header names, lower case, sorted, `;`-separated.
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }

    /// Whether `name` (lower case) is among the signed headers.
    pub fn is_signed(&self, name: &str) -> bool {
        super::canonical::header_names(&self.signed_headers).any(|h| h == name)
    }

    /// The request date, `X-Amz-Date`.
    pub fn date(&self) -> AmzDate {
        self.date
    }

    /// The request date as a timestamp.
    pub fn timestamp(&self) -> Timestamp {
        self.time
    }

    pub(crate) fn signature(&self) -> &[u8; 32] {
        &self.signature
    }

    /// Whether `host` is signed.
    pub(crate) fn host_signed(&self) -> bool {
        self.host_signed
    }

    /// Whether `x-amz-date` is signed.
    pub(crate) fn date_signed(&self) -> bool {
        self.date_signed
    }

    /// The `x-amz-content-sha256` header, if any (read once, with the signature).
    pub(crate) fn content_sha256(&self) -> Option<&'a [u8]> {
        self.content_sha256
    }
}

/// The presigned query parameters, in the order `from_query` reads them.
pub(crate) const PRESIGN_PARAMS: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
];

/// `Credential=..., SignedHeaders=..., Signature=...` in any order.
fn authorization_parts(rest: &str) -> Result<[&str; 3], Error> {
    standard_parts(rest).map_or_else(|| any_parts(rest), Ok)
}

/// The parts in the order every client writes them, read straight through;
/// `None` sends anything else to [`any_parts`], which reads the same way.
fn standard_parts(rest: &str) -> Option<[&str; 3]> {
    let rest = rest.trim_ascii_start().strip_prefix("Credential=")?;
    let (credential, rest) = split_at_comma(rest)?;
    let rest = rest.trim_ascii_start().strip_prefix("SignedHeaders=")?;
    let (headers, rest) = split_at_comma(rest)?;
    let signature = rest.trim_ascii_start().strip_prefix("Signature=")?.trim_ascii_end();
    let plain = find(signature.as_bytes(), b',').is_none();
    plain.then_some([credential.trim_ascii_end(), headers.trim_ascii_end(), signature])
}

/// The text before the first `,` and the text after it.
fn split_at_comma(text: &str) -> Option<(&str, &str)> {
    // A `,` is ASCII: the bytes around it are whole characters.
    find(text.as_bytes(), b',').map(|at| (&text[..at], &text[at + 1..]))
}

/// The parts in any order, with duplicates and strangers refused.
fn any_parts(rest: &str) -> Result<[&str; 3], Error> {
    const NAMES: [&str; 3] = ["Credential", "SignedHeaders", "Signature"];
    let mut parts: [Option<&str>; 3] = [None; 3];
    for piece in rest.split(',').map(str::trim_ascii).filter(|piece| !piece.is_empty()) {
        let (name, value) = piece.split_once('=').ok_or(Malformed::UnknownPart)?;
        let i = NAMES.iter().position(|n| *n == name).ok_or(Malformed::UnknownPart)?;
        if parts[i].replace(value).is_some() {
            return Err(Malformed::DuplicatePart(NAMES[i]).into());
        }
    }
    let mut out: [&str; 3] = [""; 3];
    for (i, part) in parts.into_iter().enumerate() {
        out[i] = part.ok_or(Malformed::MissingPart(NAMES[i]))?;
    }
    Ok(out)
}

fn find(haystack: &[u8], byte: u8) -> Option<usize> {
    memchr::memchr(byte, haystack)
}

fn parse_expires(text: &str) -> Result<u32, Error> {
    let ok_digits = !text.is_empty() && text.len() <= 7 && text.bytes().all(|b| b.is_ascii_digit());
    let value: u32 = if ok_digits { text.parse().map_err(|_| Malformed::Expires)? } else { 0 };
    if !(1..=MAX_PRESIGN_EXPIRES).contains(&value) {
        return Err(Malformed::Expires.into());
    }
    Ok(value)
}

/// Where the scope begins: `KEY/DATE/REGION/SERVICE/TERMINATOR`, read from the right.
fn credential_slashes(credential: &str) -> Result<[usize; 4], Error> {
    let bytes = credential.as_bytes();
    let mut slashes = [0usize; 4];
    let mut end = bytes.len();
    for slash in slashes.iter_mut().rev() {
        end = bytes[..end].iter().rposition(|&b| b == b'/').ok_or(Malformed::Credential)?;
        *slash = end;
    }

    let [a, b, c, d] = slashes;
    let date = &credential[a + 1..b];
    let pieces_ok = a > 0 && b > a + 1 && c > b + 1 && d > c + 1 && d + 1 < credential.len();
    if !pieces_ok || date.len() != 8 || !date.bytes().all(|x| x.is_ascii_digit()) {
        return Err(Malformed::Credential.into());
    }
    Ok(slashes)
}

/// Non-empty lower-case header names, strictly ascending, `;`-separated.
/// Says whether `host` and `x-amz-date` are among them.
fn check_signed_headers(list: &str) -> Result<(bool, bool), Error> {
    let mut previous: Option<&[u8]> = None;
    let (mut host, mut date) = (false, false);
    for name in super::canonical::header_names(list).map(str::as_bytes) {
        let ok_chars = !name.is_empty() && name.iter().all(|&b| is_lower_token_char(b));
        if !ok_chars || previous.is_some_and(|p| p >= name) {
            return Err(Malformed::SignedHeaders.into());
        }
        host |= name == b"host";
        date |= name == b"x-amz-date";
        previous = Some(name);
    }
    Ok((host, date))
}

/// HTTP token characters without the upper-case letters.
fn is_lower_token_char(b: u8) -> bool {
    is_token_char(b) && !b.is_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::OwnedRequest;

    /// A byte that is not UTF-8 anywhere in the value is named as such,
    /// whatever else is wrong with the value.
    #[test]
    fn an_authorization_value_that_is_not_utf8_is_named_so() {
        let good = "AWS4-HMAC-SHA256 Credential=app:a/20240102/us-east-1/para/aws4_request, \
                    SignedHeaders=host;x-amz-date, Signature=";
        let cases: [&[&[u8]]; 4] = [
            &[good.as_bytes(), &[0xff; 64]],
            &[b"AWS4-HMAC-SHA512\xff Credential=a"],
            &[b"AWS4-HMAC-SHA256 Credential=app:\xc3/20240102/us-east-1/para/aws4_request"],
            &[good.as_bytes(), &[b'0'; 64], b", Other=\xfe"],
        ];
        for pieces in cases {
            let value = pieces.concat();
            let request = OwnedRequest::new("GET", "/")
                .header("Host", "h")
                .header("X-Amz-Date", "20240102T030405Z")
                .header("Authorization", value.clone());
            let result = SignedRequest::parse(&request);
            assert!(
                matches!(result, Err(Error::Malformed(Malformed::NotUtf8))),
                "{}: {result:?}",
                String::from_utf8_lossy(&value)
            );
        }
    }

    /// The straight-through reader agrees with the general one wherever it answers.
    #[test]
    fn standard_layout_reads_as_any_layout_does() {
        let pieces = ["Credential=a/b", "SignedHeaders=host", "Signature=ff", "Other=1", ""];
        let gaps = [",", ", ", " , ", ",,", ",\t"];
        let mut answered = 0;
        for (a, b, c) in (0..125).map(|i| (i % 5, i / 5 % 5, i / 25)) {
            for gap in gaps {
                for edge in ["", " ", "  "] {
                    let text =
                        format!("{edge}{}{gap}{}{gap}{}{edge}", pieces[a], pieces[b], pieces[c]);
                    let any = any_parts(&text).ok();
                    if let Some(standard) = standard_parts(&text) {
                        assert_eq!(Some(standard), any, "{text:?}");
                        answered += 1;
                    }
                    assert_eq!(authorization_parts(&text).ok(), any, "{text:?}");
                }
            }
        }
        assert!(answered > 0, "the standard layout was read");
    }
}

//! Percent-encoding as SigV4 wants it, written straight into a sink.

use crate::error::Malformed;

/// Where canonical text goes: a hasher on the hot path, a buffer for display.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for sha2::Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        sha2::Digest::update(self, bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// `b` as a percent escape: `%` and two upper-case hex digits.
fn escape(b: u8) -> [u8; 3] {
    [b'%', HEX_UPPER[usize::from(b >> 4)], HEX_UPPER[usize::from(b & 15)]]
}

/// What each byte is to the encoder: bit 0 unreserved, bit 1 unreserved or `/`.
const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            table[b] = UNRESERVED | PATH;
        }
        b += 1;
    }
    table[b'/' as usize] = PATH;
    table
};
const UNRESERVED: u8 = 1;
const PATH: u8 = 2;

/// SigV4's unreserved set: `A-Z a-z 0-9 - _ . ~`.
pub(crate) fn is_unreserved(b: u8) -> bool {
    CLASS[usize::from(b)] & UNRESERVED != 0
}

/// Whether `b` is written as is: unreserved, or `/` in a path.
fn is_plain(b: u8, keep_slash: bool) -> bool {
    let mask = if keep_slash { PATH } else { UNRESERVED };
    CLASS[usize::from(b)] & mask != 0
}

/// Collects small writes so the sink sees few, larger ones: a typical
/// canonical request reaches the hasher in one piece.
pub(crate) struct Buffered<'s, S: Sink> {
    sink: &'s mut S,
    buf: [u8; 512],
    len: usize,
}

impl<'s, S: Sink> Buffered<'s, S> {
    pub(crate) fn new(sink: &'s mut S) -> Self {
        Buffered { sink, buf: [0; 512], len: 0 }
    }

    #[inline]
    pub(crate) fn byte(&mut self, b: u8) {
        if self.len == self.buf.len() {
            self.flush();
        }
        self.buf[self.len] = b;
        self.len += 1;
    }

    #[inline]
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.flush();
            if bytes.len() > self.buf.len() {
                self.sink.put(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// One byte, percent-encoded unless unreserved (or `/` when `keep_slash`).
    pub(crate) fn encoded(&mut self, b: u8, keep_slash: bool) {
        if is_plain(b, keep_slash) {
            self.byte(b);
        } else {
            self.bytes(&escape(b));
        }
    }

    /// Raw bytes, percent-encoded: runs that need no escape are copied whole.
    pub(crate) fn encode_all(&mut self, mut bytes: &[u8], keep_slash: bool) {
        while !bytes.is_empty() {
            let run = bytes.iter().position(|&b| !is_plain(b, keep_slash)).unwrap_or(bytes.len());
            self.bytes(&bytes[..run]);
            if let Some(&b) = bytes.get(run) {
                self.encoded(b, keep_slash);
                bytes = &bytes[run + 1..];
            } else {
                bytes = &[];
            }
        }
    }

    pub(crate) fn flush(&mut self) {
        if self.len > 0 {
            self.sink.put(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl<S: Sink> Drop for Buffered<'_, S> {
    fn drop(&mut self) {
        self.flush();
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Check that every `%` starts a two-digit hexadecimal escape.
pub(crate) fn check_escapes(raw: &[u8]) -> Result<(), Malformed> {
    let mut i = 0;
    while let Some(offset) = raw[i..].iter().position(|&b| b == b'%') {
        let at = i + offset;
        let ok = raw.get(at + 1..at + 3).is_some_and(|h| h.iter().all(|&d| hex_value(d).is_some()));
        if !ok {
            return Err(Malformed::PercentEscape);
        }
        i = at + 3;
    }
    Ok(())
}

/// The bytes `raw` stands for, with `%XX` escapes decoded (`+` stays `+`).
///
/// Call [`check_escapes`] first: a broken escape is passed through as is.
pub(crate) fn decoded(raw: &[u8]) -> impl Iterator<Item = u8> + Clone + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *raw.get(i)?;
        let escape = (b == b'%')
            .then(|| Some((hex_value(*raw.get(i + 1)?)?, hex_value(*raw.get(i + 2)?)?)))
            .flatten();
        match escape {
            Some((hi, lo)) => {
                i += 3;
                Some(hi << 4 | lo)
            }
            None => {
                i += 1;
                Some(b)
            }
        }
    })
}

/// The UTF-8 text `raw` stands for, percent-decoded (`+` stays `+`);
/// borrowed when there is nothing to decode. Call [`check_escapes`] first.
pub(crate) fn decode_text(raw: &[u8]) -> Result<std::borrow::Cow<'_, str>, Malformed> {
    use std::borrow::Cow;
    if raw.contains(&b'%') {
        let bytes = decoded(raw).collect();
        Ok(Cow::Owned(String::from_utf8(bytes).map_err(|_| Malformed::NotUtf8)?))
    } else {
        Ok(Cow::Borrowed(std::str::from_utf8(raw).map_err(|_| Malformed::NotUtf8)?))
    }
}

/// The canonical (strict) encoding of what `raw` stands for, byte by byte.
///
/// Used to compare query names and values in the order SigV4 sorts them,
/// without building the encoded strings.
pub(crate) fn canonical_bytes(raw: &[u8]) -> impl Iterator<Item = u8> + '_ {
    decoded(raw).flat_map(|b| {
        let (arr, len) = if is_unreserved(b) { ([b, 0, 0], 1) } else { (escape(b), 3) };
        arr.into_iter().take(len)
    })
}

/// What one pass over a query piece found: see [`scan_piece`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// Where the piece's first `=` is, or its length when it has none.
    pub(crate) eq: usize,
    /// Whether the name and the value are both in canonical form, so they
    /// sort and are written as they came: unreserved bytes, and escapes in
    /// upper-case hex of bytes that need one (`hello%20world` is; `a+b`,
    /// `%7e` and `%2f` are not).
    pub(crate) canonical: bool,
}

/// Read a query piece (`name=value` or `name`, no `&`) in one pass: where
/// its `=` is and whether it is canonical.
///
/// # Errors
/// [`Malformed::PercentEscape`] when a `%` in the piece does not start a
/// two-digit hexadecimal escape.
pub(crate) fn scan_piece(piece: &[u8]) -> Result<Scanned, Malformed> {
    let mut eq = None;
    let mut canonical = true;
    let mut i = 0;
    while let Some(&b) = piece.get(i) {
        i += 1;
        if is_unreserved(b) {
            continue;
        }
        match b {
            b'=' if eq.is_none() => eq = Some(i - 1),
            b'%' => {
                let (hi, lo) = match piece.get(i..i + 2) {
                    Some(&[hi, lo]) => (hi, lo),
                    _ => return Err(Malformed::PercentEscape),
                };
                match upper_hex(hi).zip(upper_hex(lo)) {
                    Some((hi, lo)) => canonical &= !is_unreserved(hi << 4 | lo),
                    None if hex_value(hi).is_some() && hex_value(lo).is_some() => canonical = false,
                    None => return Err(Malformed::PercentEscape),
                }
                i += 2;
            }
            _ => canonical = false,
        }
    }
    Ok(Scanned { eq: eq.unwrap_or(piece.len()), canonical })
}

/// The value of an upper-case hex digit.
fn upper_hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Append `bytes` to `out`, encoded strictly (every byte but the unreserved set).
pub(crate) fn push_encoded(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            for digit in escape(b) {
                out.push(char::from(digit));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical form, stated plainly: what [`scan_piece`] decides in its pass.
    fn is_canonical(raw: &[u8]) -> bool {
        let mut i = 0;
        while let Some(&b) = raw.get(i) {
            if is_unreserved(b) {
                i += 1;
                continue;
            }
            let escape = match raw.get(i..i + 3) {
                Some(&[b'%', hi, lo]) => upper_hex(hi).zip(upper_hex(lo)),
                _ => None,
            };
            match escape {
                Some((hi, lo)) if !is_unreserved(hi << 4 | lo) => i += 3,
                _ => return false,
            }
        }
        true
    }

    /// [`scan_piece`] against the plain statement: split at `=`, escapes
    /// checked, each half judged alone.
    fn scan_plainly(piece: &[u8]) -> Result<Scanned, Malformed> {
        let eq = piece.iter().position(|&b| b == b'=').unwrap_or(piece.len());
        let (name, value) = (&piece[..eq], piece.get(eq + 1..).unwrap_or_default());
        check_escapes(piece)?;
        Ok(Scanned { eq, canonical: is_canonical(name) && is_canonical(value) })
    }

    proptest::proptest! {
        #[test]
        fn scan_reads_a_piece_as_plainly_stated(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "a", "Z", "0", "-", "~", "=", "%", "%2", "%20", "%2f", "%2F", "%7E",
                "%7e", "%e2", "%E2", "%g0", "%0G", "+", " ", "/", "\u{e9}", "==",
            ]), 0..12)
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(
                scan_piece(text.as_bytes()),
                scan_plainly(text.as_bytes()),
                "{:?}",
                text
            );
        }
    }

    #[test]
    fn escapes_are_checked() {
        assert!(check_escapes(b"a%20b%2f").is_ok());
        for bad in [&b"%"[..], b"a%2", b"%zz", b"%2g", b"x%%20"] {
            assert_eq!(check_escapes(bad), Err(Malformed::PercentEscape), "{bad:?}");
        }
    }

    #[test]
    fn canonical_form_is_strict() {
        let enc = |s: &[u8]| String::from_utf8(canonical_bytes(s).collect()).unwrap();
        assert_eq!(enc(b"a+b"), "a%2Bb");
        assert_eq!(enc(b"a%20b"), "a%20b");
        assert_eq!(enc(b"%e2%9c%93"), "%E2%9C%93");
        assert_eq!(enc(b"-_.~AZaz09"), "-_.~AZaz09");
        assert_eq!(enc(b"a/b=c"), "a%2Fb%3Dc");
        for raw in [&b"hello%20world"[..], b"", b"%E2%9C%93", b"-_.~AZaz09", b"a%2Fb"] {
            assert!(is_canonical(raw), "{raw:?} is canonical");
            assert_eq!(canonical_bytes(raw).collect::<Vec<_>>(), raw, "{raw:?}");
            let scanned = Scanned { eq: raw.len(), canonical: true };
            assert_eq!(scan_piece(raw), Ok(scanned), "{raw:?}");
        }
        for raw in [&b"a+b"[..], b"%7e", b"%7E", b"%2f", b"a b", b"a=b=c"] {
            assert!(!is_canonical(raw), "{raw:?} is not canonical");
            assert_eq!(scan_piece(raw).map(|s| s.canonical), Ok(false), "{raw:?}");
        }
        for raw in [&b"%"[..], b"%2", b"%G0", b"a=%2"] {
            assert_eq!(scan_piece(raw), Err(Malformed::PercentEscape), "{raw:?}");
        }
        assert_eq!(scan_piece(b"a=b"), Ok(Scanned { eq: 1, canonical: true }));
        let mut out = String::from("a=");
        push_encoded(&mut out, "app:x/y é".as_bytes());
        assert_eq!(out, "a=app%3Ax%2Fy%20%C3%A9");
    }
}

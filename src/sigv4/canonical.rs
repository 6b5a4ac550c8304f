//! The canonical request, one writer for signing and verifying.
//!
//! The text is streamed into a [`Sink`]: SHA-256 on the hot path, a buffer
//! only when somebody wants to read it.

use super::encode::{Buffered, Sink, canonical_bytes, check_escapes, decoded, scan_piece};
use crate::error::{Error, Malformed};
use crate::request::{RequestView, trim};

/// How the raw wire path becomes the canonical URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PathEncoding {
    /// Encode the raw path once more, keeping `/`: `%20` signs as `%2520`.
    /// Para's rule and that of every AWS service but S3.
    #[default]
    Double,
    /// Decode the raw path, then encode it once: S3's rule.
    Single,
}

/// The rules that vary between services when forming a canonical request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CanonicalRules {
    /// How the path is encoded.
    pub path_encoding: PathEncoding,
    /// Remove `.` and `..` segments and empty segments (`//`) before encoding.
    pub normalize_path: bool,
}

impl CanonicalRules {
    /// Para's rules: double encoding, no normalisation.
    pub const PARA: CanonicalRules =
        CanonicalRules { path_encoding: PathEncoding::Double, normalize_path: false };
    /// Generic AWS services: double encoding with normalisation.
    pub const AWS: CanonicalRules =
        CanonicalRules { path_encoding: PathEncoding::Double, normalize_path: true };
    /// S3: single encoding, no normalisation.
    pub const S3: CanonicalRules =
        CanonicalRules { path_encoding: PathEncoding::Single, normalize_path: false };
}

/// Headers as the canonicaliser reads them: all values of one name, in order.
pub(crate) trait HeaderSource {
    /// Call `f` with each value of the header `name` (lower case), in order.
    fn each_value(&self, name: &str, f: impl FnMut(&[u8]));
}

/// The request's own headers, read by signed name.
///
/// A scan of the request for each name costs the number of names times the
/// number of headers, and a caller chooses both. So a long list of names is
/// read from an index of the headers sorted by name, made once.
pub(crate) enum ViewHeaders<'r, R: ?Sized> {
    /// A short list: the request is scanned for each name.
    Scan(&'r R),
    /// A long one: the index.
    Sorted(SortedHeaders<'r>),
}

/// The longest list of signed names read by scanning; requests usually sign
/// two to six.
const SCAN_NAMES: usize = 8;

impl<'r, R: RequestView + ?Sized> ViewHeaders<'r, R> {
    /// The headers of `request`, to be read for the names of `signed_headers`.
    pub(crate) fn new(request: &'r R, signed_headers: &str) -> Self {
        // A name takes at least one byte and a separator: short lists are short.
        let short = signed_headers.len() < 2 * SCAN_NAMES;
        if short || header_names(signed_headers).nth(SCAN_NAMES).is_none() {
            ViewHeaders::Scan(request)
        } else {
            ViewHeaders::Sorted(SortedHeaders::new(request))
        }
    }

    /// The headers of `request`, to be read for all their names (a signer's view).
    pub(crate) fn all(request: &'r R) -> Self {
        // Either way reads the same headers: the count may be a guess.
        let (count, _) = request.headers().size_hint();
        if count <= SCAN_NAMES {
            ViewHeaders::Scan(request)
        } else {
            ViewHeaders::Sorted(SortedHeaders::new(request))
        }
    }
}

/// Where a header's lower-case name lies in the index's buffer of names, and its value.
type Entry<'r> = (std::ops::Range<usize>, &'r [u8]);

/// A request's headers by lower-case name, in arrival order within a name.
///
/// The names are lowered once, into one buffer, so that sorting and looking
/// up compare plain bytes.
pub(crate) struct SortedHeaders<'r> {
    /// Every name in lower case, one after another.
    names: String,
    /// Where each name lies in `names`, and its value; sorted by name.
    entries: Vec<Entry<'r>>,
    /// Where the last name looked up ends: names are looked up in ascending
    /// order, so the next one is found by reading on from here.
    cursor: std::cell::Cell<usize>,
}

// Both out of line, so the short lists' path (the usual one) stays small
// enough to inline.
impl<'r> SortedHeaders<'r> {
    #[inline(never)]
    fn new<R: RequestView + ?Sized>(request: &'r R) -> Self {
        let headers = request.headers();
        // Room for every header, and for names of the usual length.
        let (count, _) = headers.size_hint();
        let mut names = String::with_capacity(24 * count);
        let mut entries = Vec::with_capacity(count);
        for (name, value) in headers {
            let start = names.len();
            names.push_str(name);
            names[start..].make_ascii_lowercase();
            entries.push((start..names.len(), value));
        }
        // `sort_by` is stable: within a name, the values keep their order.
        let key = |(range, _): &Entry<'_>| names[range.clone()].as_bytes();
        entries.sort_by(|a, b| key(a).cmp(key(b)));
        SortedHeaders { names, entries, cursor: std::cell::Cell::new(0) }
    }

    /// The lower-case name of `entry`.
    fn name(&self, (range, _): &Entry<'_>) -> &str {
        &self.names[range.clone()]
    }

    /// Every header's lower-case name, sorted, repeats included.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| self.name(entry))
    }

    #[inline(never)]
    fn each_value(&self, name: &str, f: impl FnMut(&[u8])) {
        let lowered;
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered = name.to_ascii_lowercase();
            lowered.as_bytes()
        } else {
            name.as_bytes()
        };
        let key = |entry: &Entry<'_>| self.name(entry).as_bytes();
        let entries = &self.entries[..];
        // Every entry before the cursor is at most the last name looked up:
        // when that is below `name`, `name` begins at the cursor or after it.
        let from = self.cursor.get();
        let start = if from == 0 || entries.get(from - 1).is_some_and(|e| key(e) < name) {
            let after = entries.get(from..).unwrap_or_default();
            from + after.iter().take_while(|e| key(e) < name).count()
        } else {
            entries.partition_point(|e| key(e) < name)
        };
        let same = entries.get(start..).unwrap_or_default();
        let count = same.iter().take_while(|e| key(e) == name).count();
        self.cursor.set(start + count);
        same[..count].iter().map(|(_, value)| *value).for_each(f);
    }
}

impl<R: RequestView + ?Sized> HeaderSource for ViewHeaders<'_, R> {
    fn each_value(&self, name: &str, mut f: impl FnMut(&[u8])) {
        match self {
            ViewHeaders::Scan(request) => {
                for (n, v) in request.headers() {
                    if n.eq_ignore_ascii_case(name) {
                        f(v);
                    }
                }
            }
            ViewHeaders::Sorted(sorted) => sorted.each_value(name, f),
        }
    }
}

/// Header names compared as their lower-case forms.
pub(crate) fn cmp_lower(a: &str, b: &str) -> std::cmp::Ordering {
    let lower = |b: u8| b.to_ascii_lowercase();
    a.bytes().map(lower).cmp(b.bytes().map(lower))
}

/// Headers whose values are shown as `<redacted>` in diagnostics.
pub const SENSITIVE_HEADERS: &[&str] =
    &["authorization", "proxy-authorization", "cookie", "set-cookie", "x-amz-security-token"];

/// A source that hides sensitive values, for text that may be logged.
pub(crate) struct Redacted<H>(pub(crate) H);

impl<H: HeaderSource> HeaderSource for Redacted<H> {
    fn each_value(&self, name: &str, mut f: impl FnMut(&[u8])) {
        if SENSITIVE_HEADERS.contains(&name) {
            let mut any = false;
            self.0.each_value(name, |_| any = true);
            if any {
                f(b"<redacted>");
            }
        } else {
            self.0.each_value(name, f);
        }
    }
}

/// What the canonical request is made of, besides the headers.
pub(crate) struct Parts<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a [u8],
    /// The signed header names, lower case, sorted, `;`-separated.
    pub(crate) signed_headers: &'a str,
    /// The payload hash as it appears in the last line.
    pub(crate) payload_hash: &'a [u8],
    /// Leave `X-Amz-Signature` out of the query (presigned requests).
    pub(crate) skip_signature: bool,
}

/// The largest request-target we canonicalise.
pub(crate) const MAX_TARGET: usize = 16 * 1024;

/// Write the canonical request for `parts` into `sink`.
pub(crate) fn write<S: Sink, H: HeaderSource>(
    sink: &mut S,
    parts: &Parts<'_>,
    headers: &H,
    rules: CanonicalRules,
) -> Result<(), Error> {
    if parts.target.len() > MAX_TARGET {
        return Err(Malformed::TooLarge.into());
    }
    // No request carries a fragment: its bytes would go unsigned.
    if memchr::memchr(b'#', parts.target).is_some() {
        return Err(Malformed::Target.into());
    }
    let (path, query) = split_target(parts.target);
    let mut w = Buffered::new(sink);

    w.bytes(parts.method.as_bytes());
    w.byte(b'\n');
    write_path(&mut w, path, rules)?;
    w.byte(b'\n');
    write_query(&mut w, query, parts.skip_signature)?;
    w.byte(b'\n');

    for name in header_names(parts.signed_headers) {
        write_header(&mut w, name, headers)?;
    }
    w.byte(b'\n');
    w.bytes(parts.signed_headers.as_bytes());
    w.byte(b'\n');
    w.bytes(parts.payload_hash);
    Ok(())
}

/// The names of a `;`-separated signed-header list, in order.
///
/// A plain byte search: `str::split` costs more on pieces this short.
pub(crate) fn header_names(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(list);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.bytes().position(|b| b == b';') {
            Some(at) => {
                rest = text.get(at + 1..);
                text.get(..at)
            }
            None => rest.take(),
        }
    })
}

/// `target` without its fragment (`#` and what follows), which clients drop
/// before they sign and send a request.
pub(crate) fn without_fragment(target: &[u8]) -> &[u8] {
    memchr::memchr(b'#', target).map_or(target, |hash| &target[..hash])
}

/// Split a raw target into path and query at the first `?`.
pub(crate) fn split_target(target: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b'?', target) {
        Some(q) => (&target[..q], &target[q + 1..]),
        None => (target, &[]),
    }
}

fn write_path<S: Sink>(
    w: &mut Buffered<'_, S>,
    path: &[u8],
    rules: CanonicalRules,
) -> Result<(), Malformed> {
    if path.is_empty() {
        w.byte(b'/');
        return Ok(());
    }
    if path[0] != b'/' {
        return Err(Malformed::Target);
    }
    let single = rules.path_encoding == PathEncoding::Single;
    if single {
        check_escapes(path)?;
    }
    let put = |w: &mut Buffered<'_, S>, piece: &[u8]| {
        if single {
            decoded(piece).for_each(|b| w.encoded(b, true));
        } else {
            w.encode_all(piece, true);
        }
    };

    if !rules.normalize_path {
        put(w, path);
        return Ok(());
    }
    let segments = normalized_segments(path);
    for segment in &segments {
        w.byte(b'/');
        put(w, segment);
    }
    if segments.is_empty() || path.ends_with(b"/") {
        w.byte(b'/');
    }
    Ok(())
}

/// Path segments with empty and `.` segments dropped and `..` applied.
fn normalized_segments(path: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            _ => out.push(segment),
        }
    }
    out
}

type Pair<'a> = (&'a [u8], &'a [u8]);

/// A query piece, `name=value` or `name`, with whether both halves are
/// already canonical (most are: then they sort and are written as they came).
#[derive(Clone, Copy)]
struct Component<'a> {
    piece: &'a [u8],
    /// Where the first `=` is, or the piece's length when it has none.
    eq: usize,
    canonical: bool,
}

impl<'a> Component<'a> {
    const EMPTY: Component<'static> = Component { piece: b"", eq: 0, canonical: true };

    /// The piece, read in one pass that also checks its escapes.
    fn new(piece: &'a [u8]) -> Result<Self, Malformed> {
        let scanned = scan_piece(piece)?;
        Ok(Component { piece, eq: scanned.eq, canonical: scanned.canonical })
    }

    fn pair(&self) -> Pair<'a> {
        halves(self.piece, self.eq)
    }

    /// SigV4's order: by encoded name, then by encoded value.
    fn order(&self, other: &Self) -> std::cmp::Ordering {
        let ((name, value), (other_name, other_value)) = (self.pair(), other.pair());
        if self.canonical && other.canonical {
            return name.cmp(other_name).then_with(|| value.cmp(other_value));
        }
        let encoded = canonical_bytes;
        encoded(name)
            .cmp(encoded(other_name))
            .then_with(|| encoded(value).cmp(encoded(other_value)))
    }

    fn write<S: Sink>(&self, w: &mut Buffered<'_, S>) {
        if self.canonical {
            // Written as it came, `=` added to a bare name.
            w.bytes(self.piece);
            if self.eq == self.piece.len() {
                w.byte(b'=');
            }
        } else {
            let (name, value) = self.pair();
            put_component(w, name);
            w.byte(b'=');
            put_component(w, value);
        }
    }
}

fn write_query<S: Sink>(
    w: &mut Buffered<'_, S>,
    query: &[u8],
    skip_signature: bool,
) -> Result<(), Malformed> {
    if query.is_empty() {
        return Ok(());
    }
    // Pairs are sorted in place; a short query needs no heap.
    let mut inline = [Component::EMPTY; 12];
    let mut spill: Vec<Component<'_>> = Vec::new();
    let mut count = 0;
    for piece in query_pieces(query) {
        // Checked before the signature is skipped: its escapes must be sound too.
        let component = Component::new(piece)?;
        if is_signature_name(component.pair().0) {
            if skip_signature {
                continue;
            }
            // A request signed in the header form too: no verifier takes it.
            return Err(Malformed::Ambiguous);
        }
        if count < inline.len() {
            inline[count] = component;
        } else {
            if spill.is_empty() {
                spill.extend_from_slice(&inline);
            }
            spill.push(component);
        }
        count += 1;
    }
    let pairs = if spill.is_empty() { &mut inline[..count] } else { &mut spill[..] };
    pairs.sort_unstable_by(Component::order);

    for (i, component) in pairs.iter().enumerate() {
        if i > 0 {
            w.byte(b'&');
        }
        component.write(w);
    }
    Ok(())
}

/// Query pieces split on `&`, empty pieces dropped.
fn query_pieces(query: &[u8]) -> impl Iterator<Item = &[u8]> {
    query.split(|&b| b == b'&').filter(|p| !p.is_empty())
}

/// Query pieces split on `&` (empty pieces dropped) and at the first `=`.
pub(crate) fn query_pairs(query: &[u8]) -> impl Iterator<Item = Pair<'_>> {
    query_pieces(query).map(|piece| halves(piece, eq_index(piece)))
}

/// Where a piece's first `=` is, or its length when it has none.
fn eq_index(piece: &[u8]) -> usize {
    piece.iter().position(|&b| b == b'=').unwrap_or(piece.len())
}

/// The name before `eq` and the value after it (empty without `=`).
fn halves(piece: &[u8], eq: usize) -> Pair<'_> {
    let (name, rest) = piece.split_at_checked(eq).unwrap_or((piece, b""));
    (name, rest.get(1..).unwrap_or_default())
}

/// Whether a raw query name decodes to `X-Amz-Signature`.
pub(crate) fn is_signature_name(raw: &[u8]) -> bool {
    const NAME: &[u8] = b"X-Amz-Signature";
    // Escapes only lengthen it: a shorter name is never the one.
    raw.len() >= NAME.len() && decoded(raw).eq(NAME.iter().copied())
}

fn put_component<S: Sink>(w: &mut Buffered<'_, S>, raw: &[u8]) {
    decoded(raw).for_each(|b| w.encoded(b, false));
}

/// Largest header value we canonicalise.
pub(crate) const MAX_HEADER_VALUE: usize = 16 * 1024;

fn write_header<S: Sink, H: HeaderSource>(
    w: &mut Buffered<'_, S>,
    name: &str,
    headers: &H,
) -> Result<(), Malformed> {
    w.bytes(name.as_bytes());
    w.byte(b':');

    let mut seen = 0usize;
    let mut problem = None;
    headers.each_value(name, |value| {
        if seen > 0 {
            w.byte(b',');
        }
        seen += 1;
        if problem.is_some() {
            // The request is refused: nothing more is worth writing.
        } else if value.len() > MAX_HEADER_VALUE {
            problem = Some(Malformed::TooLarge);
        } else if is_plain_value(value) {
            w.bytes(value);
        } else if !value.is_ascii() && std::str::from_utf8(value).is_err() {
            problem = Some(Malformed::NotUtf8);
        } else {
            put_trimmed(w, value);
        }
    });

    if let Some(problem) = problem {
        return Err(problem);
    }
    if seen == 0 {
        return Err(Malformed::SignedHeaderAbsent);
    }
    w.byte(b'\n');
    Ok(())
}

/// Whether `value` is printable ASCII without spaces (`!` to `~`), and so
/// its own trimmed, folded form: most values are. Eight bytes at a time.
fn is_plain_value(value: &[u8]) -> bool {
    const LANES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x80 * LANES;
    // The high bit of a lane below `!` or above `~` (or of a lane after one).
    let outside = |x: u64| {
        let below = x.wrapping_sub(0x21 * LANES) & !x;
        let above = x.wrapping_add(LANES) | x;
        (below | above) & HIGH
    };
    let lane = |chunk: &[u8]| {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        u64::from_le_bytes(eight)
    };
    let mut bad = 0;
    let mut chunks = value.chunks_exact(8);
    for chunk in &mut chunks {
        bad |= outside(lane(chunk));
    }
    let tail = chunks.remainder();
    if value.len() >= 8 {
        // The last eight bytes again, overlapping: covers the tail.
        bad |= outside(lane(&value[value.len() - 8..]));
    } else {
        bad |= tail.iter().fold(0, |bad, &b| bad | u64::from(!(b'!'..=b'~').contains(&b)));
    }
    bad == 0
}

/// A header value trimmed, with every inner run of spaces and tabs folded to one space.
fn put_trimmed<S: Sink>(w: &mut Buffered<'_, S>, value: &[u8]) {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let mut rest = trim(value);
    while let Some(gap) = rest.iter().position(is_space) {
        w.bytes(&rest[..gap]);
        w.byte(b' ');
        let next = rest[gap..].iter().position(|b| !is_space(b)).unwrap_or(rest.len() - gap);
        rest = &rest[gap + next..];
    }
    w.bytes(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::OwnedRequest;

    fn canonical(req: &OwnedRequest, signed: &str, rules: CanonicalRules) -> String {
        let parts = Parts {
            method: &req.method,
            target: &req.target,
            signed_headers: signed,
            payload_hash: b"UNSIGNED-PAYLOAD",
            skip_signature: true,
        };
        let mut out = Vec::new();
        write(&mut out, &parts, &ViewHeaders::new(req, signed), rules).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn para_path_is_encoded_twice_and_not_normalised() {
        let req = OwnedRequest::new("GET", "/v1/my%20type/../a//b").header("Host", "h");
        let text = canonical(&req, "host", CanonicalRules::PARA);
        assert!(text.starts_with("GET\n/v1/my%2520type/../a//b\n\n"), "{text}");
        let text = canonical(&req, "host", CanonicalRules::AWS);
        assert!(text.starts_with("GET\n/v1/a/b\n\n"), "{text}");
        let text = canonical(&req, "host", CanonicalRules::S3);
        assert!(text.starts_with("GET\n/v1/my%20type/../a//b\n\n"), "{text}");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        let req = OwnedRequest::new("GET", "/?b=2&a=y&a=x&flag&c=1+1&X-Amz-Signature=ff&&d=%7e")
            .header("Host", "h");
        let text = canonical(&req, "host", CanonicalRules::PARA);
        assert!(text.starts_with("GET\n/\na=x&a=y&b=2&c=1%2B1&d=~&flag=\n"), "{text}");
    }

    #[test]
    fn header_names_split_as_str_split_does() {
        for list in ["", ";", "host", "host;x-amz-date", ";a;;b;", "a;b;c;"] {
            let ours: Vec<&str> = header_names(list).collect();
            assert_eq!(ours, list.split(';').collect::<Vec<_>>(), "{list:?}");
        }
    }

    /// The plain test agrees with the bytes it names, in every position.
    #[test]
    fn plain_values_are_printable_ascii_without_spaces() {
        for len in 0..20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut value = vec![b'a'; len];
                    value[at] = byte;
                    let expected = (b'!'..=b'~').contains(&byte);
                    assert_eq!(is_plain_value(&value), expected, "{byte:#x} at {at} of {len}");
                }
            }
        }
        assert!(is_plain_value(b""));
    }

    proptest::proptest! {
        /// Reading the headers from the sorted copy gives what scanning for
        /// each name gives: the same values in the same order, and the same
        /// error for a name that is absent.
        #[test]
        fn sorted_headers_read_as_scanned_ones(
            headers in proptest::collection::vec((0..NAMES.len(), 0..4usize), 0..64),
            list in proptest::collection::vec(0..NAMES.len(), 0..8),
        ) {
            let mut request = OwnedRequest::new("GET", "/");
            for (i, (name, value)) in headers.iter().enumerate() {
                request = request.header(NAMES[*name], format!("{value} {i}"));
            }
            let list: Vec<&str> = list.iter().map(|&i| NAMES[i]).collect();
            let list = list.join(";");
            let parts = Parts {
                method: "GET",
                target: b"/",
                signed_headers: &list,
                payload_hash: b"UNSIGNED-PAYLOAD",
                skip_signature: false,
            };
            let text = |headers: &ViewHeaders<'_, OwnedRequest>| {
                let mut out = Vec::new();
                let written = write(&mut out, &parts, headers, CanonicalRules::PARA);
                written.map(|()| out).map_err(|e| e.to_string())
            };
            let scanned = text(&ViewHeaders::Scan(&request));
            let sorted = text(&ViewHeaders::Sorted(SortedHeaders::new(&request)));
            proptest::prop_assert_eq!(scanned, sorted, "{:?} for {}", request.headers, list);
        }
    }

    /// Names that differ in case, and names that begin other names.
    const NAMES: [&str; 8] = ["host", "Host", "x-a", "X-A", "x-a-b", "x-ab", "x-", "X-Amz-Date"];

    #[test]
    fn headers_are_trimmed_folded_and_joined() {
        let req = OwnedRequest::new("GET", "/")
            .header("X-A", "  one   two ")
            .header("Host", "h")
            .header("x-a", "\tthree");
        let text = canonical(&req, "host;x-a", CanonicalRules::PARA);
        assert_eq!(text, "GET\n/\n\nhost:h\nx-a:one two,three\n\nhost;x-a\nUNSIGNED-PAYLOAD");
    }
}

//! A read-only view of an HTTP request as it arrived on the wire.
//!
//! Signing and verifying read a request through [`RequestView`]: the method,
//! the raw request-target (path and query still percent-encoded), the headers
//! in arrival order with repeats, and the body or what is known of it. It is
//! implemented for [`http::Request`], [`http::request::Parts`] and the plain
//! [`OwnedRequest`], which can also be read from raw HTTP/1.1 text.
//!
//! An [`http`] request without a `Host` header, as HTTP/2 delivers it or as
//! a client builds one for an absolute URI, is read with `host` taken from
//! its URI's authority.

use crate::error::{Error, Malformed};

/// What a view knows of the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// The whole body.
    Bytes(&'a [u8]),
    /// The body's SHA-256, computed elsewhere (for example while streaming it).
    Sha256(&'a [u8; 32]),
    /// The body is not at hand (for example [`http::request::Parts`]).
    ///
    /// The verifier then takes the payload hash from `x-amz-content-sha256`
    /// and says in its result that the body still has to be checked against
    /// it; without that header it assumes an empty body.
    Unknown,
}

/// A request as the signer and verifier read it.
pub trait RequestView {
    /// The method, e.g. `GET`, exactly as sent.
    fn method(&self) -> &str;

    /// The raw request-target: the path and query, still percent-encoded,
    /// exactly as they came over the wire.
    fn target(&self) -> &[u8];

    /// The headers in arrival order, repeats included, names in any case.
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])>;

    /// The body, or what is known of it.
    fn body(&self) -> Body<'_>;
}

impl<T: RequestView + ?Sized> RequestView for &T {
    fn method(&self) -> &str {
        (**self).method()
    }
    fn target(&self) -> &[u8] {
        (**self).target()
    }
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        (**self).headers()
    }
    fn body(&self) -> Body<'_> {
        (**self).body()
    }
}

fn uri_target(uri: &http::Uri) -> &[u8] {
    uri.path_and_query().map_or(b"/", |pq| pq.as_str().as_bytes())
}

/// The headers of an [`http`] request, with `host` taken from the URI when
/// there is no `Host` header and the URI has an authority.
///
/// That is the case of an HTTP/2 request, whose authority travels in the URI
/// (`:authority`), and of a request about to be sent to an absolute URI, to
/// which the client adds `Host` itself. The value is the authority's host,
/// and its port unless it is the scheme's default (`https` 443, `http` 80),
/// as clients write it: botocore and aws-sigv4 sign the same value.
fn http_headers<'a>(
    uri: &'a http::Uri,
    headers: &'a http::HeaderMap,
) -> impl Iterator<Item = (&'a str, &'a [u8])> {
    let from_uri = match uri.authority() {
        Some(authority) if !headers.contains_key(http::header::HOST) => {
            Some(("host", host_of(uri, authority).as_bytes()))
        }
        _ => None,
    };
    headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).chain(from_uri)
}

/// `host[:port]` of `authority`, without user information or a default port.
fn host_of<'a>(uri: &http::Uri, authority: &'a http::uri::Authority) -> &'a str {
    let text = authority.as_str();
    let host_port = text.rsplit_once('@').map_or(text, |(_, rest)| rest);
    let default = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    match authority.port_u16() {
        // The port is the text after the last `:`, an IPv6 host's included.
        Some(port) if Some(port) == default => {
            host_port.rsplit_once(':').map_or(host_port, |(host, _)| host)
        }
        // `host:` names no port: clients send `host`.
        None => host_port.strip_suffix(':').unwrap_or(host_port),
        _ => host_port,
    }
}

impl<B: AsRef<[u8]>> RequestView for http::Request<B> {
    fn method(&self) -> &str {
        self.method().as_str()
    }
    fn target(&self) -> &[u8] {
        uri_target(self.uri())
    }
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        http_headers(self.uri(), self.headers())
    }
    fn body(&self) -> Body<'_> {
        Body::Bytes(self.body().as_ref())
    }
}

impl RequestView for http::request::Parts {
    fn method(&self) -> &str {
        self.method.as_str()
    }
    fn target(&self) -> &[u8] {
        uri_target(&self.uri)
    }
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        http_headers(&self.uri, &self.headers)
    }
    fn body(&self) -> Body<'_> {
        Body::Unknown
    }
}

/// A plain, owned request: for tests, harnesses and the command-line tool.
///
/// Unlike [`http::Request`] it keeps whatever the wire carried: raw spaces or
/// UTF-8 in the target, header names in their original case, repeats.
///
/// Its `Debug` shows the values of credential headers (`Authorization`,
/// `Cookie`, ... in [`crate::sigv4::SENSITIVE_HEADERS`]) and of the query's
/// `X-Amz-Signature` and `X-Amz-Security-Token` as `<redacted>`, and the
/// body's length only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OwnedRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The raw request-target, e.g. `/v1/my%20type?q=1`.
    pub target: Vec<u8>,
    /// Headers in arrival order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for OwnedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, std::borrow::Cow<'_, str>)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let sensitive =
                    crate::sigv4::SENSITIVE_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s));
                match sensitive {
                    true => (name.as_str(), "<redacted>".into()),
                    false => (name.as_str(), String::from_utf8_lossy(value)),
                }
            })
            .collect();
        f.debug_struct("OwnedRequest")
            .field("method", &self.method)
            .field("target", &redacted_target(&self.target))
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The target as text, with the values of the query parameters that are
/// credentials (a presigned signature, a session token) redacted.
fn redacted_target(target: &[u8]) -> String {
    const SECRET_PARAMS: [&[u8]; 2] = [b"x-amz-signature", b"x-amz-security-token"];
    let Some(q) = memchr::memchr(b'?', target) else {
        return String::from_utf8_lossy(target).into_owned();
    };
    let mut out = String::from_utf8_lossy(&target[..=q]).into_owned();
    for (i, piece) in target[q + 1..].split(|&b| b == b'&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let name = piece.split(|&b| b == b'=').next().unwrap_or_default();
        let decoded: Vec<u8> = crate::sigv4::encode::decoded(name).collect();
        match SECRET_PARAMS.iter().any(|p| decoded.eq_ignore_ascii_case(p)) {
            true => {
                out.push_str(&String::from_utf8_lossy(name));
                out.push_str("=<redacted>");
            }
            false => out.push_str(&String::from_utf8_lossy(piece)),
        }
    }
    out
}

/// The largest raw request [`OwnedRequest::parse_http1`] reads.
pub const MAX_RAW_REQUEST: usize = 16 * 1024 * 1024;

impl OwnedRequest {
    /// A request with no headers and an empty body.
    pub fn new(method: &str, target: impl Into<Vec<u8>>) -> Self {
        OwnedRequest { method: method.to_owned(), target: target.into(), ..Self::default() }
    }

    /// The same request with one more header.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The same request with this body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Read raw HTTP/1.1 request text, leniently, as a test harness needs.
    ///
    /// Lines may end in CRLF or LF. The request line is split at its first and
    /// last space, so a target may hold raw spaces. A header line that starts
    /// with a space or tab continues the previous value (obsolete folding),
    /// joined by one space. Everything after the first empty line is the body.
    ///
    /// A target in absolute form is read as the request it names
    /// ([`OwnedRequest::into_origin_form`]).
    ///
    /// # Errors
    /// [`Malformed::Http`] when there is no request line or a header line has
    /// no `:`; [`Malformed::HeaderName`] for a header name that is not an
    /// HTTP token (`Bad Name:`, `Name :`); [`Malformed::TooLarge`] beyond
    /// [`MAX_RAW_REQUEST`] bytes; those of [`OwnedRequest::into_origin_form`].
    pub fn parse_http1(raw: &[u8]) -> Result<Self, Error> {
        if raw.len() > MAX_RAW_REQUEST {
            return Err(Malformed::TooLarge.into());
        }
        let (head, body) = split_head(raw);
        let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));

        let request_line = lines.next().ok_or(Malformed::Http)?;
        let mut request = parse_request_line(request_line)?;
        for line in lines.filter(|l| !l.is_empty()) {
            add_header_line(&mut request.headers, line)?;
        }
        request.body = body.to_vec();
        request.into_origin_form()
    }

    /// The request a target in absolute form names: `GET http://host/path?q`,
    /// as a client sends it to a proxy, becomes `GET /path?q` to `host`.
    ///
    /// The target becomes the path (`/` when there is none) and query, and
    /// the request's host is the target's, as RFC 9112 has it, written as a
    /// client writes `Host` (no user information, no default port). A `Host`
    /// header is then optional; when there is one it must name the same host
    /// (in any case, with or without the default port), and it is kept as
    /// sent, since that is what the client signed. A request whose target is
    /// in any other form is returned as it is.
    ///
    /// # Errors
    /// [`Malformed::Target`] when the target's authority cannot be read;
    /// [`Malformed::HostMismatch`] when its host is not the `Host` header's,
    /// or there are several `Host` headers: a request signed for one host
    /// must not be taken for a request to another.
    pub fn into_origin_form(mut self) -> Result<Self, Error> {
        let Some(Absolute { scheme, host, origin }) = absolute_form(&self.target)? else {
            return Ok(self);
        };
        let mut hosts = self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("host"));
        match (hosts.next(), hosts.next()) {
            (None, _) => self.headers.push(("Host".to_owned(), host.into_bytes())),
            (Some((_, value)), None) if same_host(scheme, value, &host) => {}
            _ => return Err(Malformed::HostMismatch.into()),
        }
        self.target = origin;
        Ok(self)
    }
}

/// What an absolute-form target names.
struct Absolute<'t> {
    scheme: &'t [u8],
    /// `host[:port]`, as [`host_of`] writes it.
    host: String,
    /// The path (`/` when there is none) and query.
    origin: Vec<u8>,
}

/// What `target` names when it is in absolute form, or `None` for any other form.
fn absolute_form(target: &[u8]) -> Result<Option<Absolute<'_>>, Malformed> {
    let Some(at) = memchr::memmem::find(target, b"://") else { return Ok(None) };
    let scheme = &target[..at];
    let is_scheme = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !is_scheme {
        return Ok(None);
    }
    let rest = &target[at + 3..];
    let end = rest.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(rest.len());
    let (authority, origin) = rest.split_at(end);
    let host = uri_host(scheme, authority).ok_or(Malformed::Target)?;
    let mut path = Vec::with_capacity(origin.len() + 1);
    if !origin.starts_with(b"/") {
        path.push(b'/');
    }
    path.extend_from_slice(origin);
    Ok(Some(Absolute { scheme, host, origin: path }))
}

/// `host[:port]` of `authority` under `scheme`, as [`host_of`] writes it;
/// `None` when it is not a host and an optional numeric port.
fn uri_host(scheme: &[u8], authority: &[u8]) -> Option<String> {
    let uri = http::Uri::builder().scheme(scheme).authority(authority).path_and_query("/");
    let uri = uri.build().ok()?;
    let authority = uri.authority()?;
    let host_port = host_of(&uri, authority);
    // `http` reads `host:port` with a port that is not a number as having none.
    let port_unread = authority.port().is_none() && host_port != authority.host();
    (!port_unread).then(|| host_port.to_owned())
}

/// Whether the `Host` value names `host`, in any case and with or without
/// the default port of `scheme`.
fn same_host(scheme: &[u8], value: &[u8], host: &str) -> bool {
    uri_host(scheme, trim(value)).is_some_and(|named| named.eq_ignore_ascii_case(host))
}

/// Split raw text at the first empty line.
fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    for (i, w) in raw.windows(2).enumerate() {
        if w == b"\n\n" {
            return (&raw[..i], &raw[i + 2..]);
        }
        if raw[i..].starts_with(b"\n\r\n") {
            return (&raw[..i], &raw[i + 3..]);
        }
    }
    (raw, &[])
}

fn parse_request_line(line: &[u8]) -> Result<OwnedRequest, Error> {
    let first = line.iter().position(|&b| b == b' ').ok_or(Malformed::Http)?;
    let last = line.iter().rposition(|&b| b == b' ').ok_or(Malformed::Http)?;
    let method = std::str::from_utf8(&line[..first]).map_err(|_| Malformed::Http)?;
    if first == last || method.is_empty() || !line[last + 1..].starts_with(b"HTTP/") {
        return Err(Malformed::Http.into());
    }
    Ok(OwnedRequest::new(method, &line[first + 1..last]))
}

fn add_header_line(headers: &mut Vec<(String, Vec<u8>)>, line: &[u8]) -> Result<(), Error> {
    if let Some(rest) = line.strip_prefix(b" ").or_else(|| line.strip_prefix(b"\t")) {
        let (_, value) = headers.last_mut().ok_or(Malformed::Http)?;
        value.push(b' ');
        value.extend_from_slice(trim(rest));
        return Ok(());
    }
    let colon = line.iter().position(|&b| b == b':').ok_or(Malformed::Http)?;
    let name = std::str::from_utf8(&line[..colon]).map_err(|_| Malformed::HeaderName)?;
    if !is_token(name) {
        return Err(Malformed::HeaderName.into());
    }
    headers.push((name.to_owned(), trim(&line[colon + 1..]).to_vec()));
    Ok(())
}

/// Whether `name` can be a header name: a non-empty HTTP token (RFC 9110).
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_token_char)
}

/// Whether `b` may appear in an HTTP token (RFC 9110 `tchar`).
pub(crate) fn is_token_char(b: u8) -> bool {
    static TOKEN: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] = c.is_ascii_alphanumeric()
                || matches!(c, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-')
                || matches!(c, b'.' | b'^' | b'_' | b'`' | b'|' | b'~');
            b += 1;
        }
        table
    };
    TOKEN[usize::from(b)]
}

pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

impl RequestView for OwnedRequest {
    fn method(&self) -> &str {
        &self.method
    }
    fn target(&self) -> &[u8] {
        &self.target
    }
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }
    fn body(&self) -> Body<'_> {
        Body::Bytes(&self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_raw_text_with_folds_and_spaces() {
        let raw =
            b"GET /example space/?a=b HTTP/1.1\r\nHost:example.com\r\nX-A:one\r\n  two\r\n\r\nbody";
        let req = OwnedRequest::parse_http1(raw).unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.target, b"/example space/?a=b");
        assert_eq!(req.headers[1], ("X-A".to_owned(), b"one two".to_vec()));
        assert_eq!(req.body, b"body");
    }

    #[test]
    fn refuses_what_is_not_a_request() {
        for raw in [&b""[..], b"GET\n", b"GET / FTP/1\n", b"GET / HTTP/1.1\nno colon\n", b" x\n"] {
            assert_eq!(
                OwnedRequest::parse_http1(raw).unwrap_err().reason(),
                crate::Reason::Malformed
            );
        }
    }
}

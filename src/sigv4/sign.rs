//! Client-side signing: the `Authorization` header or a presigned URL.

use std::sync::RwLock;

use sha2::{Digest, Sha256};

use super::canonical::{self, CanonicalRules, HeaderSource, ViewHeaders, cmp_lower};
use super::encode::{decoded, push_encoded};
use super::parse::PRESIGN_PARAMS;
use super::{
    ALGORITHM, MAX_PRESIGN_EXPIRES, PARA_REGION, PARA_SERVICE, Scope, SigningKey, UNSIGNED_PAYLOAD,
};
use super::{PayloadHash, hex_str};
use crate::error::{Error, Malformed};
use crate::keys::{AccessKey, SecretKey};
use crate::request::{RequestView, is_token};
use crate::time::{AmzDate, Timestamp};

/// Choices a signer makes beyond the key, region and service.
///
/// Its `Debug` says whether there is a session token, never what it is.
#[derive(Clone, PartialEq, Eq)]
pub struct SignOptions {
    /// How the canonical request is formed. Para: [`CanonicalRules::PARA`].
    pub rules: CanonicalRules,
    /// Add and sign `x-amz-content-sha256` (header form).
    pub content_sha256_header: bool,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body's hash (Para refuses it).
    ///
    /// In the header form the signer adds `x-amz-content-sha256:
    /// UNSIGNED-PAYLOAD` too, as if [`SignOptions::content_sha256_header`]
    /// were set: without it a verifier would hash the body. A request that
    /// declares its own `x-amz-content-sha256` is signed with what it
    /// declares, with or without this: verifiers read that.
    pub unsigned_payload: bool,
    /// A session token, sent and signed as `X-Amz-Security-Token` (an empty
    /// one is none).
    pub session_token: Option<String>,
    /// Names of headers to leave unsigned, in any case; never `host`, which
    /// every verifier requires signed. By default
    /// [`DEFAULT_UNSIGNED_HEADERS`]; empty, every header is signed.
    pub unsigned_headers: Vec<String>,
}

/// The headers botocore, aws4 and @smithy/signature-v4 all leave unsigned,
/// and so do we by default: proxies and load balancers rewrite them, and
/// HTTP/2 drops `connection`, so a signature over them may not survive the
/// trip.
pub const DEFAULT_UNSIGNED_HEADERS: [&str; 4] =
    ["connection", "expect", "user-agent", "x-amzn-trace-id"];

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            rules: CanonicalRules::default(),
            content_sha256_header: false,
            unsigned_payload: false,
            session_token: None,
            unsigned_headers: DEFAULT_UNSIGNED_HEADERS.map(str::to_owned).to_vec(),
        }
    }
}

impl std::fmt::Debug for SignOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = self.session_token.as_ref().map(|_| "<redacted>");
        f.debug_struct("SignOptions")
            .field("rules", &self.rules)
            .field("content_sha256_header", &self.content_sha256_header)
            .field("unsigned_payload", &self.unsigned_payload)
            .field("session_token", &token)
            .field("unsigned_headers", &self.unsigned_headers)
            .finish()
    }
}

/// The headers that sign a request: add them all.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    /// `X-Amz-Date`.
    pub amz_date: AmzDate,
    /// `x-amz-content-sha256`, when the signer adds it.
    pub content_sha256: Option<String>,
    /// `X-Amz-Security-Token`, when the signer has a session token.
    pub security_token: Option<String>,
    /// `Authorization`.
    pub authorization: String,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("amz_date", &self.amz_date)
            .field("authorization", &self.authorization)
            .finish_non_exhaustive()
    }
}

impl Signature {
    /// The headers to add, as (name, value), in a conventional order.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let date = Some(("X-Amz-Date", self.amz_date.as_str()));
        let content = self.content_sha256.as_deref().map(|v| ("x-amz-content-sha256", v));
        let token = self.security_token.as_deref().map(|v| ("X-Amz-Security-Token", v));
        let auth = Some(("Authorization", self.authorization.as_str()));
        [date, content, token, auth].into_iter().flatten()
    }
}

/// A presigned request-target: the path and a query that carries the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUrl {
    /// e.g. `/v1/posts?X-Amz-Algorithm=...&X-Amz-Signature=...`.
    pub target: String,
}

/// Signs requests with one key pair, for one region and service.
///
/// It caches the signing key of the current day.
pub struct Signer {
    access_key: AccessKey,
    secret: SecretKey,
    region: String,
    service: String,
    options: SignOptions,
    /// Bit `n` set: some name in `options.unsigned_headers` is `n` bytes
    /// long (64 and more share bit 63). Most names are then told apart from
    /// every unsigned one by their length alone.
    unsigned_lengths: u64,
    cached: RwLock<Option<(u32, SigningKey)>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("access_key", &self.access_key)
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// Headers the signer never signs from the request: it writes its own.
const REPLACED: [&str; 2] = ["authorization", "x-amz-date"];
const TOKEN_HEADER: &str = "x-amz-security-token";
const TOKEN_PARAM: &str = "X-Amz-Security-Token";

impl Signer {
    /// A signer for Para: region `us-east-1`, service `para`.
    pub fn new(access_key: AccessKey, secret: SecretKey) -> Self {
        Signer {
            access_key,
            secret,
            region: PARA_REGION.to_owned(),
            service: PARA_SERVICE.to_owned(),
            unsigned_lengths: length_bits(&DEFAULT_UNSIGNED_HEADERS),
            options: SignOptions::default(),
            cached: RwLock::new(None),
        }
    }

    /// The same signer for another region and service.
    pub fn with_scope(mut self, region: &str, service: &str) -> Self {
        self.region = region.to_owned();
        self.service = service.to_owned();
        // A key derived for the old scope signs nothing in the new one.
        self.cached = RwLock::new(None);
        self
    }

    /// The same signer with these options.
    pub fn with_options(mut self, options: SignOptions) -> Self {
        self.unsigned_lengths = length_bits(&options.unsigned_headers);
        self.options = options;
        self
    }

    /// The access key.
    pub fn access_key(&self) -> &AccessKey {
        &self.access_key
    }

    /// Sign `request` at `now` in the header form: every header of the
    /// request is signed (but `authorization` and those in
    /// [`SignOptions::unsigned_headers`]), plus `x-amz-date`.
    ///
    /// An [`http::Request`] without a `Host` header signs the host of its
    /// URI's authority, as the client that sends it will write it.
    ///
    /// # Errors
    /// [`Error::Config`] when the body is unknown and no payload hash was
    /// declared, or the request has no host (or
    /// [`SignOptions::unsigned_headers`] names it); [`Error::Malformed`] when
    /// the target or a header cannot be canonicalised, a header to sign
    /// has a name that is not an HTTP token ([`Malformed::HeaderName`]), the
    /// method is not one ([`Malformed::Method`]), or the query carries
    /// `X-Amz-Signature`, which no verifier takes with an `Authorization`
    /// header ([`Malformed::Ambiguous`]).
    pub fn sign<R: RequestView + ?Sized>(
        &self,
        request: &R,
        now: Timestamp,
    ) -> Result<Signature, Error> {
        check_method(request.method())?;
        // A fragment is never sent, nor signed.
        let target = canonical::without_fragment(request.target());
        let amz_date = now.to_amz_date()?;
        let declared = declared_payload(request);
        let payload = self.payload_hash(request, declared)?;
        // UNSIGNED-PAYLOAD must be declared: a verifier would hash the body.
        let declare = self.options.content_sha256_header || self.options.unsigned_payload;
        let content_sha256 = (declare && declared.is_none()).then(|| payload.as_str().to_owned());
        let security_token = self.session_token();

        // The signer's own headers: x-amz-date, and the optional two.
        let mut own: [(&str, &[u8]); 3] = [("x-amz-date", amz_date.as_bytes()); 3];
        let mut count = 1;
        for (name, value) in [
            ("x-amz-content-sha256", content_sha256.as_deref()),
            ("x-amz-security-token", security_token),
        ] {
            if let Some(value) = value {
                own[count] = (name, value.as_bytes());
                count += 1;
            }
        }
        let extra = &own[..count];

        // The Authorization value up to its signature; the signed header list
        // inside it is also what the canonical request names.
        // The fixed words, the date and the signature take about 130 bytes;
        // a header list seldom more than 120.
        let scope_len = self.region.len() + self.service.len();
        let mut authorization =
            String::with_capacity(self.access_key.as_str().len() + scope_len + 250);
        for piece in [ALGORITHM, " Credential=", self.access_key.as_str(), "/"] {
            authorization.push_str(piece);
        }
        self.scope(&amz_date).push_to(&mut authorization);
        authorization.push_str(", SignedHeaders=");
        let list_start = authorization.len();
        let view = ViewHeaders::all(request);
        self.push_signed_headers(&mut authorization, &view, extra)?;
        let list = &authorization[list_start..];
        require_host(list)?;
        let headers = WithExtra { request: view, extra, signer: self };

        let parts = canonical::Parts {
            method: request.method(),
            target,
            signed_headers: list,
            payload_hash: payload.as_bytes(),
            skip_signature: false,
        };
        let signature = self.signature(&parts, &headers, &amz_date)?;
        authorization.push_str(", Signature=");
        authorization.push_str(hex_str(&signature));
        let security_token = security_token.map(str::to_owned);
        Ok(Signature { amz_date, content_sha256, security_token, authorization })
    }

    /// Sign an [`http::Request`] in place: add the signature's headers,
    /// replacing any `Authorization` or `X-Amz-Date` it had.
    ///
    /// # Errors
    /// As [`Signer::sign`]; [`Error::Config`] when the access key cannot be a
    /// header value.
    pub fn sign_request<B: AsRef<[u8]>>(
        &self,
        request: &mut http::Request<B>,
        now: Timestamp,
    ) -> Result<(), Error> {
        let signature = self.sign(request, now)?;
        let headers = request.headers_mut();
        for (name, value) in signature.headers() {
            let value = http::HeaderValue::from_str(value)
                .map_err(|_| Error::Config("signature is not a valid header value"))?;
            headers.insert(name, value);
        }
        Ok(())
    }

    /// Presign `request` at `now` for `expires_secs` seconds: every header of
    /// the request is signed (`host` at least), the signature goes in the query.
    ///
    /// # Errors
    /// [`Error::Config`] for `expires_secs` outside 1 to 604800, a request
    /// without `host` (or with `host` among the unsigned headers), or a
    /// target that is not UTF-8; [`Error::Malformed`] when the target cannot
    /// be canonicalised, a header to sign has a name that is not an HTTP
    /// token ([`Malformed::HeaderName`]), or the method is not one
    /// ([`Malformed::Method`]).
    pub fn presign<R: RequestView + ?Sized>(
        &self,
        request: &R,
        now: Timestamp,
        expires_secs: u32,
    ) -> Result<PresignedUrl, Error> {
        if !(1..=MAX_PRESIGN_EXPIRES).contains(&expires_secs) {
            return Err(Error::Config("presigned expiry must be 1 to 604800 seconds"));
        }
        check_method(request.method())?;
        let view = ViewHeaders::all(request);
        let mut signed_headers = String::new();
        self.push_signed_headers(&mut signed_headers, &view, &[])?;
        require_host(&signed_headers)?;
        let amz_date = now.to_amz_date()?;
        let payload = self.payload_hash(request, declared_payload(request))?;
        // A fragment is never sent, nor signed.
        let raw = canonical::without_fragment(request.target());
        let mut target = self.presign_target(raw, &amz_date, expires_secs, &signed_headers)?;

        let headers = WithExtra { request: view, extra: &[], signer: self };
        let parts = canonical::Parts {
            method: request.method(),
            target: target.as_bytes(),
            signed_headers: &signed_headers,
            payload_hash: payload.as_bytes(),
            // The target has no signature yet: there is none to leave out.
            skip_signature: false,
        };
        let signature = self.signature(&parts, &headers, &amz_date)?;
        target.push_str("&X-Amz-Signature=");
        target.push_str(hex_str(&signature));
        Ok(PresignedUrl { target })
    }

    /// The target with the presigned parameters added after the request's
    /// own query, less any presigned parameters it already had (so that a
    /// presigned URL presigns again, rather than carrying two signatures),
    /// in one allocation.
    fn presign_target(
        &self,
        raw: &[u8],
        amz_date: &AmzDate,
        expires: u32,
        signed_headers: &str,
    ) -> Result<String, Error> {
        use std::fmt::Write as _;

        let raw = std::str::from_utf8(raw).map_err(|_| Error::Config("target is not UTF-8"))?;
        let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
        let token = self.session_token();
        // The fixed text is about 160 bytes; encoding at most triples the rest.
        let variable = self.access_key.as_str().len()
            + self.region.len()
            + self.service.len()
            + signed_headers.len()
            + token.map_or(0, str::len);
        let mut target = String::with_capacity(raw.len() + 200 + 3 * variable);
        // An empty path is signed as `/`, and sent as `/` too.
        target.push_str(if path.is_empty() { "/" } else { path });
        target.push('?');
        let replaced = |piece: &str| {
            let (name, _) = piece.split_once('=').unwrap_or((piece, ""));
            let name = || decoded(name.as_bytes());
            PRESIGN_PARAMS.iter().any(|p| name().eq(p.bytes()))
                || (token.is_some() && name().eq(TOKEN_PARAM.bytes()))
        };
        for piece in query.split('&').filter(|p| !p.is_empty() && !replaced(p)) {
            target.push_str(piece);
            target.push('&');
        }
        target.push_str("X-Amz-Algorithm=");
        target.push_str(ALGORITHM);
        target.push_str("&X-Amz-Credential=");
        push_encoded(&mut target, self.access_key.as_str().as_bytes());
        for part in self.scope(amz_date).parts() {
            target.push_str("%2F");
            push_encoded(&mut target, part.as_bytes());
        }
        target.push_str("&X-Amz-Date=");
        target.push_str(amz_date.as_str());
        target.push_str("&X-Amz-SignedHeaders=");
        push_encoded(&mut target, signed_headers.as_bytes());
        // Writing to a String cannot fail.
        let _ = write!(target, "&X-Amz-Expires={expires}");
        if let Some(token) = token {
            target.push_str("&X-Amz-Security-Token=");
            push_encoded(&mut target, token.as_bytes());
        }
        Ok(target)
    }

    /// Whether the signer writes its own value of header `name` (any case).
    fn replaces(&self, name: &str) -> bool {
        REPLACED.iter().any(|r| r.eq_ignore_ascii_case(name))
            || (self.session_token().is_some() && name.eq_ignore_ascii_case(TOKEN_HEADER))
    }

    /// The session token; an empty one is none, as every client takes it.
    fn session_token(&self) -> Option<&str> {
        self.options.session_token.as_deref().filter(|token| !token.is_empty())
    }

    fn scope<'a>(&'a self, amz_date: &'a AmzDate) -> Scope<'a> {
        Scope { date: amz_date.date(), region: &self.region, service: &self.service }
    }

    fn payload_hash<'r, R: RequestView + ?Sized>(
        &self,
        request: &'r R,
        declared: Option<&'r str>,
    ) -> Result<PayloadHash<'r>, Error> {
        // What the request declares is what every verifier reads: it wins.
        if let Some(declared) = declared {
            return Ok(PayloadHash::Text(declared));
        }
        if self.options.unsigned_payload {
            return Ok(PayloadHash::Text(UNSIGNED_PAYLOAD));
        }
        super::body_sha256_hex(request.body())
            .map(PayloadHash::Hex)
            .ok_or(Error::Config("the body (or its SHA-256) is needed to sign"))
    }

    /// Append the signed header list to `out`: the lower-case names of the
    /// request's headers (less those left unsigned) and the extra ones,
    /// sorted, unique.
    ///
    /// # Errors
    /// [`Malformed::HeaderName`] for a name to sign that is not an HTTP token.
    fn push_signed_headers<R: RequestView + ?Sized>(
        &self,
        out: &mut String,
        headers: &ViewHeaders<'_, R>,
        extra: &[(&str, &[u8])],
    ) -> Result<(), Error> {
        match headers {
            ViewHeaders::Scan(request) => {
                self.push_names(out, request.headers().map(|(name, _)| name), extra)
            }
            ViewHeaders::Sorted(index) => self.push_names(out, index.names(), extra),
        }
    }

    /// [`Signer::push_signed_headers`] for the request's header `names`.
    fn push_names<'n>(
        &self,
        out: &mut String,
        names: impl Iterator<Item = &'n str>,
        extra: &[(&'n str, &[u8])],
    ) -> Result<(), Error> {
        let unsigned = |n: &str| {
            self.replaces(n)
                || (self.unsigned_lengths & length_bit(n) != 0
                    && self.options.unsigned_headers.iter().any(|u| u.eq_ignore_ascii_case(n)))
        };
        let signed = names.filter(|n| !unsigned(n)).chain(extra.iter().map(|(n, _)| *n));
        // Sorted in place; a request with a usual number of headers needs no heap.
        let mut inline = [""; 16];
        let mut spill = Vec::new();
        let mut count = 0;
        for name in signed {
            match inline.get_mut(count) {
                Some(slot) => *slot = name,
                None => {
                    if spill.is_empty() {
                        spill.extend_from_slice(&inline);
                    }
                    spill.push(name);
                }
            }
            count += 1;
        }
        let names = if spill.is_empty() {
            let names = &mut inline[..count];
            names.sort_unstable_by(|a, b| cmp_lower(a, b));
            names
        } else {
            // Long lists come from the index, sorted but for the extra names
            // at the end: a stable sort merges the two runs, not sorting afresh.
            spill.sort_by(|a, b| cmp_lower(a, b));
            &mut spill[..]
        };

        let start = out.len();
        let mut previous: Option<&str> = None;
        for name in names.iter() {
            if previous.is_some_and(|p| p.eq_ignore_ascii_case(name)) {
                continue;
            }
            // A name with `;` or a space in it would change the list's meaning.
            if !is_token(name) {
                return Err(Malformed::HeaderName.into());
            }
            if previous.is_some() {
                out.push(';');
            }
            out.push_str(name);
            previous = Some(name);
        }
        out[start..].make_ascii_lowercase();
        Ok(())
    }

    fn signature<H: HeaderSource>(
        &self,
        parts: &canonical::Parts<'_>,
        headers: &H,
        amz_date: &AmzDate,
    ) -> Result<[u8; 64], Error> {
        let mut hasher = Sha256::new();
        canonical::write(&mut hasher, parts, headers, self.options.rules)?;
        let digest: [u8; 32] = hasher.finalize().into();
        let scope = self.scope(amz_date);
        let mac =
            self.with_signing_key(amz_date, |key| key.sign(amz_date.as_bytes(), &scope, &digest));
        Ok(super::hex32(&mac))
    }

    /// `use_key` applied to the signing key of `amz_date`'s day, derived once a day.
    fn with_signing_key<T>(&self, amz_date: &AmzDate, use_key: impl FnOnce(&SigningKey) -> T) -> T {
        let date = amz_date.date_number();
        {
            let cached = crate::sync::read(&self.cached);
            if let Some((_, key)) = cached.as_ref().filter(|(d, _)| *d == date) {
                return use_key(key);
            }
        }
        let key = SigningKey::derive(&self.secret, amz_date.date(), &self.region, &self.service);
        let out = use_key(&key);
        *crate::sync::write(&self.cached) = Some((date, key));
        out
    }
}

fn length_bit(name: &str) -> u64 {
    1 << name.len().min(63)
}

fn length_bits<S: AsRef<str>>(names: &[S]) -> u64 {
    names.iter().fold(0, |bits, name| bits | length_bit(name.as_ref()))
}

/// Refuse a method no HTTP request can carry (`G ET`, an empty one).
fn check_method(method: &str) -> Result<(), Error> {
    match is_token(method) {
        true => Ok(()),
        false => Err(Malformed::Method.into()),
    }
}

/// Refuse to sign without `host`: every verifier requires it to be signed.
fn require_host(signed_headers: &str) -> Result<(), Error> {
    if canonical::header_names(signed_headers).any(|name| name == "host") {
        Ok(())
    } else {
        Err(Error::Config("a request to sign needs a host header, and host is always signed"))
    }
}

/// The payload hash the request declares in `x-amz-content-sha256`.
fn declared_payload<R: RequestView + ?Sized>(request: &R) -> Option<&str> {
    let (_, value) =
        request.headers().find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))?;
    std::str::from_utf8(crate::request::trim(value)).ok()
}

/// The request's headers (less those the signer replaces) and the signer's own.
struct WithExtra<'a, R: ?Sized> {
    request: ViewHeaders<'a, R>,
    extra: &'a [(&'a str, &'a [u8])],
    signer: &'a Signer,
}

impl<R: RequestView + ?Sized> HeaderSource for WithExtra<'_, R> {
    fn each_value(&self, name: &str, mut f: impl FnMut(&[u8])) {
        if !self.signer.replaces(name) {
            self.request.each_value(name, &mut f);
        }
        for (n, v) in self.extra {
            if *n == name {
                f(v);
            }
        }
    }
}

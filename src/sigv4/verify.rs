//! Server-side verification: parse, cheap checks, key lookup, signature.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::cache::KeyCache;
use super::canonical::{self, CanonicalRules, Redacted, ViewHeaders};
use super::parse::{Form, SignedRequest};
use super::{PARA_REGION, PARA_SERVICE, PayloadHash, SigningKey, TERMINATOR, UNSIGNED_PAYLOAD};
use super::{hex32, sha256_hex, unhex32};
use crate::error::{Diagnostic, Error, ScopeField};
use crate::request::{RequestView, trim};
use crate::store::{AppRecord, AppStore, VersionedSecret};
use crate::time::Timestamp;

/// How a [`Verifier`] judges requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// The region the credential scope must name. Para: `us-east-1`.
    pub region: String,
    /// The service the credential scope must name. Para: `para`.
    pub service: String,
    /// How the canonical request is formed. Para: [`CanonicalRules::PARA`].
    pub rules: CanonicalRules,
    /// How far `X-Amz-Date` may be from `now`, either way, in seconds (900).
    /// A presigned request may be dated at most this far ahead.
    pub max_skew_secs: u32,
    /// Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` (Para does not).
    pub allow_unsigned_payload: bool,
    /// On a signature mismatch, put the canonical request and string to sign
    /// the verifier built in the error (sensitive headers redacted).
    pub diagnostics: bool,
    /// How many access keys the derived-key cache holds (0: no cache).
    pub key_cache_capacity: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            region: PARA_REGION.to_owned(),
            service: PARA_SERVICE.to_owned(),
            rules: CanonicalRules::PARA,
            max_skew_secs: 900,
            allow_unsigned_payload: false,
            diagnostics: false,
            key_cache_capacity: 10_000,
        }
    }
}

impl VerifierConfig {
    /// Para's settings: `us-east-1`, `para`, double encoding, 900 s of skew.
    pub fn para() -> Self {
        Self::default()
    }

    /// Another region and service, with generic AWS path rules.
    pub fn aws(region: &str, service: &str) -> Self {
        VerifierConfig {
            region: region.to_owned(),
            service: service.to_owned(),
            rules: CanonicalRules::AWS,
            ..Self::default()
        }
    }
}

/// What became of the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadCheck {
    /// The body's SHA-256 is what the signature covers.
    Verified,
    /// The client declared `UNSIGNED-PAYLOAD` and it was allowed.
    Unsigned,
    /// The view did not have the body: the signature covers this SHA-256,
    /// and whoever reads the body must check it.
    Pending([u8; 32]),
}

impl PayloadCheck {
    /// Check `body`, read after the request was verified, against the hash
    /// the signature covers: [`Error::BodyMismatch`] when it is another body.
    ///
    /// Only [`PayloadCheck::Pending`] has something left to check; the
    /// others return `Ok` (the body was checked, or it is unsigned by choice).
    ///
    /// # Errors
    /// [`Error::BodyMismatch`].
    pub fn check_body(&self, body: &[u8]) -> Result<(), Error> {
        match self {
            PayloadCheck::Pending(_) => self.check_body_sha256(&Sha256::digest(body).into()),
            PayloadCheck::Verified | PayloadCheck::Unsigned => Ok(()),
        }
    }

    /// As [`PayloadCheck::check_body`], given the body's SHA-256, for a body
    /// hashed while it streams.
    ///
    /// # Errors
    /// [`Error::BodyMismatch`].
    pub fn check_body_sha256(&self, body_sha256: &[u8; 32]) -> Result<(), Error> {
        match self {
            PayloadCheck::Pending(signed) if !equal_in_constant_time(signed, body_sha256) => {
                Err(Error::BodyMismatch)
            }
            _ => Ok(()),
        }
    }
}

/// A request whose signature was verified. Only a [`Verifier`] builds one.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    app: Arc<AppRecord>,
    form: Form,
    signed_at: Timestamp,
    payload: PayloadCheck,
    previous_secret: bool,
}

impl VerifiedRequest {
    /// The app whose key signed the request.
    pub fn app(&self) -> &Arc<AppRecord> {
        &self.app
    }

    /// Header or presigned.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The request's `X-Amz-Date`.
    pub fn signed_at(&self) -> Timestamp {
        self.signed_at
    }

    /// What was checked of the body.
    pub fn payload(&self) -> PayloadCheck {
        self.payload
    }

    /// Whether the previous secret, in its grace window, signed the request.
    pub fn used_previous_secret(&self) -> bool {
        self.previous_secret
    }
}

/// The payload hash line the verifier signs with.
type Payload = PayloadHash<'static>;

/// What the checks before the key lookup found.
struct Prechecked<'r> {
    signed: SignedRequest<'r>,
    /// The payload hash line of the canonical request, and what it says of the body.
    payload: Payload,
    check: PayloadCheck,
    /// SHA-256 of the canonical request.
    digest: [u8; 32],
}

/// Verifies SigV4 requests against an [`AppStore`].
///
/// `verify` parses first (no key, no clock), makes the cheap checks
/// (algorithm, scope, date window, required signed headers, payload hash)
/// and hashes the canonical request (which finds a signed header the request
/// lacks), all without a key; then it looks the key up, computes the
/// signature and compares it in constant time. Derived signing keys are
/// cached per access key, secret version and date.
#[derive(Debug)]
pub struct Verifier<S> {
    store: S,
    config: VerifierConfig,
    cache: KeyCache,
}

impl<S: AppStore> Verifier<S> {
    /// A verifier with Para's settings.
    pub fn new(store: S) -> Self {
        Self::with_config(store, VerifierConfig::para())
    }

    /// A verifier with the given settings.
    pub fn with_config(store: S, config: VerifierConfig) -> Self {
        let cache = KeyCache::new(config.key_cache_capacity);
        Verifier { store, config, cache }
    }

    /// The settings.
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Forget the derived keys of `access_key` (call after a rotation made
    /// elsewhere; a rotation seen through the store's versions is noticed anyway).
    pub fn forget_key(&self, access_key: &str) {
        self.cache.forget(access_key);
    }

    /// Forget every derived key.
    pub fn clear_cache(&self) {
        self.cache.clear();
    }

    /// Verify `request` at time `now`.
    ///
    /// # Errors
    /// Every [`Error`] reason of SigV4: `malformed`, `algorithm`,
    /// `scope_mismatch`, `unsigned_header`, `time_skewed`, `expired`,
    /// `body_mismatch`, `unknown_key`, `signature_mismatch`; `store` when the
    /// store fails.
    pub async fn verify<R: RequestView + ?Sized>(
        &self,
        request: &R,
        now: Timestamp,
    ) -> Result<VerifiedRequest, Error> {
        let checked = self.precheck(request, now)?;
        let app = self.store.app(checked.signed.access_key()).await.map_err(Error::Store)?;
        let app = app.ok_or(Error::UnknownKey)?;
        self.finish(request, &checked, app, now)
    }

    /// Verify `request` against an app record the caller already has.
    ///
    /// # Errors
    /// As [`Verifier::verify`]; `unknown_key` when the request names another key.
    pub fn verify_with(
        &self,
        request: &(impl RequestView + ?Sized),
        app: Arc<AppRecord>,
        now: Timestamp,
    ) -> Result<VerifiedRequest, Error> {
        let checked = self.precheck(request, now)?;
        if checked.signed.access_key() != app.access_key.as_str() {
            return Err(Error::UnknownKey);
        }
        self.finish(request, &checked, app, now)
    }

    /// Parse, make every check that needs no key, and hash the canonical
    /// request (which needs none either, and finds any signed header the
    /// request lacks).
    fn precheck<'r, R: RequestView + ?Sized>(
        &self,
        request: &'r R,
        now: Timestamp,
    ) -> Result<Prechecked<'r>, Error> {
        let signed = SignedRequest::parse(request)?;
        self.check_scope(&signed)?;
        check_required_headers(&signed)?;
        self.check_time(&signed, now)?;
        let (payload, check) = self.payload(request, &signed)?;
        let digest = canonical_digest(request, &signed, payload.as_bytes(), self.config.rules)?;
        Ok(Prechecked { signed, payload, check, digest })
    }

    fn check_scope(&self, signed: &SignedRequest<'_>) -> Result<(), Error> {
        let scope = signed.scope();
        let field = if signed.terminator() != TERMINATOR {
            ScopeField::Terminator
        } else if scope.region != self.config.region {
            ScopeField::Region
        } else if scope.service != self.config.service {
            ScopeField::Service
        } else if scope.date.as_bytes() != signed.date().date_bytes() {
            ScopeField::Date
        } else {
            return Ok(());
        };
        Err(Error::ScopeMismatch(field))
    }

    fn check_time(&self, signed: &SignedRequest<'_>, now: Timestamp) -> Result<(), Error> {
        let skew = u64::from(self.config.max_skew_secs);
        let (now, dated) = (now.unix(), signed.timestamp().unix());
        // How far apart the two are, exact at any two times.
        let gap = now.abs_diff(dated);
        match signed.form() {
            Form::Header if gap > skew => Err(Error::TimeSkewed),
            Form::Presigned { .. } if dated > now && gap > skew => Err(Error::TimeSkewed),
            Form::Presigned { expires } if now > dated && gap > u64::from(expires) => {
                Err(Error::Expired)
            }
            _ => Ok(()),
        }
    }

    /// The payload hash line, checked against the body where the body is at hand.
    fn payload<R: RequestView + ?Sized>(
        &self,
        request: &R,
        signed: &SignedRequest<'_>,
    ) -> Result<(Payload, PayloadCheck), Error> {
        let declared = signed.content_sha256().map(trim);
        if declared == Some(UNSIGNED_PAYLOAD.as_bytes()) {
            if !self.config.allow_unsigned_payload {
                return Err(Error::BodyMismatch);
            }
            return Ok((PayloadHash::Text(UNSIGNED_PAYLOAD), PayloadCheck::Unsigned));
        }

        let actual = super::body_sha256_hex(request.body());

        match (declared, actual) {
            (Some(d), Some(a)) if d == a => Ok((PayloadHash::Hex(a), PayloadCheck::Verified)),
            (Some(_), Some(_)) => Err(Error::BodyMismatch),
            (None, Some(a)) => Ok((PayloadHash::Hex(a), PayloadCheck::Verified)),
            (Some(d), None) => {
                let digest = unhex32(d).ok_or(Error::BodyMismatch)?;
                let hex = hex32(&digest);
                if hex[..] != *d {
                    return Err(Error::BodyMismatch); // upper-case hex
                }
                Ok((PayloadHash::Hex(hex), PayloadCheck::Pending(digest)))
            }
            (None, None) => {
                let hex = sha256_hex(b"");
                let digest = unhex32(&hex).unwrap_or_default();
                Ok((PayloadHash::Hex(hex), PayloadCheck::Pending(digest)))
            }
        }
    }

    /// Compute the signature with the app's secrets and compare.
    fn finish<R: RequestView + ?Sized>(
        &self,
        request: &R,
        checked: &Prechecked<'_>,
        app: Arc<AppRecord>,
        now: Timestamp,
    ) -> Result<VerifiedRequest, Error> {
        let signed = &checked.signed;
        let mut outcome = self.try_secrets(signed, &checked.digest, &app, now);
        let mut check = checked.check;
        let presigned = matches!(signed.form(), Form::Presigned { .. });
        if outcome.is_none() && presigned && self.config.allow_unsigned_payload {
            let unsigned = UNSIGNED_PAYLOAD.as_bytes();
            let digest = canonical_digest(request, signed, unsigned, self.config.rules)?;
            outcome = self.try_secrets(signed, &digest, &app, now);
            check = PayloadCheck::Unsigned;
        }

        match outcome {
            Some(previous_secret) => Ok(VerifiedRequest {
                form: signed.form(),
                signed_at: signed.timestamp(),
                payload: check,
                previous_secret,
                app,
            }),
            None => {
                Err(Error::SignatureMismatch(self.diagnostic(request, signed, checked.payload)))
            }
        }
    }

    /// `Some(used_previous)` when one of the app's secrets signed `digest`.
    fn try_secrets(
        &self,
        signed: &SignedRequest<'_>,
        digest: &[u8; 32],
        app: &AppRecord,
        now: Timestamp,
    ) -> Option<bool> {
        let previous = app.previous_at(now);
        let keep = [Some(app.secret.version()), previous.map(|p| p.version())];

        for (secret, is_previous) in [(Some(&app.secret), false), (previous, true)] {
            let Some(secret) = secret else { continue };
            let mac = self.signature(signed, secret, keep, digest);
            if equal_in_constant_time(&mac, signed.signature()) {
                return Some(is_previous);
            }
        }
        None
    }

    /// The signature under `secret`, with the derived key cached.
    fn signature(
        &self,
        signed: &SignedRequest<'_>,
        secret: &VersionedSecret,
        keep: [Option<u64>; 2],
        digest: &[u8; 32],
    ) -> [u8; 32] {
        let (access_key, scope) = (signed.access_key(), signed.scope());
        let (version, date) = (secret.version(), signed.date().date_number());
        let sign = |key: &SigningKey| key.sign(signed.date().as_bytes(), &scope, digest);
        if let Some(mac) = self.cache.with_key(access_key, version, date, sign) {
            return mac;
        }
        let key = SigningKey::derive(secret.key(), scope.date, scope.region, scope.service);
        let mac = sign(&key);
        self.cache.put(access_key, keep, (version, date), key);
        mac
    }

    fn diagnostic<R: RequestView + ?Sized>(
        &self,
        request: &R,
        signed: &SignedRequest<'_>,
        payload: Payload,
    ) -> Option<Box<Diagnostic>> {
        if !self.config.diagnostics {
            return None;
        }
        let parts = canonical_parts(request, signed, payload.as_bytes());
        let mut text = Vec::new();
        let headers = Redacted(ViewHeaders::new(request, signed.signed_headers()));
        canonical::write(&mut text, &parts, &headers, self.config.rules).ok()?;
        let string_to_sign = super::string_to_sign(signed.date().as_str(), &signed.scope(), &text);
        let canonical_request = String::from_utf8_lossy(&text).into_owned();
        Some(Box::new(Diagnostic { canonical_request, string_to_sign }))
    }
}

fn canonical_parts<'a, R: RequestView + ?Sized>(
    request: &'a R,
    signed: &'a SignedRequest<'_>,
    payload_hash: &'a [u8],
) -> canonical::Parts<'a> {
    canonical::Parts {
        method: request.method(),
        target: request.target(),
        signed_headers: signed.signed_headers(),
        payload_hash,
        skip_signature: matches!(signed.form(), Form::Presigned { .. }),
    }
}

/// SHA-256 of the canonical request, streamed.
fn canonical_digest<R: RequestView + ?Sized>(
    request: &R,
    signed: &SignedRequest<'_>,
    payload_hash: &[u8],
    rules: CanonicalRules,
) -> Result<[u8; 32], Error> {
    let mut hasher = Sha256::new();
    let parts = canonical_parts(request, signed, payload_hash);
    let headers = ViewHeaders::new(request, parts.signed_headers);
    canonical::write(&mut hasher, &parts, &headers, rules)?;
    Ok(hasher.finalize().into())
}

fn check_required_headers(signed: &SignedRequest<'_>) -> Result<(), Error> {
    if !signed.host_signed() {
        return Err(Error::UnsignedHeader("host"));
    }
    if signed.form() == Form::Header && !signed.date_signed() {
        return Err(Error::UnsignedHeader("x-amz-date"));
    }
    Ok(())
}

/// Compare two MACs without an early exit: every byte is looked at.
fn equal_in_constant_time(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    bool::from(diff.ct_eq(&0))
}

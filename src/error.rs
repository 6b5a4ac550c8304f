//! The crate's one error type, its stable reason codes and HTTP statuses.

use http::StatusCode;

/// Everything that can go wrong while signing, verifying or configuring.
///
/// Each variant maps to a stable [`Reason`] code (see [`Error::reason`]) and an
/// HTTP status (see [`Error::status`]). The `Display` text is meant for logs:
/// it is precise. What a client is told should come from
/// [`Error::public_message`], which does not tell an unknown key from a bad
/// signature.
///
/// Errors do not implement `PartialEq`: compare their [`Reason`]s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request or token cannot be parsed, or a required part is missing.
    #[error("malformed: {0}")]
    Malformed(Malformed),
    /// No key with this id is known.
    #[error("unknown access key")]
    UnknownKey,
    /// The credential scope names another region, service, terminator or date.
    #[error("credential scope does not match: {0}")]
    ScopeMismatch(ScopeField),
    /// The request date is too far from the verifier's clock.
    #[error("request date is outside the allowed window")]
    TimeSkewed,
    /// A presigned request is past its `X-Amz-Expires`, or a token past its `exp`.
    #[error("expired")]
    Expired,
    /// A header that must be signed (`host`, `x-amz-date`) is not signed.
    #[error("required header is not signed: {0}")]
    UnsignedHeader(&'static str),
    /// `x-amz-content-sha256` does not match the body.
    #[error("payload hash does not match the body")]
    BodyMismatch,
    /// The SigV4 signature does not match.
    #[error("signature does not match")]
    SignatureMismatch(Option<Box<Diagnostic>>),
    /// A token's algorithm is not one we accept (or the key is too short for
    /// it). A SigV4 request with another algorithm is
    /// [`Malformed::Algorithm`], as the conformance format says.
    #[error("algorithm not accepted")]
    Algorithm,
    /// A token's MAC does not match (a revoked token fails this way too).
    #[error("token signature does not match")]
    BadSignature,
    /// A token used before its `nbf`.
    #[error("token not yet valid")]
    NotYetValid,
    /// A token whose `appid` names another app than the one served.
    #[error("token is for another app")]
    WrongApp,
    /// The app or user is switched off.
    #[error("{0} is not active")]
    Inactive(&'static str),
    /// The request carries no credentials at all (nor an access key).
    #[error("no credentials")]
    NoCredentials,
    /// The caller is known but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Sign-in with an identity provider failed.
    #[error("sign-in failed: {0}")]
    SignIn(SignInFailure),
    /// A configuration or argument given by the caller (not the request) is invalid.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// The key store failed; the request could not be decided.
    #[error("store failed")]
    Store(#[source] crate::store::StoreError),
    /// A permission map that cannot be read, with what is wrong in it.
    #[error("invalid resource permissions")]
    Permissions(#[from] crate::permissions::PermissionError),
}

/// A stable, machine-readable code for an [`Error`].
///
/// The words are the reason codes of the conformance vector format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// `malformed`
    Malformed,
    /// `unknown_key`
    UnknownKey,
    /// `scope_mismatch`
    ScopeMismatch,
    /// `time_skewed`
    TimeSkewed,
    /// `expired`
    Expired,
    /// `unsigned_header`
    UnsignedHeader,
    /// `body_mismatch`
    BodyMismatch,
    /// `signature_mismatch`
    SignatureMismatch,
    /// `algorithm`
    Algorithm,
    /// `bad_signature`
    BadSignature,
    /// `not_yet_valid`
    NotYetValid,
    /// `wrong_app`
    WrongApp,
    /// `inactive`
    Inactive,
    /// `sign_in_failed`
    SignInFailed,
    /// `forbidden`
    Forbidden,
    /// `no_credentials`
    NoCredentials,
    /// `config`
    Config,
    /// `store`
    Store,
}

impl Reason {
    /// The reason as its stable snake-case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::UnknownKey => "unknown_key",
            Reason::ScopeMismatch => "scope_mismatch",
            Reason::TimeSkewed => "time_skewed",
            Reason::Expired => "expired",
            Reason::UnsignedHeader => "unsigned_header",
            Reason::BodyMismatch => "body_mismatch",
            Reason::SignatureMismatch => "signature_mismatch",
            Reason::Algorithm => "algorithm",
            Reason::BadSignature => "bad_signature",
            Reason::NotYetValid => "not_yet_valid",
            Reason::WrongApp => "wrong_app",
            Reason::Inactive => "inactive",
            Reason::SignInFailed => "sign_in_failed",
            Reason::Forbidden => "forbidden",
            Reason::NoCredentials => "no_credentials",
            Reason::Config => "config",
            Reason::Store => "store",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The stable reason code of this error.
    pub fn reason(&self) -> Reason {
        match self {
            Error::Malformed(_) => Reason::Malformed,
            Error::UnknownKey => Reason::UnknownKey,
            Error::ScopeMismatch(_) => Reason::ScopeMismatch,
            Error::TimeSkewed => Reason::TimeSkewed,
            Error::Expired => Reason::Expired,
            Error::UnsignedHeader(_) => Reason::UnsignedHeader,
            Error::BodyMismatch => Reason::BodyMismatch,
            Error::SignatureMismatch(_) => Reason::SignatureMismatch,
            Error::Algorithm => Reason::Algorithm,
            Error::BadSignature => Reason::BadSignature,
            Error::NotYetValid => Reason::NotYetValid,
            Error::WrongApp => Reason::WrongApp,
            Error::Inactive(_) => Reason::Inactive,
            Error::SignIn(_) => Reason::SignInFailed,
            Error::Forbidden(_) => Reason::Forbidden,
            Error::NoCredentials => Reason::NoCredentials,
            Error::Config(_) => Reason::Config,
            Error::Store(_) => Reason::Store,
            Error::Permissions(_) => Reason::Config,
        }
    }

    /// The HTTP status a server should answer with.
    ///
    /// Malformed requests are `400`; every authentication failure is `401`, so
    /// that a client cannot tell an unknown key from a wrong signature; a
    /// failing store or a bad configuration is `500`.
    pub fn status(&self) -> StatusCode {
        match self.reason() {
            Reason::Malformed => StatusCode::BAD_REQUEST,
            Reason::Inactive | Reason::Forbidden => StatusCode::FORBIDDEN,
            Reason::SignInFailed if matches!(self, Error::SignIn(f) if f.is_client_error()) => {
                StatusCode::BAD_REQUEST
            }
            Reason::Config | Reason::Store => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// A message safe to send to the client.
    ///
    /// It names the reason for malformed, skewed and expired requests, which
    /// the client can fix (what is wrong with a path, a target or a size, in
    /// so many words), and is the same for every credential failure.
    pub fn public_message(&self) -> &'static str {
        match self {
            Error::Malformed(Malformed::ResourcePath) => {
                return "the request path has a `.` or `..` segment, a `;` or a `#`";
            }
            Error::Malformed(Malformed::Target) => return "the request target is not a path",
            Error::Malformed(Malformed::TooLarge) => return "the request is too large",
            Error::Malformed(Malformed::HostMismatch) => {
                return "the request target and the Host header name different hosts";
            }
            _ => {}
        }
        match self.reason() {
            Reason::Malformed => "the request's signature or credentials are malformed",
            Reason::TimeSkewed => "the request date is too far from the server's clock",
            Reason::Expired => "the request or token has expired",
            Reason::NotYetValid => "the token is not valid yet",
            Reason::Inactive => "the app or user is not active",
            Reason::Forbidden => "forbidden",
            Reason::NoCredentials => "credentials are required",
            Reason::SignInFailed => "sign-in failed",
            Reason::Config | Reason::Store => "the request could not be authenticated right now",
            _ => "the request could not be authenticated",
        }
    }

    /// The verifier's canonical request and string to sign, when the signature
    /// did not match and diagnostics were enabled.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            Error::SignatureMismatch(d) => d.as_deref(),
            _ => None,
        }
    }
}

/// What exactly is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The signing algorithm is not `AWS4-HMAC-SHA256` (or is missing).
    #[error("the algorithm is not AWS4-HMAC-SHA256")]
    Algorithm,
    /// The `Authorization` header lacks a part (`Credential`, `SignedHeaders`, `Signature`).
    #[error("authorization lacks {0}")]
    MissingPart(&'static str),
    /// A part of the `Authorization` header or presigned query appears twice.
    #[error("{0} given twice")]
    DuplicatePart(&'static str),
    /// The `Authorization` header has a part we do not know.
    #[error("authorization has an unknown part")]
    UnknownPart,
    /// The credential is not `KEY/DATE/REGION/SERVICE/TERMINATOR`.
    #[error("credential is not KEY/DATE/REGION/SERVICE/aws4_request")]
    Credential,
    /// The signature is not 64 hexadecimal digits.
    #[error("signature is not 64 hex digits")]
    Signature,
    /// The signed-headers list is empty, not lower case, not sorted or repeats a name.
    #[error("signed headers are not a sorted, lower-case, `;`-separated list")]
    SignedHeaders,
    /// A header named in the signed-headers list is absent from the request.
    #[error("a signed header is absent from the request")]
    SignedHeaderAbsent,
    /// The request has no `X-Amz-Date`.
    #[error("no x-amz-date")]
    MissingDate,
    /// `X-Amz-Date` is not `yyyymmddThhmmssZ`, or not a real date.
    #[error("x-amz-date is not yyyymmddThhmmssZ")]
    Date,
    /// `X-Amz-Expires` is not a whole number of seconds from 1 to 604800.
    #[error("x-amz-expires is not a number from 1 to 604800")]
    Expires,
    /// A presigned query lacks a required parameter.
    #[error("presigned query lacks {0}")]
    MissingParameter(&'static str),
    /// A `%` that is not followed by two hexadecimal digits.
    #[error("broken percent escape")]
    PercentEscape,
    /// A header value that must be text is not UTF-8.
    #[error("a header value is not UTF-8")]
    NotUtf8,
    /// A header name that is empty or not an HTTP token (RFC 9110: letters,
    /// digits and ``!#$%&'*+-.^_`|~``): no verifier can read it in a
    /// signed-header list.
    #[error("a header name is not an HTTP token")]
    HeaderName,
    /// A method that is not an HTTP token (RFC 9110), such as `G ET`.
    #[error("the method is not an HTTP token")]
    Method,
    /// The request target's path does not start with `/` (an empty path
    /// is `/`, as SigV4 says), or the target holds a fragment (`#`), which
    /// no request carries.
    #[error("request target is not a path")]
    Target,
    /// A resource path with a `.` or `..` segment, a `;` or a fragment,
    /// which a router might read as another resource.
    #[error("the path has a `.` or `..` segment, a `;` or a `#`")]
    ResourcePath,
    /// A header, the target or the whole request is larger than we accept.
    #[error("too large")]
    TooLarge,
    /// Both an `Authorization` header and a presigned query signature.
    #[error("signed both in the header and in the query")]
    Ambiguous,
    /// The request carries no signature at all.
    #[error("no signature")]
    Unsigned,
    /// Raw HTTP text that cannot be read as a request.
    #[error("not an HTTP/1.1 request")]
    Http,
    /// An absolute-form target whose host is not the one the `Host` header
    /// names, or a request with more than one `Host` header.
    #[error("the target and the Host header name different hosts")]
    HostMismatch,
    /// A token that is not three base64url segments with a JSON header, or
    /// whose header asks for an extension (`crit`) we do not know.
    #[error("not a compact JWS token")]
    Token,
    /// Token claims that are not a JSON object of the expected types.
    #[error("token claims are not valid")]
    Claims,
}

/// Why a sign-in failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignInFailure {
    /// No provider of that name is registered.
    #[error("unknown identity provider")]
    UnknownProvider,
    /// The provider token is not in the provider's format.
    #[error("provider token is malformed")]
    MalformedToken,
    /// The provider did not accept the token.
    #[error("provider refused the credentials")]
    Refused,
    /// Wrong password (or no password set for that user).
    #[error("wrong email or password")]
    WrongPassword,
    /// A new password shorter than the minimum.
    #[error("password is too short")]
    WeakPassword,
    /// The user has not verified its email yet (or is switched off).
    #[error("user is not verified or not active")]
    Unverified,
}

impl SignInFailure {
    /// Whether the client sent something unusable (400) rather than wrong credentials (401).
    pub fn is_client_error(self) -> bool {
        matches!(
            self,
            SignInFailure::UnknownProvider
                | SignInFailure::MalformedToken
                | SignInFailure::WeakPassword
        )
    }
}

/// Which part of the credential scope did not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeField {
    /// The scope date is not the date of `X-Amz-Date`.
    #[error("date")]
    Date,
    /// Another region.
    #[error("region")]
    Region,
    /// Another service.
    #[error("service")]
    Service,
    /// A terminator other than `aws4_request`.
    #[error("terminator")]
    Terminator,
}

/// What the verifier built, shown when a signature does not match.
///
/// Values of sensitive headers (`authorization`, `cookie`,
/// `x-amz-security-token`, ...) are replaced by `<redacted>`, so the text can
/// be logged; it is then no longer the exact text that was hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        Error::Malformed(m)
    }
}

//! One call that takes a request and answers who is calling and whether they
//! may do what they ask.
//!
//! [`Gate::check`] classifies the request by its credentials, authenticates
//! it, checks the app's flags for every caller, derives the resource path,
//! and authorises it. It fails closed: every path that is not a clear "yes"
//! is an [`Error`] with its reason and HTTP status (400 malformed, 401
//! unauthenticated, 403 forbidden, 500 when a store fails).
//!
//! | credentials | caller |
//! |---|---|
//! | `Authorization: AWS4-HMAC-SHA256 ...` or a presigned query | the app |
//! | `Authorization: Bearer <super token>` | the app |
//! | `Authorization: Bearer <user token>` | a user |
//! | `Authorization: Anonymous app:id`, or `?accessKey=app:id` | a guest |
//! | anything else | refused |

use std::borrow::Cow;
use std::sync::Arc;

use crate::error::{Error, Malformed};
use crate::jwt::{Subject, Tokens};
use crate::keys::AppId;
use crate::permissions::{Kind, Who};
use crate::request::{RequestView, trim};
use crate::sigv4::canonical::{is_signature_name, query_pairs, split_target};
use crate::sigv4::encode::{check_escapes, decode_text};
use crate::sigv4::{PayloadCheck, Verifier, VerifierConfig};
use crate::store::{AppRecord, AppStore};
use crate::time::Timestamp;
use crate::users::{UserRecord, UserStore};

/// Operations only an app may perform, whatever the permissions say.
pub const APP_ONLY: &[&str] = &["_newkeys", "_setup", "_export", "_import"];

/// How an app proved itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppProof {
    /// A SigV4 signature (header or presigned).
    Signature,
    /// A super token.
    SuperToken,
}

/// Who is calling, verified.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The app itself: full access to its own data.
    App {
        /// The app.
        app: Arc<AppRecord>,
        /// How it proved itself.
        proof: AppProof,
    },
    /// A user of the app, with a valid user token.
    User {
        /// The app.
        app: Arc<AppRecord>,
        /// The user.
        user: Arc<UserRecord>,
    },
    /// A public caller that named the app's access key.
    Guest {
        /// The app.
        app: Arc<AppRecord>,
    },
}

impl Caller {
    /// The app the caller belongs to.
    pub fn app(&self) -> &Arc<AppRecord> {
        match self {
            Caller::App { app, .. } | Caller::User { app, .. } | Caller::Guest { app } => app,
        }
    }
}

/// Why a request was allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grounds {
    /// App callers may do anything in their app.
    App,
    /// Admins may do anything in their app.
    Admin,
    /// Any user may read (`GET`) itself (`_me`) and its own permissions
    /// (`GET _permissions/<own id>`), as in Para.
    Own,
    /// An entry of the resource permissions.
    Permission {
        /// Which rule decided.
        kind: Kind,
        /// The subject whose entry decided.
        subject: Option<String>,
        /// The key that decided.
        key: Option<String>,
        /// The entry says `OWN`: only the caller's own objects.
        own_only: bool,
    },
}

/// An allowed request. Only [`Gate::check`] builds one.
#[derive(Debug, Clone)]
pub struct Allowed {
    caller: Caller,
    resource: String,
    grounds: Grounds,
    payload: Option<PayloadCheck>,
}

impl Allowed {
    /// Who is calling.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The resource path, relative to the API root, decoded (`posts/123`).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Why it was allowed.
    pub fn grounds(&self) -> &Grounds {
        &self.grounds
    }

    /// What the signature says of the body: `Some` for a SigV4 request,
    /// `None` when no signature covers the body (tokens, guests).
    ///
    /// [`PayloadCheck::Pending`] means the view had no body (a request
    /// head such as [`http::request::Parts`]): the body is not checked yet.
    pub fn payload(&self) -> Option<PayloadCheck> {
        self.payload
    }

    /// Check `body`, read after the gate, against the hash a SigV4 signature
    /// covers. Call it before acting on a body the gate did not see; it does
    /// nothing when the gate saw the body, or when no signature covers it.
    ///
    /// # Errors
    /// [`Error::BodyMismatch`] when the body is not the one signed.
    pub fn check_body(&self, body: &[u8]) -> Result<(), Error> {
        self.payload.map_or(Ok(()), |payload| payload.check_body(body))
    }

    /// As [`Allowed::check_body`], given the body's SHA-256.
    ///
    /// # Errors
    /// [`Error::BodyMismatch`].
    pub fn check_body_sha256(&self, body_sha256: &[u8; 32]) -> Result<(), Error> {
        self.payload.map_or(Ok(()), |payload| payload.check_body_sha256(body_sha256))
    }
}

/// Credentials as found on the request, before any check.
enum Credentials<'r> {
    Signature,
    Bearer(&'r str),
    Guest(Cow<'r, str>),
}

/// Authenticates and authorises requests for the apps of one store.
#[derive(Debug)]
pub struct Gate<A, U> {
    verifier: Verifier<Arc<A>>,
    tokens: Tokens<Arc<A>, U>,
}

impl<A: AppStore, U: UserStore> Gate<A, U> {
    /// A gate with Para's SigV4 settings.
    pub fn new(apps: Arc<A>, users: U) -> Self {
        Self::with_config(apps, users, VerifierConfig::para())
    }

    /// A gate with these SigV4 settings.
    pub fn with_config(apps: Arc<A>, users: U, config: VerifierConfig) -> Self {
        let verifier = Verifier::with_config(apps.clone(), config);
        Gate { verifier, tokens: Tokens::new(apps, users) }
    }

    /// The SigV4 verifier.
    pub fn verifier(&self) -> &Verifier<Arc<A>> {
        &self.verifier
    }

    /// The token service.
    pub fn tokens(&self) -> &Tokens<Arc<A>, U> {
        &self.tokens
    }

    /// Who is calling, and may they do what they ask?
    ///
    /// Given a request head without its body, a SigV4 request is allowed on
    /// the strength of the body hash it signs: check the body with
    /// [`Allowed::check_body`] when it arrives.
    ///
    /// # Errors
    /// The reason the request is refused: `malformed` (400); `no_credentials`,
    /// `unknown_key`, `signature_mismatch`, `bad_signature`, `expired`, ...
    /// (401); `inactive` or `forbidden` (403); `store` (500).
    pub async fn check<R: RequestView + ?Sized>(
        &self,
        request: &R,
        now: Timestamp,
    ) -> Result<Allowed, Error> {
        let (caller, payload) = self.authenticate(request, now).await?;
        let app = caller.app();
        if !app.active {
            return Err(Error::Inactive("app"));
        }
        let method = request.method();
        if app.read_only && !is_read(method) {
            return Err(Error::Forbidden("the app is read-only"));
        }

        let resource = resource_path(request.target())?;
        let grounds = authorize(&caller, method, &resource)?;
        Ok(Allowed { caller, resource, grounds, payload })
    }

    async fn authenticate<R: RequestView + ?Sized>(
        &self,
        request: &R,
        now: Timestamp,
    ) -> Result<(Caller, Option<PayloadCheck>), Error> {
        let caller = match classify(request)? {
            Credentials::Signature => {
                let verified = self.verifier.verify(request, now).await?;
                let app = verified.app().clone();
                let caller = Caller::App { app, proof: AppProof::Signature };
                return Ok((caller, Some(verified.payload())));
            }
            Credentials::Bearer(token) => {
                let verified = self.tokens.verify(token, None, now).await?;
                let app = verified.app().clone();
                match verified.subject() {
                    Subject::User(user) => Caller::User { app, user: user.clone() },
                    Subject::Super => Caller::App { app, proof: AppProof::SuperToken },
                }
            }
            Credentials::Guest(key) => {
                // `myapp` and `app:MyApp` name `app:myapp`, as a token's `appid` does.
                let key = key.trim();
                let app_id = AppId::new(key).ok();
                let key = app_id.as_ref().map_or(key, AppId::as_str);
                let app = self.tokens.apps().app(key).await.map_err(Error::Store)?;
                Caller::Guest { app: app.ok_or(Error::UnknownKey)? }
            }
        };
        Ok((caller, None))
    }
}

/// Whether `request` carries a SigV4 signature (an `AWS4-` `Authorization`
/// or a presigned query), which covers its body: [`Gate::check`] must see
/// the body, or a head that declares its hash, to decide. Any other request
/// the gate decides on its head alone.
pub fn signs_body<R: RequestView + ?Sized>(request: &R) -> bool {
    matches!(classify(request), Ok(Credentials::Signature))
}

/// Read the credentials a request carries.
fn classify<R: RequestView + ?Sized>(request: &R) -> Result<Credentials<'_>, Error> {
    let mut authorization = None;
    for (name, value) in request.headers() {
        if name.eq_ignore_ascii_case("authorization") && authorization.replace(value).is_some() {
            return Err(Malformed::DuplicatePart("authorization").into());
        }
    }
    let value = authorization.map(trim).filter(|v| !v.is_empty());
    if let Some(value) = value {
        let value = std::str::from_utf8(value).map_err(|_| Malformed::NotUtf8)?;
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        return match scheme {
            s if s.starts_with("AWS4-") => Ok(Credentials::Signature),
            s if s.eq_ignore_ascii_case("Bearer") && !rest.trim().is_empty() => {
                Ok(Credentials::Bearer(rest.trim()))
            }
            s if s.eq_ignore_ascii_case("Anonymous") && !rest.trim().is_empty() => {
                Ok(Credentials::Guest(Cow::Borrowed(rest.trim())))
            }
            _ => Err(Malformed::UnknownPart.into()),
        };
    }

    let (_, query) = split_target(request.target());
    let mut access_key = None;
    for (name, value) in query_pairs(query) {
        if is_signature_name(name) {
            return Ok(Credentials::Signature);
        }
        if name == b"accessKey" {
            access_key = Some(value);
        }
    }
    match access_key {
        Some(raw) => {
            check_escapes(raw)?;
            Ok(Credentials::Guest(decode_text(raw)?))
        }
        None => Err(Error::NoCredentials),
    }
}

/// The resource path: the path after the version segment (`/v1/posts/123` →
/// `posts/123`), percent-decoded, without leading or trailing `/`.
///
/// A path that a router might read as another resource is refused: one with
/// a `.` or `..` segment (written plainly or escaped), which routers that
/// normalise paths remove, and one with a `;`, which some servers cut off
/// with what follows it as a path parameter (and one with a fragment, which
/// no request carries). The permissions checked must be
/// those of the resource that is served.
///
/// # Errors
/// [`Malformed::PercentEscape`], [`Malformed::NotUtf8`] or
/// [`Malformed::ResourcePath`].
pub fn resource_path(target: &[u8]) -> Result<String, Error> {
    let (path, _) = split_target(target);
    check_escapes(path)?;
    if path.contains(&b';') || target.contains(&b'#') {
        return Err(Malformed::ResourcePath.into());
    }
    let path = decode_text(path)?;
    if path.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(Malformed::ResourcePath.into());
    }
    let path = path.trim_matches('/');
    let (first, rest) = path.split_once('/').unwrap_or((path, ""));
    let is_version =
        first.len() > 1 && first.starts_with('v') && first[1..].bytes().all(|b| b.is_ascii_digit());
    let resource = if is_version { rest } else { path };
    Ok(resource.trim_matches('/').to_owned())
}

fn is_read(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// App callers may do anything; others need the root app's consent, the
/// app-only list's, and the permissions'.
fn authorize(caller: &Caller, method: &str, resource: &str) -> Result<Grounds, Error> {
    let (app, who) = match caller {
        Caller::App { .. } => return Ok(Grounds::App),
        Caller::User { app, user } if user.is_admin() => (app, Who::Admin(&user.id)),
        Caller::User { app, user } => (app, Who::User(&user.id)),
        Caller::Guest { app } => (app, Who::Guest),
    };
    if app.is_root() {
        return Err(Error::Forbidden("the root app serves apps only"));
    }
    let first = resource.split('/').next().unwrap_or_default();
    if APP_ONLY.contains(&first) {
        return Err(Error::Forbidden("only the app may do this"));
    }
    if let Who::Admin(_) = who {
        return Ok(Grounds::Admin);
    }
    if let Who::User(id) = who {
        let own_permissions = resource.strip_prefix("_permissions/") == Some(id);
        if method == "GET" && (resource == "_me" || own_permissions) {
            return Ok(Grounds::Own);
        }
    }

    let decision = app.permissions.decide(who, method, resource);
    if !decision.allowed {
        return Err(Error::Forbidden("the resource permissions do not allow it"));
    }
    Ok(Grounds::Permission {
        kind: decision.kind,
        subject: decision.subject.map(str::to_owned),
        key: decision.key.map(str::to_owned),
        own_only: decision.own_only,
    })
}

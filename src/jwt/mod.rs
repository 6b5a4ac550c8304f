//! Para's tokens: user tokens and super tokens, issued, verified, refreshed
//! and revoked.
//!
//! - A **user token** carries `sub` (the user id) and `idp`, and is signed
//!   with the app secret followed by the user's token secret.
//! - A **super token** gives an app full access: no `sub` (or one the store
//!   does not know), signed with the app secret alone.
//!
//! Both are HMAC JWS (HS256 when we issue; HS384 and HS512 accepted) with
//! `iat`, `nbf`, `exp` in seconds, `refresh` in milliseconds and `appid`.
//! Verification reads `appid` and `sub` from the unverified claims once,
//! looks the key up, checks the MAC in constant time, and only then the time
//! claims. Everything that can be refused without a key is refused first
//! (see [`jws::parse`]).

mod flat;
pub mod jws;
mod keys;

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use jws::{Algorithm, MAX_TOKEN_LEN};

use crate::error::{Error, Malformed};
use crate::keys::{AppId, SecretKey, TOKEN_SECRET_BYTES};
use crate::store::{AppRecord, AppStore};
use crate::time::Timestamp;
use crate::users::{UserRecord, UserStore};

/// The claims of a Para token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// The user id (user tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The app id, e.g. `app:myapp`.
    pub appid: String,
    /// The identity provider the user signed in with (user tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// Issued at, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Expires, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// When the client should refresh, Unix **milliseconds**.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<i64>,
}

/// Claims as they arrive, borrowed from the payload where they can be:
/// numbers may be written as decimals.
#[derive(Deserialize, Default)]
struct WireClaims<'a> {
    #[serde(borrow)]
    sub: Option<Cow<'a, str>>,
    #[serde(borrow)]
    appid: Option<Cow<'a, str>>,
    /// Para's own claims: of another type, ignored, as Para reads them.
    #[serde(default, deserialize_with = "lenient_text")]
    idp: Option<Cow<'a, str>>,
    iat: Option<f64>,
    nbf: Option<f64>,
    exp: Option<f64>,
    #[serde(default, deserialize_with = "lenient_number")]
    refresh: Option<f64>,
}

fn lenient_text<'de, D: serde::Deserializer<'de>>(
    value: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    let value = serde_json::Value::deserialize(value)?;
    Ok(value.as_str().map(|text| Cow::Owned(text.to_owned())))
}

fn lenient_number<'de, D: serde::Deserializer<'de>>(value: D) -> Result<Option<f64>, D::Error> {
    Ok(serde_json::Value::deserialize(value)?.as_f64())
}

/// Whole seconds of a claim, rounded down, as the claims are shown.
fn secs(v: Option<f64>) -> Option<i64> {
    v.map(|x| x.floor() as i64)
}

/// Whole seconds of a time claim, rounded up, for the checks against a
/// clock of whole seconds: `now >= exp` and `now < nbf` then hold exactly
/// when they hold for the fractional claim.
fn secs_up(v: Option<f64>) -> Option<i64> {
    v.map(|x| x.ceil() as i64)
}

impl WireClaims<'_> {
    /// The claims of a payload: by the flat reader when it can, else by serde_json.
    fn read(payload: &[u8]) -> Result<WireClaims<'_>, Error> {
        let wire = match flat::read(payload) {
            Some(wire) => wire,
            None => jws::from_object(payload).ok_or(Malformed::Claims)?,
        };
        if wire.appid.is_none() {
            return Err(Malformed::Claims.into());
        }
        Ok(wire)
    }

    fn appid(&self) -> &str {
        self.appid.as_deref().unwrap_or_default()
    }

    fn to_claims(&self) -> Claims {
        Claims {
            sub: self.sub.as_deref().map(str::to_owned),
            appid: self.appid().to_owned(),
            idp: self.idp.as_deref().map(str::to_owned),
            iat: secs(self.iat),
            nbf: secs(self.nbf),
            exp: secs(self.exp),
            refresh: secs(self.refresh),
        }
    }
}

/// Whom a verified token speaks for.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A user of the app.
    User(Arc<UserRecord>),
    /// The app itself (a super token).
    Super,
}

/// A token whose MAC and time claims were verified. Only a [`Tokens`] builds one.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    app: Arc<AppRecord>,
    app_id: AppId,
    subject: Subject,
    claims: Claims,
    algorithm: Algorithm,
    previous_secret: bool,
}

impl VerifiedToken {
    /// The app the token belongs to.
    pub fn app(&self) -> &Arc<AppRecord> {
        &self.app
    }

    /// The app's id.
    pub fn app_id(&self) -> &AppId {
        &self.app_id
    }

    /// The user, or `Super`.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The user, for a user token.
    pub fn user(&self) -> Option<&Arc<UserRecord>> {
        match &self.subject {
            Subject::User(user) => Some(user),
            Subject::Super => None,
        }
    }

    /// The claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The algorithm that signed it.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether the app's previous secret, in its grace window, verified it.
    pub fn used_previous_secret(&self) -> bool {
        self.previous_secret
    }
}

/// A token as issued: the compact string and its times, as Para answers them.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The compact JWT.
    pub access_token: String,
    /// When it expires, Unix milliseconds.
    pub expires: i64,
    /// When the client should refresh it, Unix milliseconds.
    pub refresh: i64,
    /// Its claims.
    pub claims: Claims,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("expires", &self.expires)
            .field("refresh", &self.refresh)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// The header of every token we issue.
const HEADER: &[u8] = br#"{"alg":"HS256","typ":"JWT"}"#;

/// The key of a token: the app secret, followed for a user token by the
/// user's token secret.
fn token_key(app_secret: &SecretKey, user: Option<&UserRecord>) -> zeroize::Zeroizing<Vec<u8>> {
    let app = app_secret.expose_secret().as_bytes();
    let own = user.map_or(&[][..], |u| u.token_secret.expose_secret().as_bytes());
    let mut key = zeroize::Zeroizing::new(Vec::with_capacity(app.len() + own.len()));
    key.extend_from_slice(app);
    key.extend_from_slice(own);
    key
}

/// When a token issued at `now` expires and should be refreshed (seconds).
///
/// The hint is the app's refresh interval, or half the validity when the
/// validity is under two intervals.
fn lifetimes(validity: u32, interval: u32) -> (i64, i64) {
    let hint = if validity < interval.saturating_mul(2) { validity / 2 } else { interval };
    (i64::from(validity), i64::from(hint))
}

fn issue(
    app: &AppRecord,
    key: &[u8],
    sub: Option<&str>,
    idp: Option<&str>,
    now: Timestamp,
) -> Result<IssuedToken, Error> {
    let app_id = app.app_id().ok_or(Error::Config("the app's access key is not an app id"))?;
    let (validity, hint) = lifetimes(app.token_validity_secs, app.refresh_interval_secs);
    let now = now.unix();
    let out_of_range = || Error::Config("token times out of range");
    let exp = now.checked_add(validity).ok_or_else(out_of_range)?;
    let refresh =
        now.checked_add(hint).and_then(|t| t.checked_mul(1000)).ok_or_else(out_of_range)?;
    let expires = exp.checked_mul(1000).ok_or_else(out_of_range)?;
    let claims = Claims {
        sub: sub.map(str::to_owned),
        appid: app_id.as_str().to_owned(),
        idp: idp.map(str::to_owned),
        iat: Some(now),
        nbf: Some(now),
        exp: Some(exp),
        refresh: Some(refresh),
    };
    let payload =
        serde_json::to_vec(&claims).map_err(|_| Error::Config("claims do not serialise"))?;
    // What no verifier takes (RFC 7518 section 3.2) is not issued either.
    if key.len() < Algorithm::HS256.mac_len() {
        return Err(Error::Config("the key is shorter than the 32 bytes HS256 needs"));
    }
    let access_token = jws::sign(Algorithm::HS256, HEADER, &payload, key);
    Ok(IssuedToken { access_token, expires, refresh, claims })
}

/// Issue a user token with the user's current token secret.
///
/// This does not replace the token secret: [`Tokens::issue_for`] does, when the
/// app keeps one session per user.
///
/// # Errors
/// [`Error::Config`] when the app's access key is not an app id, or the key
/// is shorter than the 32 bytes HS256 needs.
pub fn issue_user_token(
    app: &AppRecord,
    user: &UserRecord,
    idp: Option<&str>,
    now: Timestamp,
) -> Result<IssuedToken, Error> {
    issue(app, &token_key(app.secret.key(), Some(user)), Some(&user.id), idp, now)
}

/// Issue a super token: the app's full access, signed with the app secret.
///
/// # Errors
/// [`Error::Config`] when the app's access key is not an app id, or its
/// secret is shorter than the 32 bytes HS256 needs (no verifier, ours or
/// Para's, takes a shorter key).
pub fn issue_super_token(app: &AppRecord, now: Timestamp) -> Result<IssuedToken, Error> {
    issue(app, app.secret.key().expose_secret().as_bytes(), None, None, now)
}

/// How tokens are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenConfig {
    /// Seconds of clock leeway for `exp` and `nbf` (none by default).
    pub leeway_secs: u32,
}

/// Verifies, issues, refreshes and revokes tokens over an app store and a user store.
#[derive(Debug)]
pub struct Tokens<A, U> {
    apps: A,
    users: U,
    config: TokenConfig,
    keys: keys::TokenKeys,
}

impl<A: AppStore, U: UserStore> Tokens<A, U> {
    /// Tokens over these stores, with no clock leeway.
    pub fn new(apps: A, users: U) -> Self {
        Tokens { apps, users, config: TokenConfig::default(), keys: keys::TokenKeys::default() }
    }

    /// The same, with this configuration.
    pub fn with_config(mut self, config: TokenConfig) -> Self {
        self.config = config;
        self
    }

    /// The app store.
    pub fn apps(&self) -> &A {
        &self.apps
    }

    /// The user store.
    pub fn users(&self) -> &U {
        &self.users
    }

    /// Verify `token` at `now`. With `expected_app`, a token for another app
    /// is refused as `wrong_app`.
    ///
    /// # Errors
    /// `malformed`, `algorithm`, `wrong_app`, `unknown_key` (no such app),
    /// `bad_signature`, `expired` (also when `exp` is missing), `not_yet_valid`,
    /// `inactive` (the app or the user is switched off: told only to a
    /// caller whose token is good); `store` when a store fails.
    pub async fn verify(
        &self,
        token: &str,
        expected_app: Option<&AppId>,
        now: Timestamp,
    ) -> Result<VerifiedToken, Error> {
        let parsed = jws::parse(token.as_bytes())?;
        let wire = WireClaims::read(&parsed.payload)?;
        let app_id = AppId::new(wire.appid()).map_err(|_| Malformed::Claims)?;
        if expected_app.is_some_and(|expected| *expected != app_id) {
            return Err(Error::WrongApp);
        }

        let app =
            self.apps.app(app_id.as_str()).await.map_err(Error::Store)?.ok_or(Error::UnknownKey)?;
        let user = match wire.sub.as_deref() {
            Some(sub) => self.users.user(&app_id, sub).await.map_err(Error::Store)?,
            None => None,
        };
        let previous_secret = check_mac(&parsed, &self.keys, (&app_id, &app), user.as_ref(), now)?;
        check_times(secs_up(wire.exp), secs_up(wire.nbf), now, self.config.leeway_secs)?;
        if !app.active {
            return Err(Error::Inactive("app"));
        }
        let claims = wire.to_claims();

        let subject = match user {
            Some(user) if !user.active => return Err(Error::Inactive("user")),
            Some(user) => Subject::User(user),
            None => Subject::Super,
        };
        Ok(VerifiedToken {
            app,
            app_id,
            subject,
            claims,
            algorithm: parsed.algorithm,
            previous_secret,
        })
    }

    /// Issue a token for `user`. When the app keeps one session per user,
    /// the user's token secret is replaced first, so earlier tokens die.
    ///
    /// # Errors
    /// `inactive` for a switched-off app or user; `store` when the store fails.
    pub async fn issue_for(
        &self,
        app: &AppRecord,
        user: Arc<UserRecord>,
        idp: Option<&str>,
        now: Timestamp,
    ) -> Result<(IssuedToken, Arc<UserRecord>), Error> {
        if !app.active {
            return Err(Error::Inactive("app"));
        }
        if !user.active {
            return Err(Error::Inactive("user"));
        }
        let user =
            if app.one_session_per_user { self.new_token_secret(&user).await? } else { user };
        Ok((issue_user_token(app, &user, idp, now)?, user))
    }

    /// A new token for the user of a verified user token (super tokens are
    /// refused). The app is read from the store again, so a token verified
    /// before its app was switched off is not refreshed after.
    ///
    /// # Errors
    /// [`Error::Forbidden`] for a super token; `unknown_key` when the app is
    /// gone; as [`Tokens::issue_for`].
    pub async fn refresh(
        &self,
        verified: &VerifiedToken,
        now: Timestamp,
    ) -> Result<IssuedToken, Error> {
        let user = verified.user().ok_or(Error::Forbidden("super tokens cannot be refreshed"))?;
        let idp = verified.claims.idp.as_deref();
        let app = self.apps.app(verified.app_id.as_str()).await.map_err(Error::Store)?;
        let app = app.ok_or(Error::UnknownKey)?;
        Ok(self.issue_for(&app, user.clone(), idp, now).await?.0)
    }

    /// Revoke every token of a user by replacing its token secret.
    ///
    /// # Errors
    /// `unknown_key` when there is no such user; `store` when the store fails.
    pub async fn revoke_all(&self, app: &AppId, user_id: &str) -> Result<Arc<UserRecord>, Error> {
        let secret = SecretKey::random(TOKEN_SECRET_BYTES)?;
        let user =
            self.users.replace_token_secret(app, user_id, secret).await.map_err(Error::Store)?;
        user.ok_or(Error::UnknownKey)
    }

    async fn new_token_secret(&self, user: &UserRecord) -> Result<Arc<UserRecord>, Error> {
        let secret = SecretKey::random(TOKEN_SECRET_BYTES)?;
        let replaced = self.users.replace_token_secret(&user.app_id, &user.id, secret).await;
        replaced.map_err(Error::Store)?.ok_or(Error::UnknownKey)
    }
}

/// The time claims at `now`: `exp` is required and the token is expired from
/// `exp` on; before `nbf` it is not yet valid. `leeway_secs` widens both.
///
/// # Errors
/// [`Error::Expired`] or [`Error::NotYetValid`].
pub fn check_times(
    exp: Option<i64>,
    nbf: Option<i64>,
    now: Timestamp,
    leeway_secs: u32,
) -> Result<(), Error> {
    let leeway = i64::from(leeway_secs);
    let exp = exp.ok_or(Error::Expired)?;
    if now.unix() >= exp.saturating_add(leeway) {
        return Err(Error::Expired);
    }
    if nbf.is_some_and(|nbf| now.unix().saturating_add(leeway) < nbf) {
        return Err(Error::NotYetValid);
    }
    Ok(())
}

/// Check the MAC with the app's current secret, then its previous one in
/// its grace window. `Ok(true)` when the previous secret matched. HS256
/// with the current secret uses a cached keyed state.
fn check_mac(
    parsed: &jws::Parsed<'_>,
    keys: &keys::TokenKeys,
    (app_id, app): (&AppId, &AppRecord),
    user: Option<&Arc<UserRecord>>,
    now: Timestamp,
) -> Result<bool, Error> {
    let cached = (parsed.algorithm == Algorithm::HS256)
        .then(|| keys.keyed(app_id, &app.secret, user))
        .flatten();
    if cached.is_some_and(|keyed| parsed.verify_with_state(&keyed)) {
        return Ok(false);
    }
    let secrets = [Some(app.secret.key()), app.previous_at(now).map(|p| p.key())];
    let mut outcome = Err(Error::BadSignature);
    for (i, secret) in secrets.into_iter().enumerate() {
        let Some(secret) = secret else { continue };
        match parsed.verify(&token_key(secret, user.map(|u| &**u))) {
            Ok(()) => return Ok(i == 1),
            Err(Error::BadSignature) => {}
            Err(other) => outcome = Err(other),
        }
    }
    outcome
}

/// Reading a token without verifying it: for display and debugging only.
pub mod dangerous {
    use super::{Claims, Error, WireClaims, jws};

    /// The claims of `token`, its MAC **not** checked. Never authorise on these.
    ///
    /// # Errors
    /// As [`jws::parse`], and `malformed` for claims that are not Para's.
    pub fn claims_unverified(token: &str) -> Result<(jws::Algorithm, Claims), Error> {
        let parsed = jws::parse(token.as_bytes())?;
        Ok((parsed.algorithm, WireClaims::read(&parsed.payload)?.to_claims()))
    }
}

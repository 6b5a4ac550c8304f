//! Sign-in with an identity provider, and sign-up of identities not seen before.
//!
//! A provider turns the token a client sends (an OAuth access token, an LDAP
//! `user:password`, an email and password...) into an [`Identity`]. The core
//! makes no network call: `password` and `passwordless` are built in, and the
//! social providers are for adapters to implement with [`IdentityProvider`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::{Error, SignInFailure};
use crate::jwt::{IssuedToken, Tokens, jws};
use crate::keys::{AppId, SecretKey};
use crate::store::{AppRecord, AppStore, StoreError};
use crate::time::Timestamp;
use crate::users::{UserRecord, UserStore};

/// Para's identity providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// `facebook`: an access token; identifier `fb:<id>`.
    Facebook,
    /// `google`: an access token; identifier `gp:<sub>`.
    Google,
    /// `github`: an access token; identifier `gh:<id>`.
    GitHub,
    /// `linkedin`: an access token; identifier `in:<id>`.
    LinkedIn,
    /// `twitter`: `<token>:<secret>`; identifier `tw:<id>`.
    Twitter,
    /// `microsoft`: an access token; identifier `ms:<id>`.
    Microsoft,
    /// `slack`: an access token; identifier `sl:<user>`.
    Slack,
    /// `amazon`: an access token; identifier `az:<id>`.
    Amazon,
    /// `oauth2`: `<access>[:<refresh>[:<id_token>]]`; identifier `oa2:<id>`.
    OAuth2,
    /// `oauth2second`: as `oauth2`; identifier `oa2second:<id>`.
    OAuth2Second,
    /// `oauth2third`: as `oauth2`; identifier `oa2third:<id>`.
    OAuth2Third,
    /// `ldap`: `<user>:<password>`; identifier `ldap:<user>`.
    Ldap,
    /// `passwordless`: an HMAC JWT signed with the app's passwordless key;
    /// identifier its `identifier` claim.
    Passwordless,
    /// `password`: `<email>:<name>:<password>` or `<email>::<password>`;
    /// identifier the lower-case email.
    Password,
}

const PROVIDERS: [(Provider, &str, &str); 14] = [
    (Provider::Facebook, "facebook", "fb:"),
    (Provider::Google, "google", "gp:"),
    (Provider::GitHub, "github", "gh:"),
    (Provider::LinkedIn, "linkedin", "in:"),
    (Provider::Twitter, "twitter", "tw:"),
    (Provider::Microsoft, "microsoft", "ms:"),
    (Provider::Slack, "slack", "sl:"),
    (Provider::Amazon, "amazon", "az:"),
    (Provider::OAuth2, "oauth2", "oa2:"),
    (Provider::OAuth2Second, "oauth2second", "oa2second:"),
    (Provider::OAuth2Third, "oauth2third", "oa2third:"),
    (Provider::Ldap, "ldap", "ldap:"),
    (Provider::Passwordless, "passwordless", ""),
    (Provider::Password, "password", ""),
];

impl Provider {
    /// The provider called `name`, in any case.
    pub fn from_name(name: &str) -> Option<Self> {
        PROVIDERS.iter().find(|(_, n, _)| n.eq_ignore_ascii_case(name)).map(|(p, _, _)| *p)
    }

    fn entry(self) -> &'static (Provider, &'static str, &'static str) {
        // Every variant has an entry: the lookup cannot miss.
        PROVIDERS.iter().find(|(p, _, _)| *p == self).unwrap_or(&PROVIDERS[0])
    }

    /// The provider's name, as clients send it and as `idp` records it.
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// The prefix of its identifiers (empty for `password` and `passwordless`).
    pub fn prefix(self) -> &'static str {
        self.entry().2
    }

    /// The identifier of the provider's user `id`: prefix and id.
    pub fn identifier(self, id: &str) -> String {
        format!("{}{id}", self.prefix())
    }
}

/// Who a provider says the client is.
#[derive(Clone)]
pub struct Identity {
    /// The provider that vouched.
    pub provider: Provider,
    /// The identifier with the provider's prefix.
    pub identifier: String,
    /// Email, if the provider gave one.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Picture URL.
    pub picture: Option<String>,
    /// For `password`: the password, which the sign-in checks against the
    /// stored hash (or hashes for a new user).
    password: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("provider", &self.provider)
            .field("identifier", &self.identifier)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// An identity from `provider` for its user `id` (the prefix is added).
    pub fn new(provider: Provider, id: &str) -> Self {
        Identity {
            provider,
            identifier: provider.identifier(id),
            email: None,
            name: None,
            picture: None,
            password: None,
        }
    }

    /// The same identity with an email (kept lower case).
    pub fn with_email(mut self, email: &str) -> Self {
        self.email = Some(email.to_lowercase());
        self
    }

    /// The same identity with a display name.
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }
}

/// A future that may be boxed behind a `dyn` provider.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Turns a provider token into an identity. Implement it for social providers.
pub trait IdentityProvider: Send + Sync {
    /// Which provider this is.
    fn provider(&self) -> Provider;

    /// Check `token` for `app` at `now`.
    ///
    /// # Errors
    /// [`Error::SignIn`] with [`SignInFailure::MalformedToken`] or
    /// [`SignInFailure::Refused`]; anything else for failures of the provider.
    fn authenticate<'a>(
        &'a self,
        app: &'a AppRecord,
        token: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Identity, Error>>;
}

/// The least length of a new password.
pub const MIN_PASSWORD_LEN: usize = 8;

/// `password`: email and password. The sign-in checks the password against
/// the user's bcrypt hash, or hashes it for a new user.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordProvider;

/// The bcrypt cost of new password hashes, as Para's.
pub const DEFAULT_BCRYPT_COST: u32 = 12;

impl IdentityProvider for PasswordProvider {
    fn provider(&self) -> Provider {
        Provider::Password
    }

    fn authenticate<'a>(
        &'a self,
        _app: &'a AppRecord,
        token: &'a str,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<Identity, Error>> {
        Box::pin(std::future::ready(parse_password_token(token)))
    }
}

/// `<email>:<name>:<password>` or `<email>::<password>`; the password may hold `:`.
fn parse_password_token(token: &str) -> Result<Identity, Error> {
    let malformed = Error::SignIn(SignInFailure::MalformedToken);
    let mut parts = token.splitn(3, ':');
    let (Some(email), Some(name), Some(password)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed);
    };
    if !email.contains('@') || password.is_empty() {
        return Err(malformed);
    }
    let mut identity = Identity::new(Provider::Password, &email.to_lowercase()).with_email(email);
    if !name.is_empty() {
        identity = identity.with_name(name);
    }
    identity.password = Some(Zeroizing::new(password.to_owned()));
    Ok(identity)
}

/// `passwordless`: a short-lived HMAC JWT signed with the app's passwordless key.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordlessProvider;

#[derive(Deserialize)]
struct PasswordlessClaims {
    identifier: Option<String>,
    email: Option<String>,
    name: Option<String>,
    picture: Option<String>,
    exp: Option<f64>,
    nbf: Option<f64>,
}

impl IdentityProvider for PasswordlessProvider {
    fn provider(&self) -> Provider {
        Provider::Passwordless
    }

    fn authenticate<'a>(
        &'a self,
        app: &'a AppRecord,
        token: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Identity, Error>> {
        Box::pin(std::future::ready(passwordless_identity(
            app.passwordless_key.as_ref(),
            token,
            now,
        )))
    }
}

fn passwordless_identity(
    key: Option<&SecretKey>,
    token: &str,
    now: Timestamp,
) -> Result<Identity, Error> {
    let refused = || Error::SignIn(SignInFailure::Refused);
    let key = key.ok_or_else(refused)?;
    let parsed =
        jws::parse(token.as_bytes()).map_err(|_| Error::SignIn(SignInFailure::MalformedToken))?;
    parsed.verify(key.expose_secret().as_bytes()).map_err(|_| refused())?;
    let claims: PasswordlessClaims = crate::jwt::jws::from_object(&parsed.payload)
        .ok_or(Error::SignIn(SignInFailure::MalformedToken))?;

    let now = now.unix() as f64;
    let live = claims.exp.is_some_and(|exp| now < exp) && claims.nbf.is_none_or(|nbf| now >= nbf);
    let identifier = claims.identifier.filter(|i| !i.is_empty()).ok_or_else(refused)?;
    if !live {
        return Err(refused());
    }
    Ok(Identity {
        provider: Provider::Passwordless,
        identifier,
        email: claims.email.map(|e| e.to_lowercase()),
        name: claims.name,
        picture: claims.picture,
        password: None,
    })
}

/// The providers an [`Auth`] knows, by provider.
#[derive(Default)]
pub struct Registry {
    providers: HashMap<Provider, Arc<dyn IdentityProvider>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.providers.keys()).finish()
    }
}

impl Registry {
    /// `password` and `passwordless`.
    pub fn with_builtins() -> Self {
        Registry::default().with(PasswordProvider).with(PasswordlessProvider)
    }

    /// The same registry with `provider` added (replacing one for the same provider).
    pub fn with(mut self, provider: impl IdentityProvider + 'static) -> Self {
        self.providers.insert(provider.provider(), Arc::new(provider));
        self
    }

    /// The provider registered for `provider`.
    pub fn get(&self, provider: Provider) -> Option<&Arc<dyn IdentityProvider>> {
        self.providers.get(&provider)
    }
}

/// The outcome of a sign-in, as Para answers `POST /jwt_auth`.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The new user token.
    pub jwt: IssuedToken,
    /// The user, as stored after the sign-in.
    pub user: Arc<UserRecord>,
    /// Whether the user was created by this sign-in.
    pub created: bool,
}

/// Sign-in and sign-up over the stores and a registry of providers.
#[derive(Debug)]
pub struct Auth<A, U> {
    tokens: Tokens<A, U>,
    registry: Registry,
    password_cost: u32,
}

impl<A: AppStore, U: UserStore> Auth<A, U> {
    /// Sign-in with the built-in providers.
    pub fn new(tokens: Tokens<A, U>) -> Self {
        Self::with_registry(tokens, Registry::with_builtins())
    }

    /// Sign-in with these providers; new passwords are hashed with bcrypt cost 12.
    pub fn with_registry(tokens: Tokens<A, U>, registry: Registry) -> Self {
        Auth { tokens, registry, password_cost: DEFAULT_BCRYPT_COST }
    }

    /// Hash new passwords with this bcrypt cost (4 to 31; lower only in tests).
    pub fn with_password_cost(mut self, cost: u32) -> Self {
        self.password_cost = cost.clamp(4, 31);
        self
    }

    /// The token service.
    pub fn tokens(&self) -> &Tokens<A, U> {
        &self.tokens
    }

    /// Sign in (or up) to app `appid` with `provider` and its `token`.
    ///
    /// Finds the user by identifier (by email too when the app links by
    /// email), checks the password of a `password` identity, links the
    /// identity to a user found by email, creates the user when there is
    /// none, and issues a user token. Nothing is written before the
    /// password is checked.
    ///
    /// # Errors
    /// `unknown_key` for an unknown app, `inactive` for a switched-off app,
    /// `forbidden` when a read-only app would have to sign a user up or link
    /// an identity, `sign_in_failed` with the [`SignInFailure`], `store`
    /// when a store fails.
    pub async fn sign_in(
        &self,
        appid: &str,
        provider: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<SignIn, Error> {
        let app_id = AppId::new(appid).map_err(|_| Error::UnknownKey)?;
        let app = self.tokens.apps().app(app_id.as_str()).await.map_err(Error::Store)?;
        let app = app.ok_or(Error::UnknownKey)?;
        if !app.active {
            return Err(Error::Inactive("app"));
        }
        let provider = Provider::from_name(provider)
            .and_then(|p| self.registry.get(p))
            .ok_or(Error::SignIn(SignInFailure::UnknownProvider))?;
        let identity = provider.authenticate(&app, token, now).await?;

        let mut found = self.find_user(&app, &app_id, &identity).await?;
        let mut added = None;
        if found.is_none() {
            refuse_writes_to(&app)?;
            added = self.sign_up(&app, &app_id, &identity).await?;
            if added.is_none() {
                // Another sign-up for this identity (or its email), at the
                // same time, added the user: this is a sign-in to it.
                found = self.find_user(&app, &app_id, &identity).await?;
            }
        }
        let created = added.is_some();
        let user = match (added, found) {
            (Some(user), _) => user,
            (None, Some(Found::ByIdentifier(user))) => self.check_password(user, &identity)?,
            (None, Some(Found::ByEmail(user))) => {
                let user = self.check_password(user, &identity)?;
                refuse_writes_to(&app)?;
                self.link(&user, &identity).await?
            }
            (None, None) => {
                return Err(Error::Store(StoreError::new("a user added at the same time is gone")));
            }
        };
        if !user.active {
            return Err(Error::SignIn(SignInFailure::Unverified));
        }
        let (jwt, user) =
            self.tokens.issue_for(&app, user, Some(identity.provider.name()), now).await?;
        Ok(SignIn { jwt, user, created })
    }

    async fn find_user(
        &self,
        app: &AppRecord,
        app_id: &AppId,
        identity: &Identity,
    ) -> Result<Option<Found>, Error> {
        let users = self.tokens.users();
        if let Some(user) =
            users.user_by_identifier(app_id, &identity.identifier).await.map_err(Error::Store)?
        {
            return Ok(Some(Found::ByIdentifier(user)));
        }
        let Some(email) = identity.email.as_deref().filter(|_| app.link_by_email) else {
            return Ok(None);
        };
        let user = users.user_by_email(app_id, email).await.map_err(Error::Store)?;
        Ok(user.map(Found::ByEmail))
    }

    /// Link the new identity to the user with the same email (opted in by
    /// the app): the identifier is added, and nothing else of the record
    /// read earlier is written back.
    async fn link(&self, user: &UserRecord, identity: &Identity) -> Result<Arc<UserRecord>, Error> {
        let users = self.tokens.users();
        let linked = users.add_identifier(&user.app_id, &user.id, &identity.identifier).await;
        let gone = || Error::Store(StoreError::new("the user to link is gone"));
        linked.map_err(Error::Store)?.ok_or_else(gone)
    }

    fn check_password(
        &self,
        user: Arc<UserRecord>,
        identity: &Identity,
    ) -> Result<Arc<UserRecord>, Error> {
        let Some(password) = &identity.password else { return Ok(user) };
        let wrong = Error::SignIn(SignInFailure::WrongPassword);
        let hash = user.password_hash.as_ref().ok_or(wrong)?;
        match bcrypt::verify(password.as_bytes(), hash.expose_secret()) {
            Ok(true) => Ok(user),
            _ => Err(Error::SignIn(SignInFailure::WrongPassword)),
        }
    }

    async fn sign_up(
        &self,
        app: &AppRecord,
        app_id: &AppId,
        identity: &Identity,
    ) -> Result<Option<Arc<UserRecord>>, Error> {
        let mut user = UserRecord::new(app_id.clone(), new_user_id()?)?
            .with_identifier(identity.identifier.clone());
        user.email = identity.email.clone();
        user.name = identity.name.clone();
        user.picture = identity.picture.clone();
        if let Some(password) = &identity.password {
            if password.chars().count() < MIN_PASSWORD_LEN {
                return Err(Error::SignIn(SignInFailure::WeakPassword));
            }
            let hash = bcrypt::hash_with_result(password.as_bytes(), self.password_cost)
                .map_err(|_| Error::Config("bcrypt failed"))?
                .format_for_version(bcrypt::Version::TwoB);
            user.password_hash = Some(SecretKey::new(hash)?);
            user.active = app.allow_unverified_emails;
        }
        self.tokens.users().add(user, app.link_by_email).await.map_err(Error::Store)
    }
}

/// A new user id: a random positive 63-bit number, in decimal, as Para's ids look.
fn new_user_id() -> Result<String, Error> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| Error::Config("no randomness available"))?;
    Ok((u64::from_le_bytes(bytes) >> 1).to_string())
}
/// A user found for an identity, and how.
enum Found {
    /// Through the identity itself.
    ByIdentifier(Arc<UserRecord>),
    /// Through its email, to be linked once the identity is checked.
    ByEmail(Arc<UserRecord>),
}

/// Refuse a write in a read-only app (signing a user up, linking an identity).
fn refuse_writes_to(app: &AppRecord) -> Result<(), Error> {
    match app.read_only {
        true => Err(Error::Forbidden("the app is read-only")),
        false => Ok(()),
    }
}

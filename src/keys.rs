//! App ids, access keys and secret keys.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::Error;

/// The prefix of every app id.
pub const APP_PREFIX: &str = "app:";

/// A Para app id: `app:` followed by a normalised identifier.
///
/// Normalisation follows Para: an optional `app:` prefix (any case) is dropped,
/// non-ASCII characters are dropped, every run of punctuation, symbols and
/// white space becomes one `-` (none at either end), and the rest is lower
/// case. So `MyApp` and `app:MyApp` are `app:myapp`; `my_app`, `my.app` and
/// `my app` are `app:my-app`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(Box<str>);

impl AppId {
    /// Normalise `id` into an app id.
    ///
    /// # Errors
    /// [`Error::Config`] when nothing is left after normalisation.
    pub fn new(id: &str) -> Result<Self, Error> {
        let rest = strip_prefix_ignore_case(id, APP_PREFIX).unwrap_or(id);
        let mut out = String::with_capacity(APP_PREFIX.len() + rest.len());
        out.push_str(APP_PREFIX);

        let mut pending_dash = false;
        for c in rest.chars().filter(char::is_ascii) {
            if c.is_ascii_alphanumeric() {
                if pending_dash && out.len() > APP_PREFIX.len() {
                    out.push('-');
                }
                pending_dash = false;
                out.push(c.to_ascii_lowercase());
            } else {
                pending_dash = true;
            }
        }

        if out.len() == APP_PREFIX.len() {
            return Err(Error::Config("app id is empty after normalisation"));
        }
        Ok(AppId(out.into_boxed_str()))
    }

    /// The whole id, `app:...`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier after `app:`.
    pub fn identifier(&self) -> &str {
        &self.0[APP_PREFIX.len()..]
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

impl fmt::Debug for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppId({})", self.0)
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AppId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        AppId::new(s)
    }
}

/// The id half of a key pair: what a SigV4 credential names.
///
/// Any non-empty text without control characters: the AWS suites use
/// `AKIDEXAMPLE`; Para's keys are app ids such as `app:myapp`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessKey(Box<str>);

impl AccessKey {
    /// Check and wrap an access key id.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty id or one holding control characters or
    /// white space.
    pub fn new(id: &str) -> Result<Self, Error> {
        if id.is_empty() || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Error::Config("access key is empty or holds white space"));
        }
        Ok(AccessKey(id.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The app this key names, when it has Para's form `app:<id>`.
    pub fn app_id(&self) -> Option<AppId> {
        strip_prefix_ignore_case(&self.0, APP_PREFIX)?;
        AppId::new(&self.0).ok()
    }
}

impl From<AppId> for AccessKey {
    fn from(id: AppId) -> Self {
        AccessKey(id.0)
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessKey({})", self.0)
    }
}

impl fmt::Display for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret key, used as its text (UTF-8 bytes), never decoded.
///
/// It is wiped from memory when dropped, prints as `SecretKey(..)`, and
/// compares in constant time (the length is not hidden).
#[derive(Clone)]
pub struct SecretKey(Zeroizing<String>);

impl SecretKey {
    /// Wrap a secret.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty secret.
    pub fn new(secret: impl Into<String>) -> Result<Self, Error> {
        let secret = Zeroizing::new(secret.into());
        if secret.is_empty() {
            return Err(Error::Config("secret key is empty"));
        }
        Ok(SecretKey(secret))
    }

    /// The secret's text. Handle with care: never log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// `len` bytes from the operating system's CSPRNG, as padded standard Base64.
    ///
    /// # Errors
    /// [`Error::Config`] when the operating system gives no randomness.
    pub fn random(len: usize) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        getrandom::fill(&mut bytes).map_err(|_| Error::Config("no randomness available"))?;
        SecretKey::new(STANDARD.encode(&*bytes))
    }

    /// A new app secret as Para makes them: 40 random bytes, 56 Base64 characters.
    ///
    /// # Errors
    /// [`Error::Config`] when the operating system gives no randomness.
    pub fn generate() -> Result<Self, Error> {
        Self::random(APP_SECRET_BYTES)
    }
}

/// A new app's keys: its access key (the app id) and a fresh secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// `app:<id>`.
    pub access_key: AccessKey,
    /// 40 random bytes, 56 Base64 characters; shown once, then only stored.
    pub secret_key: SecretKey,
}

/// Keys for the app `id` (normalised as Para does): the access key is the app
/// id, the secret 40 bytes from the operating system's CSPRNG.
///
/// # Errors
/// [`Error::Config`] for an id that normalises to nothing, or when the
/// operating system gives no randomness.
pub fn generate(id: &str) -> Result<KeyPair, Error> {
    let app_id = AppId::new(id)?;
    Ok(KeyPair { access_key: AccessKey::from(app_id), secret_key: SecretKey::generate()? })
}

/// Random bytes in an app secret.
pub const APP_SECRET_BYTES: usize = 40;
/// Random bytes in a user's token secret.
pub const TOKEN_SECRET_BYTES: usize = 32;

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_normalise_as_para_does() {
        let cases = [
            ("MyApp", "app:myapp"),
            ("app:MyApp", "app:myapp"),
            ("APP:MyApp", "app:myapp"),
            ("my_app", "app:my-app"),
            ("my.app", "app:my-app"),
            ("my app", "app:my-app"),
            ("  my -- app!! ", "app:my-app"),
            ("café-bar", "app:caf-bar"),
        ];
        for (input, want) in cases {
            assert_eq!(AppId::new(input).unwrap().as_str(), want, "input {input:?}");
        }
        assert!(AppId::new("app:").is_err());
        assert!(AppId::new("!!!").is_err());
        assert!(AppId::new("ééé").is_err());
    }

    #[test]
    fn access_keys_name_apps() {
        let key = AccessKey::new("app:MyApp").unwrap();
        assert_eq!(key.app_id().unwrap().as_str(), "app:myapp");
        assert!(AccessKey::new("AKIDEXAMPLE").unwrap().app_id().is_none());
        assert!(AccessKey::new("").is_err());
        assert!(AccessKey::new("a b").is_err());
    }

    #[test]
    fn generated_secrets_have_paras_shape() {
        let a = SecretKey::generate().unwrap();
        let b = SecretKey::generate().unwrap();
        assert_eq!(a.expose_secret().len(), 56);
        assert!(a.expose_secret().ends_with("=="));
        assert_ne!(a, b);
        let token = SecretKey::random(TOKEN_SECRET_BYTES).unwrap();
        assert_eq!(token.expose_secret().len(), 44);
    }

    #[test]
    fn generated_pairs_name_the_app() {
        let pair = generate("My App").unwrap();
        assert_eq!(pair.access_key.as_str(), "app:my-app");
        assert_eq!(pair.secret_key.expose_secret().len(), 56);
        assert!(generate("!!").is_err());
        assert!(format!("{pair:?}").contains("SecretKey(..)"));
    }

    #[test]
    fn an_empty_secret_is_refused() {
        assert!(matches!(SecretKey::new(""), Err(Error::Config(_))));
        assert!(SecretKey::new(" ").is_ok(), "any other text is a secret");
    }

    #[test]
    fn secrets_do_not_print() {
        let secret = SecretKey::new("hunter2hunter2").unwrap();
        assert_eq!(format!("{secret:?}"), "SecretKey(..)");
        assert_eq!(secret, SecretKey::new("hunter2hunter2").unwrap());
        assert_ne!(secret, SecretKey::new("hunter2hunter3").unwrap());
    }
}

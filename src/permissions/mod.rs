//! Para's resource permissions: who may do what to which path, and why.
//!
//! An app stores its permissions as `{subject: {resource: [tokens]}}`, where
//! a subject is a user id or `*` (every user, and where the guest mark `?`
//! lives). [`ResourcePermissions`] reads and writes that JSON and compiles it
//! into an index, so a decision costs a few hash lookups per path segment,
//! whatever the number of subjects and keys. [`ResourcePermissions::decide`]
//! answers with the entry that decided ([`Decision`]).
//!
//! The rules are Para's (`App.isAllowedTo`), with its bugs repaired: prefixes
//! match whole segments (`post` does not cover `posts/1`), an exact key wins
//! over a prefix, the answer never depends on the order of keys (every prefix
//! grant counts first, then the longest `X/*` key decides), paths keep their
//! `.` and `+`, and an unknown token is an error naming it.

mod index;
mod methods;

use std::collections::BTreeMap;

pub use index::{Decision, Kind, Who};
pub use methods::{MethodSet, Token};

/// The subject that stands for every user (and carries the guest mark).
pub const EVERYONE: &str = "*";

/// An app's resource permissions: the map as stored, and its compiled index.
#[derive(Debug, Clone, Default)]
pub struct ResourcePermissions {
    map: BTreeMap<String, BTreeMap<String, MethodSet>>,
    index: index::Index,
}

impl PartialEq for ResourcePermissions {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl Eq for ResourcePermissions {}

/// Why a permission map could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PermissionError {
    /// The JSON is not `{subject: {resource: [tokens]}}`.
    #[error("permissions are not {{subject: {{resource: [tokens]}}}}: {0}")]
    Shape(String),
    /// A token that is neither a method, `*`, `?`, `OWN`, `-` nor a known alias.
    #[error("unknown permission token `{0}`")]
    UnknownToken(String),
}

impl ResourcePermissions {
    /// No permissions at all: every user and guest is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Read Para's JSON map.
    ///
    /// # Errors
    /// [`PermissionError`] for another shape or an unknown token (named).
    pub fn from_json(json: &str) -> Result<Self, PermissionError> {
        let raw: BTreeMap<String, BTreeMap<String, Vec<String>>> =
            serde_json::from_str(json).map_err(|e| PermissionError::Shape(e.to_string()))?;
        let mut permissions = Self::default();
        for (subject, resources) in raw {
            for (resource, tokens) in resources {
                let set = MethodSet::parse(tokens.iter().map(String::as_str))?;
                permissions.insert(&subject, &resource, set);
            }
        }
        permissions.rebuild();
        Ok(permissions)
    }

    /// Para's JSON map, tokens in their canonical names.
    pub fn to_json(&self) -> String {
        let raw: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = self
            .map
            .iter()
            .map(|(s, r)| (s.as_str(), r.iter().map(|(k, m)| (k.as_str(), m.names())).collect()))
            .collect();
        // A map of strings to lists of strings always serialises: cannot fail.
        serde_json::to_string(&raw).unwrap_or_default()
    }

    /// Many grants at once, compiled once: `(subject, resource, tokens)`.
    ///
    /// # Errors
    /// [`PermissionError::UnknownToken`] naming the first unknown token.
    pub fn from_grants<'t, T>(
        grants: impl IntoIterator<Item = (&'t str, &'t str, T)>,
    ) -> Result<Self, PermissionError>
    where
        T: IntoIterator<Item = &'t str>,
    {
        let mut permissions = Self::default();
        for (subject, resource, tokens) in grants {
            permissions.insert(subject, resource, MethodSet::parse(tokens)?);
        }
        permissions.rebuild();
        Ok(permissions)
    }

    /// Add `tokens` for `subject` on `resource` (merged with what is there).
    ///
    /// # Errors
    /// [`PermissionError::UnknownToken`] naming the first unknown token.
    pub fn grant<'t>(
        &mut self,
        subject: &str,
        resource: &str,
        tokens: impl IntoIterator<Item = &'t str>,
    ) -> Result<(), PermissionError> {
        let set = MethodSet::parse(tokens)?;
        self.insert(subject, resource, set);
        self.rebuild();
        Ok(())
    }

    /// Remove `subject`'s entry for `resource`, or all its entries with `None`.
    pub fn revoke(&mut self, subject: &str, resource: Option<&str>) {
        match resource {
            Some(resource) => {
                if let Some(entries) = self.map.get_mut(subject) {
                    entries.remove(normalize_resource(resource));
                    if entries.is_empty() {
                        self.map.remove(subject);
                    }
                }
            }
            None => {
                self.map.remove(subject);
            }
        }
        self.rebuild();
    }

    /// The tokens `subject` has on `resource`.
    pub fn get(&self, subject: &str, resource: &str) -> Option<MethodSet> {
        self.map.get(subject)?.get(normalize_resource(resource)).copied()
    }

    /// The entries of `subject`, or of everyone.
    pub fn subject(&self, subject: &str) -> Option<&BTreeMap<String, MethodSet>> {
        self.map.get(subject)
    }

    /// Whether the map has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// May `who` use `method` on `path` (relative to the API root, decoded,
    /// e.g. `posts/123`)? The answer names the entry that decided.
    pub fn decide<'s>(&'s self, who: Who<'_>, method: &str, path: &str) -> Decision<'s> {
        self.index.decide(who, method, normalize_resource(path))
    }

    /// The same as [`ResourcePermissions::decide`], named for what it tells:
    /// the [`Decision`] carries the subject, key and kind of the entry that decided.
    pub fn explain<'s>(&'s self, who: Who<'_>, method: &str, path: &str) -> Decision<'s> {
        self.decide(who, method, path)
    }

    fn insert(&mut self, subject: &str, resource: &str, mut set: MethodSet) {
        if subject != EVERYONE {
            // The guest mark is kept only under `*`.
            set = set.without_guest();
        }
        let entries = self.map.entry(subject.to_owned()).or_default();
        let slot = entries.entry(normalize_resource(resource).to_owned()).or_default();
        *slot = slot.union(set);
    }

    fn rebuild(&mut self) {
        self.index = index::Index::compile(&self.map);
    }
}

/// A resource path without leading or trailing `/`.
fn normalize_resource(resource: &str) -> &str {
    resource.trim_matches('/')
}

/// What Para's `OWN` needs to know of an object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectRef<'a> {
    /// The object's id.
    pub id: &'a str,
    /// The id of whoever created it.
    pub creator_id: Option<&'a str>,
    /// The id of its parent.
    pub parent_id: Option<&'a str>,
}

/// Para's `OWN` rule: may `user_id` read or change `object`?
///
/// Yes when the user created it (the creator id is the user id or starts with
/// `<user id>:`), when the object is the user, or when its parent is the user.
pub fn can_modify(user_id: &str, object: ObjectRef<'_>) -> bool {
    if user_id.is_empty() {
        return false;
    }
    let created = object.creator_id.is_some_and(|c| {
        c == user_id || c.strip_prefix(user_id).is_some_and(|rest| rest.starts_with(':'))
    });
    created || object.id == user_id || object.parent_id == Some(user_id)
}

#[cfg(test)]
mod tests;

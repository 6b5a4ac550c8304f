//! The compiled permission map and the decision procedure.
//!
//! Each subject's keys are folded into one hash map from a path to its entry:
//! the methods of the exact key `X` and of the wildcard key `X/*` together,
//! so one lookup per path prefix answers both. The `*` key is kept apart.
//! The hash is FxHash: the keys come from the app's own configuration, and
//! lookups of hostile paths cannot degrade a table they do not fill.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::{EVERYONE, MethodSet};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who<'a> {
    /// A user, by id.
    User(&'a str),
    /// A user in the `admins` group: allowed everything.
    Admin(&'a str),
    /// A public caller with only the app's access key.
    Guest,
}

/// Which rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The key equal to the path.
    Exact,
    /// A key that is a whole-segment prefix of the path.
    Prefix,
    /// The longest `X/*` key covering the path.
    Wildcard,
    /// The subject's `*` key.
    Any,
    /// The guest mark `?` (present, or missing for a guest).
    Guest,
    /// A user's implicit access to a path ending in its own id.
    SelfPath,
    /// An admin: allowed everything.
    Admin,
    /// Nothing grants it (or the map is empty).
    DefaultDeny,
}

/// The answer, with the entry that gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'i> {
    /// Allowed or not.
    pub allowed: bool,
    /// Which rule decided.
    pub kind: Kind,
    /// The subject whose entry decided (`*` for everyone), if an entry did.
    pub subject: Option<&'i str>,
    /// The key that decided (`*` for the any-key, `X/*` written as `X/*`), if any.
    pub key: Option<&'i str>,
    /// The deciding entry says `OWN`: only the caller's own objects.
    pub own_only: bool,
}

impl Decision<'_> {
    fn deny(kind: Kind) -> Self {
        Decision { allowed: false, kind, subject: None, key: None, own_only: false }
    }
}

/// One path's entry: the exact key's methods and the `path/*` key's.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    exact: Option<MethodSet>,
    wildcard: Option<MethodSet>,
}

#[derive(Debug, Clone, Default)]
struct Subject {
    entries: FxHashMap<Box<str>, Entry>,
    /// The `*` key.
    any: Option<MethodSet>,
    /// Each `X/*` key as written, for explanations.
    wildcard_keys: FxHashMap<Box<str>, Box<str>>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    subjects: FxHashMap<Box<str>, Subject>,
    empty: bool,
}

/// What is wanted: a method, or the guest mark.
#[derive(Clone, Copy)]
enum Want {
    Method(u16),
    GuestMark,
}

impl Want {
    fn granted_by(self, set: MethodSet) -> bool {
        match self {
            Want::Method(bit) => set.has_bits(bit) || set.contains(super::Token::Any),
            Want::GuestMark => set.allows_guests(),
        }
    }
}

/// The outcome of `grants` and the rule behind it.
type Grant<'i> = (bool, Kind, Option<&'i str>, MethodSet);

impl Index {
    pub(super) fn compile(map: &BTreeMap<String, BTreeMap<String, MethodSet>>) -> Self {
        let mut subjects = FxHashMap::default();
        for (name, resources) in map {
            let mut subject = Subject::default();
            for (resource, &set) in resources {
                if resource == "*" {
                    subject.any = Some(set);
                } else if let Some(base) = resource.strip_suffix("/*") {
                    subject.entries.entry(base.into()).or_insert_with(Entry::default).wildcard =
                        Some(set);
                    subject.wildcard_keys.insert(base.into(), resource.as_str().into());
                } else {
                    subject
                        .entries
                        .entry(resource.as_str().into())
                        .or_insert_with(Entry::default)
                        .exact = Some(set);
                }
            }
            subjects.insert(name.as_str().into(), subject);
        }
        let empty = map.values().all(BTreeMap::is_empty);
        Index { subjects, empty }
    }

    pub(super) fn decide<'i>(&'i self, who: Who<'_>, method: &str, path: &str) -> Decision<'i> {
        let user_id = match who {
            Who::Admin(_) => return Decision { allowed: true, ..Decision::deny(Kind::Admin) },
            Who::User(id) => Some(id),
            Who::Guest => None,
        };
        if self.empty {
            return Decision::deny(Kind::DefaultDeny);
        }
        let want = Want::Method(MethodSet::bits_for_method(method));
        let user = user_id.and_then(|id| self.subjects.get_key_value(id));
        let everyone = self.subjects.get_key_value(EVERYONE);

        if let Some(denied) = user.and_then(|user| explicit_denial(user, path, want)) {
            return denied;
        }
        let decision = match user {
            Some(user) => allowed(user, everyone, path, want),
            None => everyone_allows(everyone, path, want),
        };
        match user_id {
            None if decision.allowed => guest_mark(everyone, path).unwrap_or(decision),
            Some(id) if !decision.allowed => self_path(id, path, method).unwrap_or(decision),
            _ => decision,
        }
    }
}

type Named<'i> = (&'i Box<str>, &'i Subject);

/// `grants(S, P, M)` of Para, for one subject.
fn grants<'i>(subject: &'i Subject, path: &str, want: Want) -> Grant<'i> {
    // 1. The exact key decides.
    if let Some((key, entry)) = subject.entries.get_key_value(path) {
        if let Some(set) = entry.exact {
            return (want.granted_by(set), Kind::Exact, Some(key), set);
        }
    }
    // 2. Any whole-segment prefix key that grants; meanwhile, remember the
    //    longest `X/*` key that covers the path.
    let mut wildcard: Option<(&'i Box<str>, MethodSet)> = None;
    for (slash, _) in path.match_indices('/') {
        let Some((key, entry)) = subject.entries.get_key_value(&path[..slash]) else { continue };
        if let Some(set) = entry.exact.filter(|set| want.granted_by(*set)) {
            return (true, Kind::Prefix, Some(key), set);
        }
        if let Some(set) = entry.wildcard {
            wildcard = Some((key, set));
        }
    }
    // 3. The longest `X/*` key decides.
    if let Some((base, set)) = wildcard {
        let key = subject.wildcard_keys.get(base).map(|k| &**k);
        return (want.granted_by(set), Kind::Wildcard, key, set);
    }
    // 4. The subject's `*` key decides.
    match subject.any {
        Some(set) => (want.granted_by(set), Kind::Any, Some("*"), set),
        None => (false, Kind::DefaultDeny, None, MethodSet::default()),
    }
}

fn decision<'i>(subject: &'i str, (allowed, kind, key, set): Grant<'i>) -> Decision<'i> {
    let subject = (kind != Kind::DefaultDeny).then_some(subject);
    Decision { allowed, kind, subject, key, own_only: set.own_only() }
}

/// A user's own entry for the exact path, or its `*` key, refusing `want`.
fn explicit_denial<'i>(user: Named<'i>, path: &str, want: Want) -> Option<Decision<'i>> {
    let (name, subject) = user;
    if subject.entries.get(path).is_some_and(|e| e.exact.is_some()) {
        let grant = grants(subject, path, want);
        return (!grant.0).then(|| decision(name, grant));
    }
    let any = subject.any?;
    (!want.granted_by(any)).then(|| decision(name, (false, Kind::Any, Some("*"), any)))
}

/// Step 3 for a user: its own exact entry alone, or the first of its own
/// grants, its `*` key, everyone's grants and everyone's `*` key.
fn allowed<'i>(
    user: Named<'i>,
    everyone: Option<Named<'i>>,
    path: &str,
    want: Want,
) -> Decision<'i> {
    let (name, subject) = user;
    let own = grants(subject, path, want);
    if own.0 || own.1 == Kind::Exact {
        return decision(name, own);
    }
    if let Some(any) = subject.any.filter(|set| want.granted_by(*set)) {
        return decision(name, (true, Kind::Any, Some("*"), any));
    }
    everyone_allows(everyone, path, want)
}

/// Everyone's grants for the path, then everyone's `*` key.
fn everyone_allows<'i>(everyone: Option<Named<'i>>, path: &str, want: Want) -> Decision<'i> {
    let Some((name, subject)) = everyone else { return Decision::deny(Kind::DefaultDeny) };
    let grant = grants(subject, path, want);
    if grant.0 {
        return decision(name, grant);
    }
    match subject.any.filter(|set| want.granted_by(*set)) {
        Some(any) => decision(name, (true, Kind::Any, Some("*"), any)),
        None => Decision::deny(Kind::DefaultDeny),
    }
}

/// A guest also needs the mark `?` on the path, from everyone's entries.
/// `None` when the mark is there (the earlier decision stands).
fn guest_mark<'i>(everyone: Option<Named<'i>>, path: &str) -> Option<Decision<'i>> {
    let marked = everyone.map(|(name, subject)| (name, grants(subject, path, Want::GuestMark)));
    match marked {
        Some((_, grant)) if grant.0 => None,
        Some((name, grant)) => {
            Some(Decision { allowed: false, kind: Kind::Guest, ..decision(name, grant) })
        }
        None => Some(Decision::deny(Kind::Guest)),
    }
}

/// A user may `GET`, `PATCH` and `DELETE` a path that ends in its own id.
fn self_path<'i>(user_id: &str, path: &str, method: &str) -> Option<Decision<'i>> {
    let (parent, last) = path.rsplit_once('/')?;
    let own = !parent.is_empty() && last == user_id;
    (own && matches!(method, "GET" | "PATCH" | "DELETE"))
        .then(|| Decision { allowed: true, ..Decision::deny(Kind::SelfPath) })
}

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
    /// `OWN` holds: only the caller's own objects. It holds when the entry
    /// that decided says `OWN`, or when the user's or everyone's entry for
    /// the path, or for its type (the first segment), does, whichever entry
    /// granted, as in Para.
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
    /// Every key, and every whole-segment prefix of a key (as an empty
    /// entry), so a walk down a path can stop at the first prefix absent.
    entries: FxHashMap<Box<str>, Entry>,
    /// The longest key: no longer prefix of a path can match.
    max_key_len: usize,
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
        let subjects =
            map.iter().map(|(name, keys)| (name.as_str().into(), Subject::compile(keys))).collect();
        let empty = map.values().all(BTreeMap::is_empty);
        Index { subjects, empty }
    }

    pub(super) fn decide<'i>(&'i self, who: Who<'_>, method: &str, path: &str) -> Decision<'i> {
        let user_id = match who {
            Who::Admin(_) => return Decision { allowed: true, ..Decision::deny(Kind::Admin) },
            // A blank id names no user: the caller is a guest, as in Para.
            Who::User(id) if id.trim().is_empty() => None,
            Who::User(id) => Some(id),
            Who::Guest => None,
        };
        if self.empty {
            return Decision::deny(Kind::DefaultDeny);
        }
        let want = Want::Method(MethodSet::bits_for_method(method));
        let user = user_id.and_then(|id| self.subjects.get_key_value(id));
        let everyone = self.subjects.get_key_value(EVERYONE);

        // A user's own exact key, or a `*` key refusing, decides at once.
        let settled = user.and_then(|user| own_exact_or_denial(user, path, want));
        let decision = settled.unwrap_or_else(|| {
            let decision = match user {
                Some(user) => allowed(user, everyone, path, want),
                None => everyone_allows(everyone, path, want),
            };
            match user_id {
                None if decision.allowed => guest_mark(everyone, path).unwrap_or(decision),
                Some(id) if !decision.allowed => self_path(id, path, method).unwrap_or(decision),
                _ => decision,
            }
        });
        let own_marked = [user, everyone].into_iter().flatten().any(|(_, s)| s.marks_own(path));
        Decision { own_only: decision.own_only || (decision.allowed && own_marked), ..decision }
    }
}

impl Subject {
    fn compile(keys: &BTreeMap<String, MethodSet>) -> Self {
        let mut subject = Subject::default();
        for (resource, &set) in keys {
            if resource == "*" {
                subject.any = Some(set);
                continue;
            }
            let (base, wildcard) = match resource.strip_suffix("/*") {
                Some(base) => (base, true),
                None => (resource.as_str(), false),
            };
            let entry = subject.entries.entry(base.into()).or_default();
            if wildcard {
                entry.wildcard = Some(set);
                subject.wildcard_keys.insert(base.into(), resource.as_str().into());
            } else {
                entry.exact = Some(set);
            }
            subject.max_key_len = subject.max_key_len.max(base.len());
            for (slash, _) in base.match_indices('/') {
                subject.entries.entry(base[..slash].into()).or_default();
            }
        }
        subject
    }

    /// The exact key equal to `path`, if any: a path ending in a `*`
    /// segment is the key `X/*` as written.
    fn exact<'i>(&'i self, path: &str) -> Option<(&'i str, MethodSet)> {
        if let Some(base) = path.strip_suffix("/*") {
            return self.written_wildcard(base);
        }
        if path.len() > self.max_key_len {
            return None;
        }
        let (key, entry) = self.entries.get_key_value(path)?;
        entry.exact.map(|set| (&**key, set))
    }

    /// The key `base/*`, as written, and its methods.
    fn written_wildcard<'i>(&'i self, base: &str) -> Option<(&'i str, MethodSet)> {
        let set = self.entries.get(base)?.wildcard?;
        Some((self.wildcard_keys.get(base).map_or("*", |key| &**key), set))
    }

    /// Whether the key equal to `path`, or to its first segment, says `OWN`.
    fn marks_own(&self, path: &str) -> bool {
        let first = path.split('/').next().unwrap_or_default();
        [path, first].into_iter().any(|key| self.exact(key).is_some_and(|(_, set)| set.own_only()))
    }
}

type Named<'i> = (&'i Box<str>, &'i Subject);

/// `grants(S, P, M)` of Para, for one subject.
fn grants<'i>(subject: &'i Subject, path: &str, want: Want) -> Grant<'i> {
    // 1. The exact key decides.
    if let Some((key, set)) = subject.exact(path) {
        return (want.granted_by(set), Kind::Exact, Some(key), set);
    }
    walk(subject, path, want)
}

/// Steps 2 to 4 of `grants`, for a path with no exact key.
fn walk<'i>(subject: &'i Subject, path: &str, want: Want) -> Grant<'i> {
    // 2. Any whole-segment prefix key that grants; meanwhile, remember the
    //    longest `X/*` key that covers the path. Every prefix of every key is
    //    in the map, so the walk ends at the first prefix that is not: no
    //    longer one can be a key. It never goes past the longest key either,
    //    so a long path costs no more than a short one.
    let mut wildcard: Option<(&'i Box<str>, MethodSet)> = None;
    for (slash, _) in path.match_indices('/') {
        // A path with a `*` segment has the key `X/*` as a prefix, as written.
        let prefix = &path[..slash];
        let written = prefix.strip_suffix("/*").and_then(|base| subject.written_wildcard(base));
        if let Some((key, set)) = written.filter(|(_, set)| want.granted_by(*set)) {
            return (true, Kind::Prefix, Some(key), set);
        }
        if slash > subject.max_key_len {
            break;
        }
        let Some((key, entry)) = subject.entries.get_key_value(prefix) else {
            // Past a `*` segment the walk goes on: `X/*` is stored as `X`'s.
            if written.is_some() {
                continue;
            }
            break;
        };
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

/// A user's own exact key decides either way (steps 2 and 3 of Para agree
/// on it); otherwise its `*` key refusing `want` is an explicit denial.
fn own_exact_or_denial<'i>(user: Named<'i>, path: &str, want: Want) -> Option<Decision<'i>> {
    let (name, subject) = user;
    if let Some((key, set)) = subject.exact(path) {
        return Some(decision(name, (want.granted_by(set), Kind::Exact, Some(key), set)));
    }
    let any = subject.any?;
    (!want.granted_by(any)).then(|| decision(name, (false, Kind::Any, Some("*"), any)))
}

/// Step 3 for a user without an exact key: the first of its own grants, its
/// `*` key, everyone's grants and everyone's `*` key.
fn allowed<'i>(
    user: Named<'i>,
    everyone: Option<Named<'i>>,
    path: &str,
    want: Want,
) -> Decision<'i> {
    let (name, subject) = user;
    let own = walk(subject, path, want);
    if own.0 {
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

/// A user may `GET`, `PATCH` and `DELETE` a path that ends in `/` and its
/// own id (`users/u1`; an id with a `/` in it, too, as in Para).
fn self_path<'i>(user_id: &str, path: &str, method: &str) -> Option<Decision<'i>> {
    let parent = path.strip_suffix(user_id)?.strip_suffix('/')?;
    let own = !parent.is_empty();
    (own && matches!(method, "GET" | "PATCH" | "DELETE"))
        .then(|| Decision { allowed: true, ..Decision::deny(Kind::SelfPath) })
}

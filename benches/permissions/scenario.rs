//! The permission map every permission benchmark decides on.
//!
//! Shared by `benches/permissions.rs` and `bench-peers/benches/peers.rs`, so
//! our index and the other engines see the same grants and the same queries.
//!
//! User `u<n>` holds ten keys, all granting `GET`: five of its own
//! (`posts/<n>`, `comments/<n>`, `profiles/<n>`, `orders/<n>`,
//! `invoices/<n>`), two shared with other users (`teams/<n % 100>`,
//! `projects/<n % 1000>`), the prefix key `docs`, and two wildcard keys
//! (`files/*`, `photos/<n>/*`). The subject `*` holds [`EVERYONE_KEYS`].
//! The queries come from the user in the middle of the range, so an engine
//! that scans its rules in order does half the work for a hit.

use std::fmt::Write as _;

/// The method every grant allows and every query asks for.
pub(crate) const METHOD: &str = "GET";

/// The subject that stands for every user.
pub(crate) const EVERYONE: &str = "*";

/// The keys of the `*` subject.
pub(crate) const EVERYONE_KEYS: [&str; 4] = ["public", "blog/*", "status", "help/*"];

/// The user id of subject number `n`.
pub(crate) fn user_id(n: usize) -> String {
    format!("u{n}")
}

/// The ten keys of user number `n`.
pub(crate) fn user_keys(n: usize) -> [String; 10] {
    [
        format!("posts/{n}"),
        format!("comments/{n}"),
        format!("profiles/{n}"),
        format!("orders/{n}"),
        format!("invoices/{n}"),
        format!("teams/{}", n % 100),
        format!("projects/{}", n % 1000),
        "docs".to_owned(),
        "files/*".to_owned(),
        format!("photos/{n}/*"),
    ]
}

/// Each subject with its keys: `users` users, then the `*` subject.
pub(crate) fn subjects(users: usize) -> impl Iterator<Item = (String, Vec<String>)> {
    let own = (0..users).map(|n| (user_id(n), user_keys(n).to_vec()));
    let everyone = EVERYONE_KEYS.map(str::to_owned).to_vec();
    own.chain(std::iter::once((EVERYONE.to_owned(), everyone)))
}

/// The map in Para's JSON form, `{subject: {key: ["GET"]}}`.
pub(crate) fn json(users: usize) -> String {
    let mut out = String::with_capacity(users * 260 + 100);
    out.push('{');
    for (i, (subject, keys)) in subjects(users).enumerate() {
        out.push_str(if i == 0 { "" } else { "," });
        // Writing to a `String` cannot fail.
        let _ = write!(out, "\"{subject}\":{{");
        for (j, key) in keys.iter().enumerate() {
            out.push_str(if j == 0 { "" } else { "," });
            let _ = write!(out, "\"{key}\":[\"{METHOD}\"]");
        }
        out.push('}');
    }
    out.push('}');
    out
}

/// One decision to time: who asks for which path, and the expected answer.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// `exact`, `child` or `miss`.
    pub(crate) name: &'static str,
    /// The user asking.
    pub(crate) user: String,
    /// The path asked for, relative to the API root.
    pub(crate) path: String,
    /// Whether the map allows it.
    pub(crate) allowed: bool,
}

/// The three queries on a map of `users` users, all from the middle user:
/// its own exact key, a path under the prefix key `docs`, and a path of the
/// same depth that nothing grants.
pub(crate) fn queries(users: usize) -> [Query; 3] {
    let n = users / 2;
    let query = |name, path: String, allowed| Query { name, user: user_id(n), path, allowed };
    [
        query("exact", format!("posts/{n}"), true),
        query("child", "docs/7/pages/2".to_owned(), true),
        query("miss", "billing/7/cards/2".to_owned(), false),
    ]
}

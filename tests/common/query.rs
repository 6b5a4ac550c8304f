//! Generated queries, shared by the property tests and the aws-sigv4 oracle.

use proptest::prelude::*;

/// A `key=value` pair, or a bare key, of pieces that `text` makes.
fn pair<S: Strategy<Value = String>>(text: fn() -> S) -> impl Strategy<Value = String> {
    (text(), prop::option::of(text())).prop_map(|(k, v)| match v {
        Some(v) => format!("{k}={v}"),
        None => k,
    })
}

/// A query of such pairs: mostly a few; one in five has more than twelve,
/// the most the canonical writer sorts without the heap.
pub(crate) fn query<S: Strategy<Value = String>>(text: fn() -> S) -> impl Strategy<Value = String> {
    let pairs = prop_oneof![
        4 => prop::collection::vec(pair(text), 0..5),
        1 => prop::collection::vec(pair(text), 13..30),
    ];
    pairs.prop_map(|pairs| pairs.join("&"))
}

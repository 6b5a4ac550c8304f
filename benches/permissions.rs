//! What one permission decision costs, and whether it grows with the map.
//!
//! Every case decides `GET` for one user on the map of `permissions/scenario.rs`:
//! each user holds ten keys (exact, shared, the prefix key `docs`, wildcards)
//! and the subject `*` a few more. The size in an id counts users (subjects),
//! so `1k`, `10k` and `1m` are 1,000, 10,000 and 1,000,000 users, that is
//! 10 thousand, 100 thousand and 10 million grants.
//!
//! - `permissions/exact/10k`: the user's own exact key, `posts/<n>`.
//! - `permissions/child/10k`: `docs/7/pages/2`, under the user's prefix key `docs`.
//! - `permissions/miss/10k`: `billing/7/cards/2`, which nothing grants: denied.
//! - `permissions/exact/1k`, `permissions/exact/1m`: the exact case on the
//!   smaller and the larger map.
//!
//! Each map is built once from its JSON, outside the timing and only when one
//! of its ids runs; the build time goes to stderr. Setup checks each answer.
//!
//! Run: `cargo bench --bench permissions`.

#![expect(missing_docs, reason = "criterion_group! defines an undocumented `pub fn`")]
#![expect(clippy::expect_used, reason = "a failed setup is a broken benchmark: it panics")]

#[path = "permissions/scenario.rs"]
mod scenario;

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::Instant;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};

use para_auth::permissions::{Decision, ResourcePermissions, Who};
use scenario::{METHOD, Query};

/// A map of `users` users, labelled for the ids, built on first use.
struct Map {
    label: &'static str,
    users: usize,
    built: OnceCell<ResourcePermissions>,
}

impl Map {
    fn new(label: &'static str, users: usize) -> Self {
        Map { label, users, built: OnceCell::new() }
    }

    fn permissions(&self) -> &ResourcePermissions {
        self.built.get_or_init(|| build(self.users))
    }
}

/// The scenario map of `users` users, read from its JSON; prints the times.
#[expect(clippy::disallowed_methods, reason = "a benchmark reports its own setup time")]
fn build(users: usize) -> ResourcePermissions {
    let start = Instant::now();
    let json = scenario::json(users);
    let written = start.elapsed();
    let permissions = ResourcePermissions::from_json(&json).expect("the scenario map parses");
    let read = start.elapsed() - written;
    let mib = json.len() >> 20;
    eprintln!("{users} users: {mib} MiB of JSON written in {written:.2?}, read in {read:.2?}");
    permissions
}

/// The timed call: one decision, inputs hidden from the optimiser.
fn decide<'p>(permissions: &'p ResourcePermissions, query: &Query) -> Decision<'p> {
    let who = Who::User(black_box(query.user.as_str()));
    permissions.decide(who, black_box(METHOD), black_box(query.path.as_str()))
}

/// Check `query` gets its expected answer on `map`, then time it.
fn bench_query(group: &mut BenchmarkGroup<'_, WallTime>, map: &Map, query: &Query) {
    let id = format!("{}/{}", query.name, map.label);
    group.bench_function(id, |b| {
        let permissions = map.permissions();
        let allowed = decide(permissions, query).allowed;
        assert_eq!(allowed, query.allowed, "{} on {} users", query.name, map.users);
        b.iter(|| decide(permissions, query));
    });
}

fn bench_permissions(c: &mut Criterion) {
    let mut group = c.benchmark_group("permissions");
    let map = Map::new("10k", 10_000);
    for query in scenario::queries(map.users) {
        bench_query(&mut group, &map, &query);
    }

    // The exact case again, on the small and the large map; each is dropped
    // before the next is built.
    for map in [Map::new("1k", 1_000), Map::new("1m", 1_000_000)] {
        let [exact, ..] = scenario::queries(map.users);
        bench_query(&mut group, &map, &exact);
    }
    group.finish();
}

criterion_group!(benches, bench_permissions);
criterion_main!(benches);

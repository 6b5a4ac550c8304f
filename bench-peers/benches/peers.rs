//! Permission decisions of para-auth beside Cedar and Casbin, on one map.
//!
//! All three engines hold the scenario of `../benches/permissions/scenario.rs`
//! at 10,000 users (ten keys each, all `GET`, plus the subject `*`) and answer
//! the same three queries from the middle user: its exact key `posts/<n>`, the
//! path `docs/7/pages/2` under its prefix key `docs`, and `billing/7/cards/2`,
//! which nothing grants. Setup checks that Cedar and Casbin answer each query
//! as para-auth does, and para-auth as the scenario says.
//!
//! - `permissions/para-auth/{exact,child,miss}`: [`ResourcePermissions::decide`]
//!   on the map read from its JSON.
//! - `permissions/cedar/{exact,child,miss}`: cedar-policy, two static policies
//!   over entity data (each user's keys are attributes; each path lists its
//!   prefixes as ancestors). The request is built inside the timing.
//! - `permissions/casbin/{exact,child,miss}`: casbin with a `keyMatch` model
//!   and the grants as policy rows in memory; it scans the rows in order, so
//!   its cases take ten flat samples only.
//!
//! Run: `cargo bench` in this directory.

#![expect(missing_docs, reason = "criterion_group! defines an undocumented `pub fn`")]

#[path = "../../benches/permissions/scenario.rs"]
mod scenario;

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};

use para_auth::permissions::{ResourcePermissions, Who};
use scenario::{METHOD, Query};

/// The number of users in the map.
const USERS: usize = 10_000;

/// The paths queried, for engines that must know a resource beforehand.
fn query_paths(queries: &[Query]) -> Vec<&str> {
    queries.iter().map(|query| query.path.as_str()).collect()
}

fn para_auth(users: usize) -> ResourcePermissions {
    let json = scenario::json(users);
    ResourcePermissions::from_json(&json).expect("the scenario map parses")
}

/// Check `decide` answers as `expected` does for each query, then time it.
fn bench_engine(
    group: &mut BenchmarkGroup<'_, WallTime>,
    engine: &str,
    queries: &[Query],
    expected: impl Fn(&Query) -> bool,
    decide: impl Fn(&str, &str) -> bool,
) {
    for query in queries {
        let allowed = decide(&query.user, &query.path);
        assert_eq!(allowed, expected(query), "{engine} on the {} query", query.name);
    }
    for query in queries {
        group.bench_function(format!("{engine}/{}", query.name), |b| {
            b.iter(|| decide(black_box(&query.user), black_box(&query.path)))
        });
    }
}

fn bench_peers(c: &mut Criterion) {
    let queries = scenario::queries(USERS);
    let ours = para_auth(USERS);
    let our_answer =
        |query: &Query| ours.decide(Who::User(&query.user), METHOD, &query.path).allowed;
    let cedar = cedar_engine::Engine::new(USERS, &query_paths(&queries));
    let casbin = casbin_engine::Engine::new(USERS);

    let mut group = c.benchmark_group("permissions");
    bench_engine(
        &mut group,
        "para-auth",
        &queries,
        |query| query.allowed,
        |user, path| ours.decide(Who::User(user), black_box(METHOD), path).allowed,
    );
    bench_engine(&mut group, "cedar", &queries, our_answer, |user, path| cedar.allows(user, path));

    // A decision scans up to 170 thousand rows: ten flat samples are plenty.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    bench_engine(&mut group, "casbin", &queries, our_answer, |user, path| {
        casbin.allows(user, path)
    });
    group.finish();
}

/// The scenario as Cedar entities under two static policies.
mod cedar_engine {
    use std::collections::{BTreeSet, HashMap, HashSet};

    use cedar_policy::{Authorizer, Context, Decision, Entities, Entity, EntityId};
    use cedar_policy::{EntityTypeName, EntityUid, PolicySet, Request, RestrictedExpression};

    use crate::scenario::{self, METHOD};

    /// A plain key covers itself and every path under it (`in` is reflexive);
    /// a `Below` entity stands for the paths strictly under a wildcard key.
    const POLICIES: &str = r#"
        @id("own keys")
        permit (principal, action == Action::"GET", resource)
        when { resource in principal.keys || resource in principal.below };

        @id("everyone's keys")
        permit (principal, action == Action::"GET", resource)
        when { resource in User::"*".keys || resource in User::"*".below };
    "#;

    pub(crate) struct Engine {
        authorizer: Authorizer,
        policies: PolicySet,
        entities: Entities,
        user: EntityTypeName,
        path: EntityTypeName,
        action: EntityUid,
    }

    fn type_name(name: &str) -> EntityTypeName {
        name.parse().expect("a valid entity type name")
    }

    fn uid(type_name: &EntityTypeName, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(type_name.clone(), EntityId::new(id))
    }

    /// The proper prefixes of `path`, whole segments only.
    fn prefixes(path: &str) -> impl Iterator<Item = &str> {
        path.match_indices('/').map(move |(slash, _)| &path[..slash])
    }

    /// A path whose ancestors are its prefixes, each as a `Path` and a `Below`.
    fn path_entity(path: &str) -> Entity {
        let (path_type, below) = (type_name("Path"), type_name("Below"));
        let parents = prefixes(path).flat_map(|p| [uid(&path_type, p), uid(&below, p)]);
        Entity::new_no_attrs(uid(&path_type, path), parents.collect())
    }

    /// A subject: `keys` holds its plain keys, `below` its wildcard bases.
    fn subject_entity(subject: &str, keys: &[String]) -> Entity {
        let set = |type_name: EntityTypeName, ids: Vec<&str>| {
            let uids = ids.into_iter().map(|id| uid(&type_name, id));
            RestrictedExpression::new_set(uids.map(RestrictedExpression::new_entity_uid))
        };
        let (wildcards, plain): (Vec<&str>, Vec<&str>) =
            keys.iter().map(String::as_str).partition(|key| key.ends_with("/*"));
        let bases = wildcards.into_iter().filter_map(|key| key.strip_suffix("/*")).collect();
        let attrs = HashMap::from([
            ("keys".to_owned(), set(type_name("Path"), plain)),
            ("below".to_owned(), set(type_name("Below"), bases)),
        ]);
        let uid = uid(&type_name("User"), subject);
        Entity::new(uid, attrs, HashSet::new()).expect("the attributes evaluate")
    }

    /// Every subject, every plain key as a path, and the `extra` paths.
    fn entities(users: usize, extra: &[&str]) -> Entities {
        let mut paths: BTreeSet<String> = extra.iter().map(|p| (*p).to_owned()).collect();
        let mut all = Vec::new();
        for (subject, keys) in scenario::subjects(users) {
            all.push(subject_entity(&subject, &keys));
            paths.extend(keys.into_iter().filter(|key| !key.ends_with("/*")));
        }
        all.extend(paths.iter().map(|path| path_entity(path)));
        Entities::from_entities(all, None).expect("the entities are consistent")
    }

    impl Engine {
        /// The scenario of `users` users; `paths` are the resources queried.
        pub(crate) fn new(users: usize, paths: &[&str]) -> Self {
            let policies: PolicySet = POLICIES.parse().expect("the policies parse");
            Engine {
                authorizer: Authorizer::new(),
                policies,
                entities: entities(users, paths),
                user: type_name("User"),
                path: type_name("Path"),
                action: uid(&type_name("Action"), METHOD),
            }
        }

        /// One authorisation request, built from the strings a caller has.
        pub(crate) fn allows(&self, user: &str, path: &str) -> bool {
            let (principal, resource) = (uid(&self.user, user), uid(&self.path, path));
            let action = self.action.clone();
            let request = Request::new(principal, action, resource, Context::empty(), None)
                .expect("no schema to break");
            let response = self.authorizer.is_authorized(&request, &self.policies, &self.entities);
            response.decision() == Decision::Allow
        }
    }
}

/// The scenario as Casbin policy rows under a `keyMatch` model.
mod casbin_engine {
    use casbin::prelude::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};

    use crate::scenario::{self, METHOD};

    /// Rows of `*` hold for every user; `keyMatch` reads `X/*` as "under X".
    const MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (r.sub == p.sub || p.sub == "*") && keyMatch(r.obj, p.obj) && r.act == p.act
"#;

    pub(crate) struct Engine {
        enforcer: Enforcer,
    }

    /// A plain key `X` is two rows, `X` and `X/*`; a wildcard key is one.
    fn rows(users: usize) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for (subject, keys) in scenario::subjects(users) {
            for key in keys {
                let row = |object: String| vec![subject.clone(), object, METHOD.to_owned()];
                if !key.ends_with("/*") {
                    rows.push(row(format!("{key}/*")));
                }
                rows.push(row(key));
            }
        }
        rows
    }

    async fn enforcer(users: usize) -> ::casbin::Result<Enforcer> {
        let model = DefaultModel::from_str(MODEL).await?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await?;
        enforcer.add_policies(rows(users)).await?;
        Ok(enforcer)
    }

    impl Engine {
        /// The scenario of `users` users, loaded on a throwaway runtime.
        pub(crate) fn new(users: usize) -> Self {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread runtime starts");
            let enforcer = runtime.block_on(enforcer(users)).expect("casbin takes the model");
            Engine { enforcer }
        }

        /// `Enforcer::enforce` is synchronous: no runtime in the timing.
        pub(crate) fn allows(&self, user: &str, path: &str) -> bool {
            self.enforcer.enforce((user, path, METHOD)).expect("the matcher evaluates")
        }
    }
}

criterion_group!(benches, bench_peers);
criterion_main!(benches);

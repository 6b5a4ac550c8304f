//! What the PostgreSQL app store costs a SigV4 verification.
//!
//! - `postgres/verify-warm/memory`: [`Verifier::verify`] of one signed `GET`
//!   over the in-memory store: the baseline.
//! - `postgres/verify-warm/postgres`: the same over [`PgAppStore`] with the
//!   record cached (no query): the target is within 10% of the baseline.
//! - `postgres/lookup-cold/postgres`: one [`AppStore::app`] that must ask the
//!   database (every entry marked stale first, as after a notification or
//!   when the time-to-live ran out): a pooled round trip and a row.
//!
//! The PostgreSQL cases need `PARA_TEST_DATABASE_URL` (as the tests); without
//! it they are skipped, loudly. Run:
//! `PARA_TEST_DATABASE_URL=postgres://... cargo bench --bench postgres --features postgres`.

#![expect(missing_docs, reason = "criterion_group! defines an undocumented `pub fn`")]
#![expect(clippy::expect_used, reason = "a failed setup is a broken benchmark: it panics")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use para_auth::postgres::{PgAppStore, PgConfig, PgStore};
use para_auth::sigv4::{Signer, Verifier};
use para_auth::store::{AppRecord, AppStore, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, SecretKey, Timestamp, block_on_ready};

const APP_ID: &str = "app:bench-postgres";
const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";
const NOW: Timestamp = Timestamp::from_unix(1_704_164_645);

fn record() -> AppRecord {
    let key = AccessKey::new(APP_ID).expect("the access key parses");
    AppRecord::new(key, SecretKey::new(SECRET).expect("the secret parses"))
}

fn request() -> OwnedRequest {
    let key = AccessKey::new(APP_ID).expect("the access key parses");
    let signer = Signer::new(key, SecretKey::new(SECRET).expect("the secret parses"));
    let request = OwnedRequest::new("GET", "/v1/posts/123?limit=10")
        .header("Host", "localhost:8080")
        .header("Content-Type", "application/json");
    let mut signed = request.clone();
    for (name, value) in signer.sign(&request, NOW).expect("signs").headers() {
        signed = signed.header(name, value);
    }
    signed
}

/// The PostgreSQL store with the bench app in it, or `None` without a database.
fn postgres(runtime: &tokio::runtime::Runtime) -> Option<PgStore> {
    let url = std::env::var("PARA_TEST_DATABASE_URL").ok().filter(|url| !url.is_empty());
    let Some(url) = url else {
        eprintln!("\n!!!!!!!! SKIPPED: no PostgreSQL: set PARA_TEST_DATABASE_URL !!!!!!!!\n");
        return None;
    };
    // The warm case stays warm for the whole measurement: no time-to-live
    // runs out and no notification (of the insert below, or a reconnect)
    // marks the record stale under it; a stale one would be read again, on
    // the runtime.
    let config =
        PgConfig::default().with_cache_ttl(Duration::from_secs(3600)).with_notifications(false);
    runtime.block_on(async {
        let store = PgStore::connect(&url, config).await.expect("connects");
        store.apps().insert(record()).await.expect("inserts the app");
        Some(store)
    })
}

fn verify_warm(c: &mut Criterion) {
    let request = request();
    let memory = MemoryAppStore::new();
    memory.insert(record());
    let memory = Verifier::new(memory);
    block_on_ready(memory.verify(&request, NOW)).expect("verifies");

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let store = postgres(&runtime);
    let pg: Option<Verifier<PgAppStore>> = store.as_ref().map(|s| Verifier::new(s.apps()));

    let mut group = c.benchmark_group("postgres");
    group.bench_function("verify-warm/memory", |b| {
        b.iter(|| block_on_ready(memory.verify(black_box(&request), NOW)).is_ok())
    });
    if let Some(pg) = &pg {
        runtime.block_on(pg.verify(&request, NOW)).expect("verifies");
        // A warm lookup answers at once: no runtime needed, as for memory.
        group.bench_function("verify-warm/postgres", |b| {
            b.iter(|| block_on_ready(pg.verify(black_box(&request), NOW)).is_ok())
        });
    }
    if let Some(store) = &store {
        let apps = store.apps();
        group.bench_function("lookup-cold/postgres", |b| {
            b.iter(|| {
                store.refresh_all();
                let found = runtime.block_on(apps.app(black_box(APP_ID)));
                found.expect("the database answers").is_some()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, verify_warm);
criterion_main!(benches);

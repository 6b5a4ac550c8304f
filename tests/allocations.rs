//! With a warm key cache, verifying a typical signed GET makes no heap allocation.
//!
//! One test in this file: the counting allocator is global to the process.

#![allow(unsafe_code, reason = "a counting global allocator needs it; the library forbids it")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use para_auth::sigv4::{Signer, Verifier};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::{AccessKey, OwnedRequest, SecretKey, Timestamp, block_on_ready};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn warm_verify_and_permission_decisions_do_not_allocate() {
    let key = AccessKey::new("app:myapp").unwrap();
    let secret =
        SecretKey::new("FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==").unwrap();
    let now = Timestamp::from_unix(1_704_164_645);
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key.clone(), secret.clone()));
    let verifier = Verifier::new(store);

    let request = OwnedRequest::new("GET", "/v1/search/default?q=hello%20world&limit=5&sort=name")
        .header("Host", "localhost:8080")
        .header("User-Agent", "para-client")
        .header("X-Para-Meta", "a   b");
    let mut signed = request.clone();
    for (n, v) in Signer::new(key, secret).sign(&request, now).unwrap().headers() {
        signed = signed.header(n, v);
    }

    block_on_ready(verifier.verify(&signed, now)).unwrap(); // warms the key cache
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let verified = block_on_ready(verifier.verify(&signed, now));
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(verified.is_ok());
    assert_eq!(after - before, 0, "heap allocations during a warm verify");

    // A permission decision allocates nothing either.
    let permissions = para_auth::permissions::ResourcePermissions::from_json(concat!(
        r#"{"*": {"posts": ["GET", "?"]},"#,
        r#" "u1": {"docs": ["GET"], "files/*": ["PUT"], "*": ["*"]}}"#
    ))
    .unwrap();
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for (method, path) in [("GET", "docs/7/pages/2"), ("PUT", "files/a/b"), ("DELETE", "users/u1")]
    {
        std::hint::black_box(permissions.decide(
            para_auth::permissions::Who::User("u1"),
            method,
            path,
        ));
    }
    std::hint::black_box(permissions.decide(para_auth::permissions::Who::Guest, "GET", "posts"));
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst) - before, 0, "heap allocations during decisions");

    // The counter does count: a failing verify with diagnostics allocates its report.
    let store = MemoryAppStore::new();
    let config = para_auth::sigv4::VerifierConfig { diagnostics: true, ..Default::default() };
    store.insert(AppRecord::new(
        AccessKey::new("app:myapp").unwrap(),
        SecretKey::new("other").unwrap(),
    ));
    let wrong = Verifier::with_config(store, config);
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(block_on_ready(wrong.verify(&signed, now)).is_err());
    assert!(ALLOCATIONS.load(Ordering::SeqCst) > before);
}

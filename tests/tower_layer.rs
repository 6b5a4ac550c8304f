//! The tower layer: bodies handed on unchanged, callers in the extensions,
//! refusals answered as Para does, bodies over the limit refused.
#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::future::Ready;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use para_auth::gate::{Allowed, Caller, Gate};
use para_auth::sigv4::Signer;
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::tower::AuthLayer;
use para_auth::users::MemoryUserStore;
use para_auth::{AccessKey, SecretKey, SystemClock, block_on_ready};
use tower_layer::Layer;
use tower_service::Service;

const SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecretFAKEsecret1234==";

/// What the inner service saw.
#[derive(Default)]
struct Seen {
    body: Vec<u8>,
    caller_app: Option<String>,
    authorization_sensitive: Option<bool>,
}

#[derive(Clone)]
struct Inner(Arc<Mutex<Seen>>);

impl Service<Request<Full<Bytes>>> for Inner {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        let mut seen = self.0.lock().unwrap();
        seen.caller_app = request.extensions().get::<Allowed>().map(|a| match a.caller() {
            Caller::App { app, .. } => app.access_key.to_string(),
            other => format!("{other:?}"),
        });
        seen.authorization_sensitive =
            request.headers().get("authorization").map(|v| v.is_sensitive());
        let body = block_on_ready(request.into_body().collect()).unwrap().to_bytes();
        seen.body = body.to_vec();
        std::future::ready(Ok(Response::new(Full::new(Bytes::from_static(b"inner")))))
    }
}

/// A service as the layer makes it, over [`Inner`].
trait Layered:
    Service<Request<Full<Bytes>>, Response = Response<Full<Bytes>>, Error = Infallible>
{
}

impl<T> Layered for T where
    T: Service<Request<Full<Bytes>>, Response = Response<Full<Bytes>>, Error = Infallible>
{
}

fn service(limit: usize) -> (impl Layered, Arc<Mutex<Seen>>) {
    let apps = Arc::new(MemoryAppStore::new());
    let key = AccessKey::new("app:myapp").unwrap();
    apps.insert(AppRecord::new(key, SecretKey::new(SECRET).unwrap()));
    let gate = Arc::new(Gate::new(apps, MemoryUserStore::new()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    (AuthLayer::new(gate).body_limit(limit).layer(Inner(seen.clone())), seen)
}

fn signed_post(body: &'static [u8]) -> Request<Full<Bytes>> {
    let signer = Signer::new(AccessKey::new("app:myapp").unwrap(), SecretKey::new(SECRET).unwrap());
    let mut request = Request::post("http://localhost:8080/v1/notes")
        .header("host", "localhost:8080")
        .body(body.to_vec())
        .unwrap();
    signer.sign_request(&mut request, SystemClock::now()).unwrap();
    request.map(|b| Full::new(Bytes::from(b)))
}

fn answer(response: Response<Full<Bytes>>) -> (StatusCode, String) {
    let status = response.status();
    let body = block_on_ready(response.into_body().collect()).unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[test]
fn allowed_requests_reach_the_service_with_their_caller_and_body() {
    let (mut svc, seen) = service(1024);
    let response = block_on_ready(svc.call(signed_post(b"{\"text\":\"hi\"}"))).unwrap();
    assert_eq!(answer(response), (StatusCode::OK, "inner".to_owned()));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.body, b"{\"text\":\"hi\"}");
    assert_eq!(seen.caller_app.as_deref(), Some("app:myapp"));
    assert_eq!(seen.authorization_sensitive, Some(true));
}

#[test]
fn refusals_answer_as_para_does() {
    let (mut svc, seen) = service(1024);
    let request =
        Request::get("http://localhost:8080/v1/notes").body(Full::new(Bytes::new())).unwrap();
    let (status, body) = answer(block_on_ready(svc.call(request)).unwrap());
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["code"], 401);
    assert_eq!(json["message"], "credentials are required");
    assert!(seen.lock().unwrap().caller_app.is_none(), "the inner service was not called");

    let mut tampered = signed_post(b"{}");
    *tampered.body_mut() = Full::new(Bytes::from_static(b"{\"x\":1}"));
    let (status, body) = answer(block_on_ready(svc.call(tampered)).unwrap());
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("\"code\":401"), "{body}");
}

#[test]
fn bodies_over_the_limit_are_refused() {
    let (mut svc, seen) = service(8);
    let (status, body) = answer(block_on_ready(svc.call(signed_post(b"0123456789"))).unwrap());
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("\"code\":413"), "{body}");
    assert!(seen.lock().unwrap().caller_app.is_none());
}

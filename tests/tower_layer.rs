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

/// A request body that counts its polls and then fails, or, built from
/// bytes, is those bytes.
struct Probe {
    polls: Arc<std::sync::atomic::AtomicUsize>,
    data: Option<Bytes>,
}

impl From<Bytes> for Probe {
    fn from(bytes: Bytes) -> Self {
        Probe { polls: Arc::default(), data: Some(bytes) }
    }
}

impl http_body::Body for Probe {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match self.data.take() {
            Some(bytes) if bytes.is_empty() => Poll::Ready(None),
            Some(bytes) => Poll::Ready(Some(Ok(http_body::Frame::data(bytes)))),
            None => Poll::Ready(Some(Err(std::io::Error::other("the client went away")))),
        }
    }
}

/// An inner service over [`Probe`] bodies that reads nothing.
#[derive(Clone)]
struct Answers;

impl Service<Request<Probe>> for Answers {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<Probe>) -> Self::Future {
        std::future::ready(Ok(Response::new(Full::new(Bytes::from_static(b"inner")))))
    }
}

fn probe_service()
-> impl Service<Request<Probe>, Response = Response<Full<Bytes>>, Error = Infallible> {
    let apps = Arc::new(MemoryAppStore::new());
    let key = AccessKey::new("app:myapp").unwrap();
    let permissions = r#"{"*": {"public": ["GET", "POST", "?"]}}"#;
    let permissions = para_auth::permissions::ResourcePermissions::from_json(permissions).unwrap();
    apps.insert(AppRecord::new(key, SecretKey::new(SECRET).unwrap()).with_permissions(permissions));
    AuthLayer::new(Arc::new(Gate::new(apps, MemoryUserStore::new()))).layer(Answers)
}

#[test]
fn requests_decided_on_their_head_leave_the_body_unread() {
    let mut svc = probe_service();
    let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let failing = || Probe { polls: polls.clone(), data: None };
    let read = || polls.load(std::sync::atomic::Ordering::SeqCst);

    // No credentials: refused, the body not touched.
    let anonymous = Request::post("http://localhost:8080/v1/notes").body(failing()).unwrap();
    let (status, _) = answer(block_on_ready(svc.call(anonymous)).unwrap());
    assert_eq!((status, read()), (StatusCode::UNAUTHORIZED, 0));

    // A guest the permissions allow: handed on, the body still unread.
    let guest = Request::post("http://localhost:8080/v1/public?accessKey=app:myapp")
        .body(failing())
        .unwrap();
    let (status, body) = answer(block_on_ready(svc.call(guest)).unwrap());
    assert_eq!((status, body.as_str(), read()), (StatusCode::OK, "inner", 0));
}

#[test]
fn a_signed_body_that_cannot_be_read_is_a_bad_request() {
    let mut svc = probe_service();
    let signed = signed_post(b"{}");
    let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let request = signed.map(|_| Probe { polls: polls.clone(), data: None });
    let (status, body) = answer(block_on_ready(svc.call(request)).unwrap());
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("the body could not be read"), "{body}");
    assert_eq!(polls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

//! A tower `Layer` that puts the [`Gate`] in front of any service (feature `tower`).
//!
//! For each request it runs [`Gate::check`] at the system clock's time, and
//! either hands the request on (the body unchanged, the [`Allowed`] caller in
//! the extensions, the `Authorization` header marked sensitive) or answers as
//! Para does: a JSON `{"code": N, "message": "..."}` with the gate's status.
//! A SigV4 request's signature covers its body, so that body is read first,
//! up to a limit (413 beyond it, 400 when it cannot be read). Any other
//! request is decided on its head, and its body streams on untouched: a
//! refusal reads none of it. CORS is left to `tower-http`.
//!
//! It works with any request body that can be collected and rebuilt from
//! `Bytes` (axum 0.8's `Body`; with hyper 1 alone, convert
//! `hyper::body::Incoming` first, for instance with `axum::body::Body::new`),
//! and any response body that can be built from `Bytes`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::gate::{Allowed, Gate, signs_body};
use crate::store::AppStore;
use crate::time::SystemClock;
use crate::users::UserStore;

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Authenticates and authorises every request with a [`Gate`].
#[derive(Debug)]
pub struct AuthLayer<A, U> {
    gate: Arc<Gate<A, U>>,
    body_limit: usize,
}

impl<A, U> Clone for AuthLayer<A, U> {
    fn clone(&self) -> Self {
        AuthLayer { gate: self.gate.clone(), body_limit: self.body_limit }
    }
}

impl<A, U> AuthLayer<A, U> {
    /// A layer around `gate`, reading the bodies of SigV4 requests up to 1 MiB.
    pub fn new(gate: Arc<Gate<A, U>>) -> Self {
        AuthLayer { gate, body_limit: DEFAULT_BODY_LIMIT }
    }

    /// The same layer with another body limit, in bytes.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }
}

impl<S, A, U> tower_layer::Layer<S> for AuthLayer<A, U> {
    type Service = AuthService<S, A, U>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { inner, gate: self.gate.clone(), body_limit: self.body_limit }
    }
}

/// The service an [`AuthLayer`] makes.
#[derive(Debug)]
pub struct AuthService<S, A, U> {
    inner: S,
    gate: Arc<Gate<A, U>>,
    body_limit: usize,
}

impl<S: Clone, A, U> Clone for AuthService<S, A, U> {
    fn clone(&self) -> Self {
        AuthService {
            inner: self.inner.clone(),
            gate: self.gate.clone(),
            body_limit: self.body_limit,
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, A, U, B, RB> tower_service::Service<Request<B>> for AuthService<S, A, U>
where
    S: tower_service::Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    A: AppStore + 'static,
    U: UserStore + 'static,
    B: Body + From<Bytes> + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    RB: From<Bytes>,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<RB>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was made ready serves this call; a fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let gate = self.gate.clone();
        let limit = self.body_limit;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            mark_sensitive(&mut parts.headers);
            if !signs_body(&parts) {
                // Tokens and guests: no signature covers the body.
                return match gate.check(&parts, SystemClock::now()).await {
                    Ok(allowed) => {
                        parts.extensions.insert::<Allowed>(allowed);
                        inner.call(Request::from_parts(parts, body)).await
                    }
                    Err(error) => Ok(refusal(error.status(), error.public_message())),
                };
            }
            let bytes = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) if error.is::<LengthLimitError>() => {
                    return Ok(refusal(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large"));
                }
                Err(_) => {
                    return Ok(refusal(StatusCode::BAD_REQUEST, "the body could not be read"));
                }
            };
            let view = Request::from_parts(parts, bytes);
            match gate.check(&view, SystemClock::now()).await {
                Ok(allowed) => {
                    let (mut parts, bytes) = view.into_parts();
                    parts.extensions.insert::<Allowed>(allowed);
                    inner.call(Request::from_parts(parts, B::from(bytes))).await
                }
                Err(error) => Ok(refusal(error.status(), error.public_message())),
            }
        })
    }
}

fn mark_sensitive(headers: &mut http::HeaderMap) {
    if let Some(value) = headers.get_mut(header::AUTHORIZATION) {
        value.set_sensitive(true);
    }
}

/// Para's error answer: `{"code": N, "message": "..."}`.
fn refusal<RB: From<Bytes>>(status: StatusCode, message: &str) -> Response<RB> {
    let body = serde_json::json!({ "code": status.as_u16(), "message": message }).to_string();
    let mut response = Response::new(RB::from(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

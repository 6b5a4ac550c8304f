//! A small Para-style server: the gate in front of an in-memory object API.
//!
//! Run with `cargo run --features tower --example server`. It listens on
//! `PARA_ADDR` (default `127.0.0.1:8080`) with one app whose keys come from
//! `PARA_ACCESS_KEY` and `PARA_SECRET_KEY`, or are generated and printed.
//! Para's clients can talk to it: signed object calls under `/v1`, sign-in at
//! `/jwt_auth`, key rotation at `/v1/_newkeys`, permissions at `/v1/_permissions`.
//!
//! With `PARA_DATABASE_URL` set (and `--features tower,postgres`), apps and
//! users live in PostgreSQL instead of memory: run two copies on two ports
//! against one database, and a key rotated through one is refused by the
//! other within a second. The app from `PARA_ACCESS_KEY` is created there
//! unless it exists already.
//!
//! With `PARA_BARE_ROUTES=1` it also serves `GET /bare/v1/{type}/{id}`: the
//! same read as `GET /v1/{type}/{id}` for the one app, outside the auth
//! layer, so a load test can measure what the layer costs (`scripts/load.sh`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use para_auth::gate::{Allowed, Caller, Gate};
use para_auth::identity::Auth;
use para_auth::jwt::{IssuedToken, Tokens};
use para_auth::permissions::ResourcePermissions;
use para_auth::store::{AppRecord, AppStore, MemoryAppStore, StoreError};
use para_auth::tower::AuthLayer;
use para_auth::users::{MemoryUserStore, UserRecord, UserStore};
use para_auth::{AccessKey, AppId, SecretKey, SystemClock, keys};
use serde_json::{Value, json};

type Apps = Arc<AnyApps>;
type Users = Arc<AnyUsers>;

/// The app store: in memory, or PostgreSQL when `PARA_DATABASE_URL` is set.
enum AnyApps {
    Memory(MemoryAppStore),
    #[cfg(feature = "postgres")]
    Postgres(para_auth::postgres::PgAppStore),
}

/// The user store, likewise.
enum AnyUsers {
    Memory(MemoryUserStore),
    #[cfg(feature = "postgres")]
    Postgres(para_auth::postgres::PgUserStore),
}

type FoundApp = Result<Option<Arc<AppRecord>>, StoreError>;
type FoundUser = Result<Option<Arc<UserRecord>>, StoreError>;

impl AppStore for AnyApps {
    async fn app(&self, access_key: &str) -> FoundApp {
        match self {
            AnyApps::Memory(s) => s.app(access_key).await,
            #[cfg(feature = "postgres")]
            AnyApps::Postgres(s) => s.app(access_key).await,
        }
    }

    async fn update<F>(&self, access_key: &str, change: F) -> FoundApp
    where
        F: FnOnce(&AppRecord) -> AppRecord + Send,
    {
        match self {
            AnyApps::Memory(s) => s.update(access_key, change).await,
            #[cfg(feature = "postgres")]
            AnyApps::Postgres(s) => s.update(access_key, change).await,
        }
    }
}

impl UserStore for AnyUsers {
    async fn user(&self, app: &AppId, id: &str) -> FoundUser {
        match self {
            AnyUsers::Memory(s) => s.user(app, id).await,
            #[cfg(feature = "postgres")]
            AnyUsers::Postgres(s) => s.user(app, id).await,
        }
    }

    async fn user_by_identifier(&self, app: &AppId, identifier: &str) -> FoundUser {
        match self {
            AnyUsers::Memory(s) => s.user_by_identifier(app, identifier).await,
            #[cfg(feature = "postgres")]
            AnyUsers::Postgres(s) => s.user_by_identifier(app, identifier).await,
        }
    }

    async fn user_by_email(&self, app: &AppId, email: &str) -> FoundUser {
        match self {
            AnyUsers::Memory(s) => s.user_by_email(app, email).await,
            #[cfg(feature = "postgres")]
            AnyUsers::Postgres(s) => s.user_by_email(app, email).await,
        }
    }

    async fn put(&self, user: UserRecord) -> Result<Arc<UserRecord>, StoreError> {
        match self {
            AnyUsers::Memory(s) => s.put(user).await,
            #[cfg(feature = "postgres")]
            AnyUsers::Postgres(s) => s.put(user).await,
        }
    }

    async fn add(
        &self,
        user: UserRecord,
        unique_email: bool,
    ) -> Result<Option<Arc<UserRecord>>, StoreError> {
        match self {
            AnyUsers::Memory(s) => s.add(user, unique_email).await,
            #[cfg(feature = "postgres")]
            AnyUsers::Postgres(s) => s.add(user, unique_email).await,
        }
    }

    async fn add_identifier(&self, app: &AppId, id: &str, identifier: &str) -> FoundUser {
        match self {
            AnyUsers::Memory(s) => s.add_identifier(app, id, identifier).await,
            #[cfg(feature = "postgres")]
            AnyUsers::Postgres(s) => s.add_identifier(app, id, identifier).await,
        }
    }

    async fn replace_token_secret(&self, app: &AppId, id: &str, secret: SecretKey) -> FoundUser {
        match self {
            AnyUsers::Memory(s) => s.replace_token_secret(app, id, secret).await,
            #[cfg(feature = "postgres")]
            AnyUsers::Postgres(s) => s.replace_token_secret(app, id, secret).await,
        }
    }
}

/// The stores, with the app in them: PostgreSQL when `PARA_DATABASE_URL` is
/// set (the app is created unless it exists), else memory.
async fn stores(record: AppRecord) -> Result<(Apps, Users), Box<dyn std::error::Error>> {
    if let Ok(url) = std::env::var("PARA_DATABASE_URL") {
        return postgres_stores(&url, record).await;
    }
    let apps = MemoryAppStore::new();
    apps.insert(record);
    Ok((Arc::new(AnyApps::Memory(apps)), Arc::new(AnyUsers::Memory(MemoryUserStore::new()))))
}

#[cfg(feature = "postgres")]
async fn postgres_stores(
    url: &str,
    record: AppRecord,
) -> Result<(Apps, Users), Box<dyn std::error::Error>> {
    use para_auth::postgres::{PgConfig, PgStore};
    let store = PgStore::connect(url, PgConfig::default()).await?;
    let apps = store.apps();
    if apps.app(record.access_key.as_str()).await?.is_none() {
        apps.insert(record).await?;
    }
    println!("apps and users in PostgreSQL");
    Ok((Arc::new(AnyApps::Postgres(apps)), Arc::new(AnyUsers::Postgres(store.users()))))
}

#[cfg(not(feature = "postgres"))]
async fn postgres_stores(
    _url: &str,
    _record: AppRecord,
) -> Result<(Apps, Users), Box<dyn std::error::Error>> {
    Err("PARA_DATABASE_URL needs the example built with --features tower,postgres".into())
}

/// Objects by app, type and id: what the permissions guard.
type Objects = Mutex<BTreeMap<(String, String, String), Value>>;

struct Server {
    auth: Auth<Apps, Users>,
    apps: Apps,
    objects: Objects,
    /// The app whose objects the bare routes read.
    app: AccessKey,
}

type Shared = State<Arc<Server>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("PARA_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let (access_key, secret) = app_keys()?;
    // The default app lets users sign up with an unverified email, so a newcomer can try it.
    let record = AppRecord::new(access_key.clone(), secret).with_unverified_emails(true);
    let (apps, users) = stores(record.with_permissions(default_permissions()?)).await?;

    let gate = Arc::new(Gate::new(apps.clone(), users.clone()));
    let auth = Auth::new(Tokens::new(apps.clone(), users));
    let app = access_key.clone();
    let server = Arc::new(Server { auth, apps, objects: Mutex::default(), app });

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("para-auth example server on http://{addr} for {access_key}");
    axum::serve(listener, router(server, gate)).await?;
    Ok(())
}

/// Keys from the environment, or new ones, printed once.
fn app_keys() -> Result<(AccessKey, SecretKey), para_auth::Error> {
    match (std::env::var("PARA_ACCESS_KEY"), std::env::var("PARA_SECRET_KEY")) {
        (Ok(key), Ok(secret)) => Ok((AccessKey::from(AppId::new(&key)?), SecretKey::new(secret)?)),
        (Ok(_), Err(_)) | (Err(_), Ok(_)) => Err(para_auth::Error::Config(
            "set both PARA_ACCESS_KEY and PARA_SECRET_KEY, or neither",
        )),
        _ => {
            let pair = keys::generate("myapp")?;
            println!("PARA_ACCESS_KEY={}", pair.access_key);
            println!("PARA_SECRET_KEY={}", pair.secret_key.expose_secret());
            Ok((pair.access_key, pair.secret_key))
        }
    }
}

/// Every user may read and write its own objects' types; guests may read `public`.
fn default_permissions() -> Result<ResourcePermissions, para_auth::permissions::PermissionError> {
    ResourcePermissions::from_json(r#"{"*": {"notes": ["GET", "POST"], "public": ["GET", "?"]}}"#)
}

fn router(server: Arc<Server>, gate: Arc<Gate<AnyApps, Users>>) -> Router {
    let api = Router::new()
        .route("/v1/_me", get(me))
        .route("/v1/_newkeys", post(new_keys))
        .route("/v1/_permissions", get(all_permissions))
        .route("/v1/_permissions/{subject}", get(subject_permissions))
        .route("/v1/_permissions/{subject}/{path}", put(grant).delete(revoke))
        .route("/v1/{kind}", post(create).get(list))
        .route("/v1/{kind}/{id}", get(read).put(replace).patch(update).delete(remove))
        .layer(AuthLayer::new(gate));
    let mut router =
        Router::new().route("/jwt_auth", post(sign_in).get(refresh).delete(revoke_all)).merge(api);
    if std::env::var("PARA_BARE_ROUTES").is_ok_and(|v| v == "1") {
        router = router.route("/bare/v1/{kind}/{id}", get(bare_read));
    }
    router.with_state(server)
}

/// A JSON body, whatever its `Content-Type` says: Para reads the raw body, and
/// its Python client sends none.
struct AnyJson<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for AnyJson<T> {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let value = serde_json::from_slice(&bytes)
            .map_err(|_| error(StatusCode::BAD_REQUEST, "the body is not JSON"))?;
        Ok(AnyJson(value))
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"code": status.as_u16(), "message": message}))).into_response()
}

fn refused(e: &para_auth::Error) -> Response {
    error(e.status(), e.public_message())
}

fn app_json(app: &AppRecord) -> Value {
    json!({"id": app.access_key.as_str(), "type": "app", "appid": app.access_key.as_str(),
           "active": app.active, "readOnly": app.read_only})
}

fn user_json(user: &UserRecord) -> Value {
    json!({"id": user.id, "type": "user", "appid": user.app_id.as_str(),
           "identifier": user.identifiers.first(), "email": user.email, "name": user.name,
           "picture": user.picture, "groups": user.groups, "active": user.active})
}

fn jwt_json(jwt: &IssuedToken) -> Value {
    json!({"access_token": jwt.access_token, "expires": jwt.expires, "refresh": jwt.refresh})
}

async fn me(Extension(allowed): Extension<Allowed>) -> Json<Value> {
    Json(match allowed.caller() {
        Caller::User { user, .. } => user_json(user),
        caller => app_json(caller.app()),
    })
}

async fn new_keys(State(s): Shared, Extension(allowed): Extension<Allowed>) -> Response {
    let app = allowed.caller().app();
    let Ok(secret) = SecretKey::generate() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "no randomness");
    };
    let shown = secret.expose_secret().to_owned();
    let now = SystemClock::now();
    match s.apps.update(app.access_key.as_str(), |r| r.rotated(secret, now, 0)).await {
        Ok(Some(_)) => {
            Json(json!({"accessKey": app.access_key.as_str(), "secretKey": shown})).into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, "no such app"),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
    }
}

async fn sign_in(State(s): Shared, AnyJson(body): AnyJson<Value>) -> Response {
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    let now = SystemClock::now();
    match s.auth.sign_in(&field("appid"), &field("provider"), &field("token"), now).await {
        Ok(signed) => Json(json!({"jwt": jwt_json(&signed.jwt), "user": user_json(&signed.user)}))
            .into_response(),
        Err(e) => refused(&e),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

async fn refresh(State(s): Shared, headers: HeaderMap) -> Response {
    let tokens = s.auth.tokens();
    let now = SystemClock::now();
    let Some(token) = bearer(&headers) else { return error(StatusCode::UNAUTHORIZED, "no token") };
    let verified = match tokens.verify(token, None, now).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    match tokens.refresh(&verified, now).await {
        Ok(jwt) => {
            let user = verified.user().map(|u| user_json(u)).unwrap_or(Value::Null);
            Json(json!({"jwt": jwt_json(&jwt), "user": user})).into_response()
        }
        Err(e) => refused(&e),
    }
}

async fn revoke_all(State(s): Shared, headers: HeaderMap) -> Response {
    let tokens = s.auth.tokens();
    let Some(token) = bearer(&headers) else { return error(StatusCode::UNAUTHORIZED, "no token") };
    let verified = match tokens.verify(token, None, SystemClock::now()).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    let Some(user) = verified.user() else {
        return error(StatusCode::FORBIDDEN, "not a user token");
    };
    match tokens.revoke_all(verified.app_id(), &user.id).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => refused(&e),
    }
}

/// The key of an object: the caller's app, the type and the id.
fn object_key(allowed: &Allowed, kind: &str, id: &str) -> (String, String, String) {
    (allowed.caller().app().access_key.as_str().to_owned(), kind.to_owned(), id.to_owned())
}

fn creator(allowed: &Allowed) -> Option<String> {
    match allowed.caller() {
        Caller::User { user, .. } => Some(user.id.clone()),
        _ => None,
    }
}

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap_or_default();
    (u64::from_le_bytes(bytes) >> 1).to_string()
}

async fn create(
    State(s): Shared,
    Extension(a): Extension<Allowed>,
    Path(kind): Path<String>,
    AnyJson(body): AnyJson<Value>,
) -> Response {
    let mut object = if body.is_object() { body } else { json!({}) };
    let id = object["id"].as_str().map_or_else(new_id, str::to_owned);
    object["id"] = json!(id);
    object["type"] = json!(kind);
    object["appid"] = json!(a.caller().app().access_key.as_str());
    object["timestamp"] = json!(SystemClock::now().unix() * 1000);
    if let Some(creator) = creator(&a) {
        object["creatorid"] = json!(creator);
    }
    s.objects
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(object_key(&a, &kind, &id), object.clone());
    Json(object).into_response()
}

async fn list(
    State(s): Shared,
    Extension(a): Extension<Allowed>,
    Path(kind): Path<String>,
) -> Json<Value> {
    let objects = s.objects.lock().unwrap_or_else(|p| p.into_inner());
    let app = a.caller().app().access_key.as_str();
    let items: Vec<&Value> =
        objects.iter().filter(|((p, k, _), _)| p == app && *k == kind).map(|(_, v)| v).collect();
    Json(json!({"items": items, "totalHits": items.len(), "page": 1}))
}

async fn read(
    State(s): Shared,
    Extension(a): Extension<Allowed>,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    read_object(&s, object_key(&a, &kind, &id))
}

/// `read` for the one app, with no caller: the load test's baseline.
async fn bare_read(State(s): Shared, Path((kind, id)): Path<(String, String)>) -> Response {
    read_object(&s, (s.app.as_str().to_owned(), kind, id))
}

fn read_object(s: &Server, key: (String, String, String)) -> Response {
    let objects = s.objects.lock().unwrap_or_else(|p| p.into_inner());
    match objects.get(&key) {
        Some(object) => Json(object.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn replace(
    state: Shared,
    a: Extension<Allowed>,
    path: Path<(String, String)>,
    body: AnyJson<Value>,
) -> Response {
    write(state, a, path, body, false).await
}

async fn update(
    state: Shared,
    a: Extension<Allowed>,
    path: Path<(String, String)>,
    body: AnyJson<Value>,
) -> Response {
    write(state, a, path, body, true).await
}

async fn write(
    State(s): Shared,
    Extension(a): Extension<Allowed>,
    Path((kind, id)): Path<(String, String)>,
    AnyJson(body): AnyJson<Value>,
    merge: bool,
) -> Response {
    let mut objects = s.objects.lock().unwrap_or_else(|p| p.into_inner());
    let key = object_key(&a, &kind, &id);
    if !merge && !objects.contains_key(&key) {
        // PUT creates or overwrites, as Para does.
        let fresh = json!({"id": id, "type": kind, "appid": a.caller().app().access_key.as_str(),
            "timestamp": SystemClock::now().unix() * 1000, "creatorid": creator(&a)});
        objects.insert(key.clone(), fresh);
    }
    let Some(object) = objects.get_mut(&key) else {
        return error(StatusCode::NOT_FOUND, "not found");
    };
    let kept = json!({"id": id, "type": kind, "appid": object["appid"],
        "timestamp": object["timestamp"], "creatorid": object["creatorid"]});
    if !merge {
        *object = json!({});
    }
    for (field, value) in
        body.as_object().into_iter().flatten().chain(kept.as_object().into_iter().flatten())
    {
        object[field] = value.clone();
    }
    object["updated"] = json!(SystemClock::now().unix() * 1000);
    Json(object.clone()).into_response()
}

async fn remove(
    State(s): Shared,
    Extension(a): Extension<Allowed>,
    Path((kind, id)): Path<(String, String)>,
) -> StatusCode {
    s.objects.lock().unwrap_or_else(|p| p.into_inner()).remove(&object_key(&a, &kind, &id));
    StatusCode::OK
}

fn permissions_json(app: &AppRecord, subject: Option<&str>) -> Value {
    let all: Value = serde_json::from_str(&app.permissions.to_json()).unwrap_or_default();
    match subject {
        Some(subject) => all.get(subject).cloned().unwrap_or_else(|| json!({})),
        None => all,
    }
}

async fn all_permissions(Extension(a): Extension<Allowed>) -> Json<Value> {
    Json(permissions_json(a.caller().app(), None))
}

async fn subject_permissions(
    Extension(a): Extension<Allowed>,
    Path(subject): Path<String>,
) -> Json<Value> {
    Json(permissions_json(a.caller().app(), Some(&subject)))
}

/// The resource path of `/v1/_permissions/{subject}/{path}`: URL-safe Base64
/// as Para's clients send it, or standard Base64.
fn decode_path(encoded: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    let trimmed = encoded.trim_end_matches('=');
    let padded = format!("{trimmed}{}", "=".repeat((4 - trimmed.len() % 4) % 4));
    let bytes = URL_SAFE.decode(&padded).or_else(|_| STANDARD.decode(&padded)).ok()?;
    String::from_utf8(bytes).ok()
}

async fn change_permissions(
    s: &Server,
    a: &Allowed,
    subject: &str,
    edit: impl FnOnce(&mut ResourcePermissions) -> Result<(), String> + Send,
) -> Response {
    if !matches!(a.caller(), Caller::App { .. }) {
        return error(StatusCode::FORBIDDEN, "only the app may change permissions");
    }
    let app = a.caller().app();
    // The edit applies to the permissions as they are in the store, within
    // its atomic update: two edits at once both count.
    let mut refused = None;
    let changed = s
        .apps
        .update(app.access_key.as_str(), |r| {
            let mut permissions = (*r.permissions).clone();
            match edit(&mut permissions) {
                Ok(()) => r.clone().with_permissions(permissions),
                Err(message) => {
                    refused = Some(message);
                    r.clone()
                }
            }
        })
        .await;
    if let Some(message) = refused {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    match changed {
        Ok(Some(record)) => {
            let all = serde_json::from_str::<Value>(&record.permissions.to_json());
            let shown = all.unwrap_or_default().get(subject).cloned();
            Json(shown.unwrap_or_else(|| json!({}))).into_response()
        }
        Ok(None) => error(StatusCode::NOT_FOUND, "no such app"),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
    }
}

async fn grant(
    State(s): Shared,
    Extension(a): Extension<Allowed>,
    Path((subject, path)): Path<(String, String)>,
    AnyJson(tokens): AnyJson<Vec<String>>,
) -> Response {
    let Some(resource) = decode_path(&path) else {
        return error(StatusCode::BAD_REQUEST, "path is not Base64");
    };
    change_permissions(&s, &a, &subject, |p| {
        p.grant(&subject, &resource, tokens.iter().map(String::as_str)).map_err(|e| e.to_string())
    })
    .await
}

async fn revoke(
    State(s): Shared,
    Extension(a): Extension<Allowed>,
    Path((subject, path)): Path<(String, String)>,
) -> Response {
    let Some(resource) = decode_path(&path) else {
        return error(StatusCode::BAD_REQUEST, "path is not Base64");
    };
    change_permissions(&s, &a, &subject, |p| {
        p.revoke(&subject, Some(&resource));
        Ok(())
    })
    .await
}

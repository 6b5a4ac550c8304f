//! Runs conformance vectors: JSON Lines files of requests and what a correct
//! implementation must answer (see `tests/vectors/README.md`).
//!
//! Each line is one vector with a `kind`, an `id` and a `source`. A line that
//! cannot be read, or a kind not implemented, is a failure with its own
//! message, never a crash or a skip. The `para-auth check` command and the
//! crate's tests both run vectors through [`run_file`].

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::jwt::{Subject, Tokens};
use crate::keys::{AccessKey, AppId, SecretKey};
use crate::permissions::{ResourcePermissions, Who};
use crate::request::OwnedRequest;
use crate::sigv4::{
    self, CanonicalRules, PathEncoding, SignedRequest, Signer, Verifier, VerifierConfig,
};
use crate::store::{AppRecord, MemoryAppStore};
use crate::time::Timestamp;
use crate::users::{MemoryUserStore, UserRecord};
use crate::{RequestView, block_on_ready};

/// One failed vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The vector's `id`, or `line N` when it has none.
    pub id: String,
    /// What was expected and what we got.
    pub message: String,
}

/// The outcome of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// How many vectors passed.
    pub passed: usize,
    /// The vectors that failed.
    pub failures: Vec<Failure>,
}

impl Report {
    /// The closing line: `N passed, N failed`.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failures.len())
    }

    /// Add another report's results to this one.
    pub fn merge(&mut self, other: Report) {
        self.passed += other.passed;
        self.failures.extend(other.failures);
    }
}

/// Run every line of a JSON Lines text.
pub fn run_file(text: &str) -> Report {
    let mut report = Report::default();
    for (n, line) in text.lines().enumerate() {
        let parsed: Result<Value, _> = serde_json::from_str(line);
        let id = match &parsed {
            Ok(v) => v["id"].as_str().map_or_else(|| format!("line {}", n + 1), str::to_owned),
            Err(_) => format!("line {}", n + 1),
        };
        let outcome = match parsed {
            Ok(vector) => run_vector(&vector),
            Err(e) => Err(format!("not a JSON object: {e}")),
        };
        match outcome {
            Ok(()) => report.passed += 1,
            Err(message) => report.failures.push(Failure { id, message }),
        }
    }
    report
}

/// Run one vector: `Ok` when it passes, else what went wrong.
pub fn run_vector(vector: &Value) -> Result<(), String> {
    match vector["kind"].as_str() {
        Some("sigv4-verify") => sigv4_verify(vector),
        Some("sigv4-sign") => sigv4_sign(vector),
        Some("jwt") => jwt(vector),
        Some("permission") => permission(vector),
        Some(kind) => Err(format!("unknown kind `{kind}`")),
        None => Err("no `kind`".to_owned()),
    }
}

fn text<'v>(v: &'v Value, field: &str) -> Result<&'v str, String> {
    v[field].as_str().ok_or_else(|| format!("`{field}` is missing or not text"))
}

fn request(v: &Value) -> Result<OwnedRequest, String> {
    let r = &v["request"];
    let mut request = OwnedRequest::new(text(r, "method")?, text(r, "target")?);
    for pair in r["headers"].as_array().ok_or("`request.headers` is not a list")? {
        let name = pair[0].as_str().ok_or("a header name is not text")?;
        let value = pair[1].as_str().ok_or("a header value is not text")?;
        request = request.header(name, value);
    }
    let body = r["body_b64"].as_str().unwrap_or("");
    request.body = STANDARD.decode(body).map_err(|e| format!("`body_b64`: {e}"))?;
    Ok(request)
}

fn rules(v: &Value) -> Result<CanonicalRules, String> {
    let options = &v["options"];
    let path_encoding = match options["path"].as_str() {
        None | Some("double") => PathEncoding::Double,
        Some("single") => PathEncoding::Single,
        Some(other) => return Err(format!("unknown path option `{other}`")),
    };
    let normalize_path = options["normalize"].as_bool().unwrap_or(false);
    Ok(CanonicalRules { path_encoding, normalize_path })
}

fn credentials(v: &Value) -> Result<(AccessKey, SecretKey), String> {
    let c = &v["credentials"];
    let key = AccessKey::new(text(c, "access_key")?).map_err(|e| e.to_string())?;
    let secret = SecretKey::new(text(c, "secret_key")?).map_err(|e| e.to_string())?;
    Ok((key, secret))
}

fn now(v: &Value) -> Result<Timestamp, String> {
    v["now"].as_i64().map(Timestamp::from_unix).ok_or_else(|| "`now` is not an integer".to_owned())
}

fn sigv4_verify(v: &Value) -> Result<(), String> {
    // A target in absolute form is read as the request it names, as a
    // server reads the raw text; a request that cannot be is refused.
    let request = request(v)?.into_origin_form();
    let rules = rules(v)?;
    let (key, secret) = credentials(v)?;
    let mut config = VerifierConfig {
        region: text(v, "region")?.to_owned(),
        service: text(v, "service")?.to_owned(),
        rules,
        // The vectors' rule: a declared `UNSIGNED-PAYLOAD` is not a body
        // mismatch, so they are judged as by a verifier that allows it.
        allow_unsigned_payload: true,
        ..VerifierConfig::default()
    };
    if let Some(skew) = v["options"]["skew_s"].as_u64() {
        config.max_skew_secs = u32::try_from(skew).map_err(|_| "`skew_s` is too large")?;
    }

    if let Ok(request) = &request
        && (v.get("canonical_request").is_some() || v.get("string_to_sign").is_some())
    {
        compare_stages(v, request, rules)?;
    }

    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key, secret));
    let verifier = Verifier::with_config(store, config);
    let now = now(v)?;
    let outcome = request.and_then(|request| block_on_ready(verifier.verify(&request, now)));
    let got = match outcome {
        Ok(_) => "valid".to_owned(),
        Err(e) => format!("invalid:{} ({e})", e.reason()),
    };
    let expect = text(v, "expect")?;
    let matches =
        got == expect || got.strip_prefix(expect).is_some_and(|rest| rest.starts_with(" ("));
    if matches { Ok(()) } else { Err(format!("expected {expect}, got {got}")) }
}

/// Check the canonical request and string to sign the verifier builds.
fn compare_stages(v: &Value, request: &OwnedRequest, rules: CanonicalRules) -> Result<(), String> {
    let signed =
        SignedRequest::parse(request).map_err(|e| format!("cannot parse signature: {e}"))?;
    let build = |payload: &str| {
        sigv4::canonical_request(request, signed.signed_headers(), payload, rules, false)
            .map_err(|e| format!("cannot build canonical request: {e}"))
    };
    let mut canonical = build(&payload_hash(request))?;
    // A presigned request is also tried with UNSIGNED-PAYLOAD, as the
    // verifier tries it: either canonical request is one it builds.
    let presigned = matches!(signed.form(), sigv4::Form::Presigned { .. });
    if presigned && v["canonical_request"].as_str() != Some(canonical.as_str()) {
        let unsigned = build(sigv4::UNSIGNED_PAYLOAD)?;
        if v["canonical_request"].as_str() == Some(unsigned.as_str()) {
            canonical = unsigned;
        }
    }
    if let Some(want) = v["canonical_request"].as_str() {
        if want != canonical {
            return Err(format!("canonical request differs:\nwant {want:?}\ngot  {canonical:?}"));
        }
    }
    let sts = sigv4::string_to_sign(signed.date().as_str(), &signed.scope(), canonical.as_bytes());
    if let Some(want) = v["string_to_sign"].as_str() {
        if want != sts {
            return Err(format!("string to sign differs:\nwant {want:?}\ngot  {sts:?}"));
        }
    }
    Ok(())
}

fn payload_hash(request: &OwnedRequest) -> String {
    let declared = request.headers().find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"));
    match (declared, sigv4::body_sha256_hex(request.body())) {
        (Some((_, value)), _) => String::from_utf8_lossy(crate::request::trim(value)).into_owned(),
        (None, Some(hex)) => sigv4::hex_str(&hex).to_owned(),
        (None, None) => sigv4::EMPTY_SHA256.to_owned(),
    }
}

fn sigv4_sign(v: &Value) -> Result<(), String> {
    let request = request(v)?.into_origin_form().map_err(|e| format!("request: {e}"))?;
    let (key, secret) = credentials(v)?;
    let options = sigv4::SignOptions { rules: rules(v)?, ..Default::default() };
    let signer = Signer::new(key, secret)
        .with_scope(text(v, "region")?, text(v, "service")?)
        .with_options(options);
    let signature = signer.sign(&request, now(v)?).map_err(|e| format!("signing failed: {e}"))?;
    let got: Vec<(&str, &str)> = signature.headers().collect();

    let want = v["expect_headers"].as_array().ok_or("`expect_headers` is not a list")?;
    if want.len() != got.len() {
        return Err(format!("expected {} headers, got {got:?}", want.len()));
    }
    for (w, (name, value)) in want.iter().zip(&got) {
        let (wn, wv) = (w[0].as_str().unwrap_or(""), w[1].as_str().unwrap_or(""));
        if !wn.eq_ignore_ascii_case(name) || wv != *value {
            return Err(format!("expected {wn}: {wv}\ngot      {name}: {value}"));
        }
    }
    Ok(())
}

fn jwt(v: &Value) -> Result<(), String> {
    let app_id = AppId::new(text(v, "app_id")?).map_err(|e| e.to_string())?;
    let secret = SecretKey::new(text(v, "secret_key")?).map_err(|e| e.to_string())?;
    let apps = MemoryAppStore::new();
    apps.insert(AppRecord::new(AccessKey::from(app_id.clone()), secret));

    let users = MemoryUserStore::new();
    if let Some(known) = v["users"].as_object() {
        for (id, token_secret) in known {
            let token_secret = token_secret.as_str().ok_or("a user's token secret is not text")?;
            let token_secret = SecretKey::new(token_secret).map_err(|e| e.to_string())?;
            let user = UserRecord::new(app_id.clone(), id).map_err(|e| e.to_string())?;
            users.insert(user.with_token_secret(token_secret));
        }
    }

    let tokens = Tokens::new(apps, users);
    let got = match block_on_ready(tokens.verify(text(v, "token")?, Some(&app_id), now(v)?)) {
        Ok(verified) => match verified.subject() {
            Subject::User(user) => format!("user:{}", user.id),
            Subject::Super => "super".to_owned(),
        },
        Err(e) => format!("invalid:{} ({e})", e.reason()),
    };
    compare_outcome(text(v, "expect")?, &got)
}

/// `got` may carry a parenthesised explanation after the expected word.
fn compare_outcome(expect: &str, got: &str) -> Result<(), String> {
    let matches =
        got == expect || got.strip_prefix(expect).is_some_and(|rest| rest.starts_with(" ("));
    if matches { Ok(()) } else { Err(format!("expected {expect}, got {got}")) }
}

fn permission(v: &Value) -> Result<(), String> {
    let map = ResourcePermissions::from_json(&v["permissions"].to_string())
        .map_err(|e| format!("cannot read permissions: {e}"))?;
    let who = match &v["subject"] {
        Value::Null => Who::Guest,
        Value::String(id) => Who::User(id),
        _ => return Err("`subject` is neither null nor text".to_owned()),
    };
    let decision = map.decide(who, text(v, "method")?, text(v, "resource")?);
    let got = if decision.allowed { "allow" } else { "deny" };
    let expect = text(v, "expect")?;
    if got == expect {
        Ok(())
    } else {
        Err(format!(
            "expected {expect}, got {got} ({:?} by {:?} {:?})",
            decision.kind, decision.subject, decision.key
        ))
    }
}

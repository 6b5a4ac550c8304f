//! Runs conformance vectors: JSON Lines files of requests and what a correct
//! implementation must answer (see `tests/vectors/README.md`).
//!
//! Each line is one vector with a `kind`, an `id` and a `source`. A line that
//! cannot be read, or a kind not implemented, is a failure with its own
//! message, never a crash or a skip. The `para-auth check` command and the
//! crate's tests both run vectors through [`run_file`].

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::error::Malformed;
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

/// Run every line of a JSON Lines file, given as its bytes (or text).
///
/// Each line is judged alone: one that is not UTF-8 or not JSON, or lacks
/// its `id` or `source`, or repeats an earlier line's `id`, fails with its
/// own message and the others still run.
pub fn run_file(text: impl AsRef<[u8]>) -> Report {
    let mut report = Report::default();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (n, line) in lines(text.as_ref()).enumerate() {
        let (id, outcome) = run_line(line, n + 1, &mut ids);
        match outcome {
            Ok(()) => report.passed += 1,
            Err(message) => report.failures.push(Failure { id, message }),
        }
    }
    report
}

/// The lines of `text`, as `str::lines` splits them (a final `\n` ends the
/// last line, a `\r` before a `\n` is dropped), but of bytes.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let pieces = (!text.is_empty()).then(|| text.split(|&b| b == b'\n'));
    pieces.into_iter().flatten().map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// The id to report line `n` under, and its outcome.
fn run_line(
    line: &[u8],
    n: usize,
    ids: &mut HashMap<String, usize>,
) -> (String, Result<(), String>) {
    let label = format!("line {n}");
    let Ok(line) = std::str::from_utf8(line) else {
        return (label, Err("the line is not UTF-8".to_owned()));
    };
    let vector = match serde_json::from_str::<Value>(line) {
        Ok(vector) if vector.is_object() => vector,
        Ok(_) => return (label, Err("not a JSON object".to_owned())),
        Err(e) => return (label, Err(format!("not a JSON object: {e}"))),
    };
    let Some(id) = vector["id"].as_str() else {
        return (label, Err("no `id`, or it is not text".to_owned()));
    };
    if let Some(first) = ids.insert(id.to_owned(), n) {
        return (id.to_owned(), Err(format!("the `id` of line {first} again (line {n})")));
    }
    if vector["source"].as_str().is_none_or(str::is_empty) {
        return (id.to_owned(), Err("no `source`, or it is not text".to_owned()));
    }
    (id.to_owned(), run_vector(&vector))
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

/// A byte string given as text in `field` or as base64 in `field_b64`;
/// `None` when neither is there.
fn optional_bytes(v: &Value, field: &str) -> Result<Option<Vec<u8>>, String> {
    let b64 = format!("{field}_b64");
    match (v.get(field), v.get(&b64)) {
        (None, None) => Ok(None),
        (Some(Value::String(text)), None) => Ok(Some(text.as_bytes().to_vec())),
        (None, Some(Value::String(encoded))) => {
            STANDARD.decode(encoded).map(Some).map_err(|e| format!("`{b64}`: {e}"))
        }
        (Some(_), Some(_)) => Err(format!("both `{field}` and `{b64}`")),
        _ => Err(format!("`{field}` is not text (or `{b64}` not base64 text)")),
    }
}

/// As [`optional_bytes`], required.
fn bytes(v: &Value, field: &str) -> Result<Vec<u8>, String> {
    optional_bytes(v, field)?.ok_or_else(|| format!("no `{field}` (or `{field}_b64`)"))
}

fn request(v: &Value) -> Result<OwnedRequest, String> {
    let r = &v["request"];
    let mut request = OwnedRequest::new(text(r, "method")?, bytes(r, "target")?);
    // Header pairs as text, or (for bytes that are not UTF-8) both in base64.
    let (pairs, encoded) = match (r.get("headers"), r.get("headers_b64")) {
        (Some(pairs), None) => (pairs, false),
        (None, Some(pairs)) => (pairs, true),
        (Some(_), Some(_)) => return Err("both `headers` and `headers_b64`".to_owned()),
        (None, None) => return Err("no `request.headers`".to_owned()),
    };
    for pair in pairs.as_array().ok_or("`request.headers` is not a list")? {
        let [name, value] = pair.as_array().map(Vec::as_slice).unwrap_or_default() else {
            return Err(format!("a header is not a [name, value] pair: {pair}"));
        };
        let (Some(name), Some(value)) = (name.as_str(), value.as_str()) else {
            return Err(format!("a header name or value is not text: {pair}"));
        };
        let (name, value) = match encoded {
            false => (name.to_owned(), value.as_bytes().to_vec()),
            true => {
                let decode = |b64: &str| STANDARD.decode(b64).map_err(|e| format!("{pair}: {e}"));
                let name = String::from_utf8(decode(name)?)
                    .map_err(|_| format!("a header name is not text: {pair}"))?;
                (name, decode(value)?)
            }
        };
        request = request.header(&name, value);
    }
    request.body = optional_bytes(r, "body")?.unwrap_or_default();
    Ok(request)
}

/// The vector's `options`, each checked: a value of the wrong type or an
/// option we do not know fails the vector, never runs with a default.
struct Options {
    rules: CanonicalRules,
    skew_secs: Option<u32>,
}

fn options(v: &Value) -> Result<Options, String> {
    let mut options = Options { rules: CanonicalRules::PARA, skew_secs: None };
    let given = match v.get("options") {
        None | Some(Value::Null) => return Ok(options),
        Some(given) => given.as_object().ok_or("`options` is not an object")?,
    };
    for (name, value) in given {
        match (name.as_str(), value) {
            ("path", Value::String(mode)) => {
                options.rules.path_encoding = match mode.as_str() {
                    "double" => PathEncoding::Double,
                    "single" => PathEncoding::Single,
                    other => return Err(format!("unknown path option `{other}`")),
                }
            }
            ("normalize", Value::Bool(on)) => options.rules.normalize_path = *on,
            ("skew_s", value) => {
                let secs = value.as_u64().and_then(|s| u32::try_from(s).ok());
                let secs = secs.ok_or_else(|| format!("`skew_s` is not whole seconds: {value}"))?;
                options.skew_secs = Some(secs);
            }
            ("path" | "normalize", value) => {
                return Err(format!("option `{name}` has a value of the wrong type: {value}"));
            }
            (other, _) => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(options)
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
    let Options { rules, skew_secs } = options(v)?;
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
    if let Some(skew) = skew_secs {
        config.max_skew_secs = skew;
    }
    if let Ok(request) = &request {
        compare_stages(v, request, rules, Stages::IfReadable)?;
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
    compare_outcome(text(v, "expect")?, &got)
}

/// Which stages a vector's request has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stages {
    /// A request sent to the verifier: one whose signature cannot be read,
    /// or whose canonical request cannot be built, has none, and its verdict
    /// (`malformed`) is what is compared.
    IfReadable,
    /// What the signer made: its stages must be there.
    Required,
}

/// Check the canonical request and string to sign the verifier builds, when
/// the vector gives them.
fn compare_stages(
    v: &Value,
    request: &OwnedRequest,
    rules: CanonicalRules,
    stages: Stages,
) -> Result<(), String> {
    let want_canonical = optional_bytes(v, "canonical_request")?;
    let want_sts = optional_bytes(v, "string_to_sign")?;
    if want_canonical.is_none() && want_sts.is_none() {
        return Ok(());
    }
    let skip = |why: String| match stages {
        Stages::IfReadable => Ok(()),
        Stages::Required => Err(why),
    };
    let signed = match SignedRequest::parse(request) {
        Ok(signed) => signed,
        Err(e) => return skip(format!("the signed request cannot be read back: {e}")),
    };
    let build = |payload: &str| {
        sigv4::canonical_request_bytes(request, signed.signed_headers(), payload, rules, false)
            .map_err(|e| format!("cannot build canonical request: {e}"))
    };
    let mut canonical = match build(&payload_hash(request)) {
        Ok(canonical) => canonical,
        Err(why) => return skip(why),
    };
    // A presigned request is also tried with UNSIGNED-PAYLOAD, as the
    // verifier tries it: either canonical request is one it builds.
    let presigned = matches!(signed.form(), sigv4::Form::Presigned { .. });
    if let Some(want) = want_canonical.as_ref().filter(|want| presigned && **want != canonical) {
        let unsigned = build(sigv4::UNSIGNED_PAYLOAD)?;
        if *want == unsigned {
            canonical = unsigned;
        }
    }
    if let Some(want) = want_canonical.filter(|want| *want != canonical) {
        let (want, got) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(&canonical));
        return Err(format!("canonical request differs: want {want:?}, got {got:?}"));
    }
    let sts = sigv4::string_to_sign(signed.date().as_str(), &signed.scope(), &canonical);
    if let Some(want) = want_sts.filter(|want| *want != sts.as_bytes()) {
        let want = String::from_utf8_lossy(&want);
        return Err(format!("string to sign differs: want {want:?}, got {sts:?}"));
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
    let rules = options(v)?.rules;
    let signer = Signer::new(key, secret)
        .with_scope(text(v, "region")?, text(v, "service")?)
        // The format's signer signs every header of the request.
        .with_options(sigv4::SignOptions {
            rules,
            unsigned_headers: Vec::new(),
            ..Default::default()
        });
    let signature = signer.sign(&request, now(v)?).map_err(|e| format!("signing failed: {e}"))?;
    let got: Vec<(&str, &str)> = signature.headers().collect();

    // The headers the signer must add, in any order, names in any case.
    let want = v["expect_headers"].as_array().ok_or("`expect_headers` is not a list")?;
    if want.len() != got.len() {
        return Err(format!("expected {} headers, got {got:?}", want.len()));
    }
    for w in want {
        let (Some(wn), Some(wv)) = (w[0].as_str(), w[1].as_str()) else {
            return Err(format!("an expected header is not a [name, value] pair: {w}"));
        };
        match got.iter().find(|(name, _)| wn.eq_ignore_ascii_case(name)) {
            Some((_, value)) if wv == *value => {}
            Some((name, value)) => {
                return Err(format!("expected {wn}: {wv:?}, got {name}: {value:?}"));
            }
            None => return Err(format!("expected {wn}: {wv:?}, got no {wn}: {got:?}")),
        }
    }
    // What the signer hashed and signed is what a verifier rebuilds from
    // the signed request, in which the signer's headers replace the
    // request's own.
    let mut signed = request;
    signed.headers.retain(|(name, _)| !got.iter().any(|(own, _)| name.eq_ignore_ascii_case(own)));
    let signed = got.iter().fold(signed, |r, (name, value)| r.header(name, *value));
    compare_stages(v, &signed, rules, Stages::Required)
}

fn jwt(v: &Value) -> Result<(), String> {
    let app_id = AppId::new(text(v, "app_id")?).map_err(|e| e.to_string())?;
    let secret = SecretKey::new(text(v, "secret_key")?).map_err(|e| e.to_string())?;
    let apps = MemoryAppStore::new();
    apps.insert(AppRecord::new(AccessKey::from(app_id.clone()), secret));

    let users = MemoryUserStore::new();
    let known = match v.get("users") {
        None | Some(Value::Null) => None,
        Some(users) => Some(users.as_object().ok_or("`users` is not an object")?),
    };
    if let Some(known) = known {
        for (id, token_secret) in known {
            let token_secret = token_secret.as_str().ok_or("a user's token secret is not text")?;
            let token_secret = SecretKey::new(token_secret).map_err(|e| e.to_string())?;
            let user = UserRecord::new(app_id.clone(), id).map_err(|e| e.to_string())?;
            users.insert(user.with_token_secret(token_secret));
        }
    }

    let tokens = Tokens::new(apps, users);
    let token = bytes(v, "token")?;
    let now = now(v)?;
    let outcome = match std::str::from_utf8(&token) {
        Ok(token) => block_on_ready(tokens.verify(token, Some(&app_id), now)),
        Err(_) => Err(Malformed::Token.into()),
    };
    let got = match outcome {
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
    let who = match v.get("subject") {
        Some(Value::Null) => Who::Guest,
        Some(Value::String(id)) => Who::User(id),
        Some(_) => return Err("`subject` is neither null nor text".to_owned()),
        None => return Err("no `subject` (null for a guest)".to_owned()),
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

//! `para-auth`: sign and verify requests, and run conformance vectors.

use std::io::{Read, Write};
use std::process::ExitCode;

use para_auth::conformance::{Failure, Report, run_file};
use para_auth::jwt::{self, Tokens};
use para_auth::permissions::{ResourcePermissions, Who};
use para_auth::sigv4::{CanonicalRules, SignOptions, Signer, Verifier, VerifierConfig};
use para_auth::store::{AppRecord, MemoryAppStore};
use para_auth::users::{MemoryUserStore, UserRecord};
use para_auth::{AccessKey, OwnedRequest, SecretKey, SystemClock, Timestamp, block_on_ready};

/// As `println!`, through [`say`].
macro_rules! say {
    ($($arg:tt)*) => { say(format_args!($($arg)*)) };
}

/// Write a line to standard output. When the reader has gone
/// (`para-auth check FILE | head`) the tool ends quietly, with the status a
/// shell gives a program stopped by SIGPIPE, where `println!` would panic.
fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("para-auth: cannot write the output: {e}");
        std::process::exit(1);
    }
}

const USAGE: &str = "\
usage:
  para-auth sign [OPTIONS] METHOD URL      print the headers that sign the request
  para-auth verify [OPTIONS] [FILE]        verify raw HTTP/1.1 text (stdin without FILE)
  para-auth token issue [OPTIONS]          issue a super token, or a user token with --user
  para-auth token verify [OPTIONS] TOKEN   verify a token: user:ID, super or invalid:REASON
  para-auth token inspect TOKEN            show a token's header and claims, NOT verified
  para-auth keys new APP                   a fresh access key and secret for an app
  para-auth perms explain --map FILE SUBJECT METHOD PATH
                                           decide with a permission map; SUBJECT - is a guest;
                                           PATH /v1/posts/1 or the resource posts/1
  para-auth check FILE...                  run conformance vectors (JSON Lines)

options:
  --key KEY          access key (default: $PARA_ACCESS_KEY)
  --secret SECRET    secret key (default: $PARA_SECRET_KEY)
  --region REGION    default us-east-1
  --service NAME     default para
  --now UNIX         the clock, in Unix seconds (default: the system clock)
  --normalize        remove dot segments and empty segments from the path
  sign only:
  -H 'Name: value'   a header to send (repeatable); Host comes from URL if absent
  --data TEXT        the body
  --presign SECS     print a presigned URL valid for SECS seconds instead
  token only (the app is --key, its secret --secret):
  --user ID          the user (with --user-secret, the user's token secret)
  --user-secret S    the user's token secret
  --idp NAME         the identity provider claim of a user token";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("sign") => sign(&args[1..]),
        Some("verify") => verify(&args[1..]),
        Some("check") => check(&args[1..]),
        Some("token") => token(&args[1..]),
        Some("keys") => keys(&args[1..]),
        Some("perms") => perms(&args[1..]),
        Some("-h" | "--help" | "help") => {
            say!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.to_owned()),
    };
    result.unwrap_or_else(|message| {
        eprintln!("{message}");
        ExitCode::from(2)
    })
}

#[derive(Default)]
struct Options {
    key: Option<String>,
    secret: Option<String>,
    region: Option<String>,
    service: Option<String>,
    now: Option<i64>,
    normalize: bool,
    headers: Vec<(String, String)>,
    data: Vec<u8>,
    presign: Option<u32>,
    user: Option<String>,
    user_secret: Option<String>,
    idp: Option<String>,
    map: Option<String>,
    positional: Vec<String>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        // `--name value` or `--name=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let given = inline.is_some();
        let mut value = || match inline.clone() {
            Some(value) => Ok(value),
            None => it.next().cloned().ok_or(format!("{flag} needs a value")),
        };
        match flag {
            "--normalize" if given => return Err("--normalize takes no value".to_owned()),
            "--key" => o.key = Some(value()?),
            "--secret" => o.secret = Some(value()?),
            "--region" => o.region = Some(value()?),
            "--service" => o.service = Some(value()?),
            "--now" => o.now = Some(value()?.parse().map_err(|_| "--now takes Unix seconds")?),
            "--normalize" => o.normalize = true,
            "--data" => o.data = value()?.into_bytes(),
            "--user" => o.user = Some(value()?),
            "--user-secret" => o.user_secret = Some(value()?),
            "--idp" => o.idp = Some(value()?),
            "--map" => o.map = Some(value()?),
            "--presign" => {
                o.presign = Some(value()?.parse().map_err(|_| "--presign takes seconds")?)
            }
            "-H" | "--header" => {
                let line = value()?;
                let (n, v) = line.split_once(':').ok_or("a header is 'Name: value'")?;
                o.headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
            // Only the name: the value may be a secret.
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"));
            }
            _ => o.positional.push(arg.clone()),
        }
    }
    Ok(o)
}

impl Options {
    fn credentials(&self) -> Result<(AccessKey, SecretKey), String> {
        let key = self.key.clone().or_else(|| std::env::var("PARA_ACCESS_KEY").ok());
        let secret = self.secret.clone().or_else(|| std::env::var("PARA_SECRET_KEY").ok());
        let key = key.ok_or("no access key: --key or PARA_ACCESS_KEY")?;
        let secret = secret.ok_or("no secret key: --secret or PARA_SECRET_KEY")?;
        let key = AccessKey::new(&key).map_err(|e| e.to_string())?;
        Ok((key, SecretKey::new(secret).map_err(|e| e.to_string())?))
    }

    fn now(&self) -> Timestamp {
        self.now.map_or_else(SystemClock::now, Timestamp::from_unix)
    }

    fn rules(&self) -> CanonicalRules {
        if self.normalize { CanonicalRules::AWS } else { CanonicalRules::PARA }
    }

    fn region(&self) -> &str {
        self.region.as_deref().unwrap_or(para_auth::sigv4::PARA_REGION)
    }

    fn service(&self) -> &str {
        self.service.as_deref().unwrap_or(para_auth::sigv4::PARA_SERVICE)
    }
}

/// `http://host:port` of `http://host:port/path?q`, or `""` for a target
/// that is not a URL.
fn origin_of(url: &str) -> &str {
    let Some(scheme_end) = url.find("://") else { return "" };
    let after = scheme_end + 3;
    url[after..].find(['/', '?']).map_or(url, |end| &url[..after + end])
}

fn sign(args: &[String]) -> Result<ExitCode, String> {
    let o = parse_options(args)?;
    let [method, url] = o.positional.as_slice() else {
        return Err(USAGE.to_owned());
    };
    // A fragment is never sent. A URL's host is written as a client writes
    // `Host` (no default port, no user name), unless -H gives it.
    let url = url.split_once('#').map_or(url.as_str(), |(before, _)| before);
    let mut request = OwnedRequest::new(method, url).with_body(o.data.clone());
    for (n, v) in &o.headers {
        request = request.header(n, v.as_str());
    }
    let request = request.into_origin_form().map_err(|e| format!("{url}: {e}"))?;

    let (key, secret) = o.credentials()?;
    let options = SignOptions { rules: o.rules(), ..SignOptions::default() };
    let signer = Signer::new(key, secret).with_scope(o.region(), o.service()).with_options(options);
    if let Some(expires) = o.presign {
        let presigned = signer.presign(&request, o.now(), expires).map_err(|e| e.to_string())?;
        say!("{}{}", origin_of(url), presigned.target);
    } else {
        let signature = signer.sign(&request, o.now()).map_err(|e| e.to_string())?;
        for (name, value) in signature.headers() {
            say!("{name}: {value}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(args: &[String]) -> Result<ExitCode, String> {
    let o = parse_options(args)?;
    let raw = match o.positional.as_slice() {
        [] => {
            // One byte past the largest request read is enough to refuse it.
            let limit = para_auth::request::MAX_RAW_REQUEST as u64 + 1;
            let mut buf = Vec::new();
            std::io::stdin().take(limit).read_to_end(&mut buf).map_err(|e| e.to_string())?;
            buf
        }
        [file] => std::fs::read(file).map_err(|e| format!("{file}: {e}"))?,
        _ => return Err(USAGE.to_owned()),
    };
    let request = OwnedRequest::parse_http1(&raw).map_err(|e| e.to_string())?;

    let (key, secret) = o.credentials()?;
    let store = MemoryAppStore::new();
    store.insert(AppRecord::new(key, secret));
    let config = VerifierConfig {
        region: o.region().to_owned(),
        service: o.service().to_owned(),
        rules: o.rules(),
        diagnostics: true,
        ..VerifierConfig::default()
    };
    let verifier = Verifier::with_config(store, config);
    match block_on_ready(verifier.verify(&request, o.now())) {
        Ok(verified) => {
            say!(
                "valid: signed by {} at {}",
                verified.app().access_key,
                verified.signed_at().unix()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            say!("invalid:{} ({e})", e.reason());
            if let Some(d) = e.diagnostic() {
                say!(
                    "\ncanonical request:\n{}\n\nstring to sign:\n{}",
                    d.canonical_request,
                    d.string_to_sign
                );
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn check(files: &[String]) -> Result<ExitCode, String> {
    if files.is_empty() {
        return Err(USAGE.to_owned());
    }
    let mut report = Report::default();
    for file in files {
        // Bytes: a line that is not UTF-8 fails alone, the others still run.
        match std::fs::read(file) {
            Ok(bytes) => report.merge(run_file(&bytes)),
            Err(e) => report.failures.push(Failure {
                id: file.clone(),
                message: format!("the file cannot be read: {e}"),
            }),
        }
    }
    for failure in &report.failures {
        // One line each, whatever a message holds.
        say!("FAIL {}: {}", failure.id, failure.message.replace('\n', "\\n"));
    }
    say!("{}", report.summary());
    Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn token(args: &[String]) -> Result<ExitCode, String> {
    let o = parse_options(args.get(1..).unwrap_or_default())?;
    match (args.first().map(String::as_str), o.positional.as_slice()) {
        (Some("issue"), []) => token_issue(&o),
        (Some("verify"), [token]) => token_verify(&o, token),
        (Some("inspect"), [token]) => token_inspect(token),
        _ => Err(USAGE.to_owned()),
    }
}

/// The app (from --key and --secret) and, with --user, its user.
fn token_stores(o: &Options) -> Result<(AppRecord, Option<UserRecord>), String> {
    let (key, secret) = o.credentials()?;
    let app_id = key.app_id().ok_or("--key must be an app id, app:<name>")?;
    let app = AppRecord::new(key, secret);
    let user = match (&o.user, &o.user_secret) {
        (Some(id), Some(secret)) => {
            let secret = SecretKey::new(secret.as_str()).map_err(|e| e.to_string())?;
            let user = UserRecord::new(app_id, id.as_str()).map_err(|e| e.to_string())?;
            Some(user.with_token_secret(secret))
        }
        (None, None) => None,
        _ => return Err("--user and --user-secret go together".to_owned()),
    };
    Ok((app, user))
}

fn token_issue(o: &Options) -> Result<ExitCode, String> {
    let (app, user) = token_stores(o)?;
    let issued = match &user {
        Some(user) => jwt::issue_user_token(&app, user, o.idp.as_deref(), o.now()),
        None => jwt::issue_super_token(&app, o.now()),
    };
    let issued = issued.map_err(|e| e.to_string())?;
    say!("{}", issued.access_token);
    eprintln!("expires {} ms, refresh {} ms", issued.expires, issued.refresh);
    Ok(ExitCode::SUCCESS)
}

fn token_verify(o: &Options, token: &str) -> Result<ExitCode, String> {
    let (app, user) = token_stores(o)?;
    let app_id = app.app_id();
    let apps = MemoryAppStore::new();
    apps.insert(app);
    let users = MemoryUserStore::new();
    if let Some(user) = user {
        users.insert(user);
    }
    let tokens = Tokens::new(apps, users);
    match block_on_ready(tokens.verify(token, app_id.as_ref(), o.now())) {
        Ok(verified) => {
            match verified.user() {
                Some(user) => say!("user:{}", user.id),
                None => say!("super"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            say!("invalid:{} ({e})", e.reason());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn token_inspect(token: &str) -> Result<ExitCode, String> {
    let (algorithm, claims) =
        jwt::dangerous::claims_unverified(token).map_err(|e| e.to_string())?;
    say!("NOT VERIFIED");
    say!("alg: {}", algorithm.name());
    let json = serde_json::to_string_pretty(&claims).map_err(|e| e.to_string())?;
    say!("{json}");
    Ok(ExitCode::SUCCESS)
}

fn keys(args: &[String]) -> Result<ExitCode, String> {
    let [command, app] = args else { return Err(USAGE.to_owned()) };
    if command != "new" {
        return Err(USAGE.to_owned());
    }
    let pair = para_auth::keys::generate(app).map_err(|e| e.to_string())?;
    say!("accessKey: {}", pair.access_key);
    say!("secretKey: {}", pair.secret_key.expose_secret());
    Ok(ExitCode::SUCCESS)
}

fn perms(args: &[String]) -> Result<ExitCode, String> {
    let o = parse_options(args.get(1..).unwrap_or_default())?;
    let (Some("explain"), [subject, method, path]) =
        (args.first().map(String::as_str), o.positional.as_slice())
    else {
        return Err(USAGE.to_owned());
    };
    let file = o.map.as_deref().ok_or("--map FILE is required")?;
    let json = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let map = ResourcePermissions::from_json(&json).map_err(|e| format!("{file}: {e}"))?;
    let who = if subject == "-" { Who::Guest } else { Who::User(subject) };
    // A request path (`/v1/posts/1`) is read as the gate reads it; a
    // resource (`posts/1`) is taken as it is.
    let resource = match path.starts_with('/') {
        true => para_auth::gate::resource_path(path.as_bytes()).map_err(|e| e.to_string())?,
        false => path.clone(),
    };
    let decision = map.decide(who, method, &resource);
    let verdict = if decision.allowed { "allow" } else { "deny" };
    let by = match (decision.subject, decision.key) {
        (Some(subject), Some(key)) => format!(" by {subject:?} {key:?}"),
        _ => String::new(),
    };
    let own = if decision.own_only { " (OWN: own objects only)" } else { "" };
    say!("{verdict}: {:?}{by}{own}", decision.kind);
    Ok(if decision.allowed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

//! `tokex doctor [NAME]`: every check a user would otherwise do by hand, one line each, `ok`,
//! `warn` or `fail` with the fix. It never prints a secret and never sends one: the endpoint
//! check is a plain `GET` without credentials.

use crate::cache::Cache;
use crate::config::{Config, Profile};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::secrets::{self, Source};
use crate::sensitive::Secret;
use crate::token::rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Warn,
    Fail,
}

struct Report {
    lines: Vec<String>,
    failed: bool,
}

impl Report {
    fn add(&mut self, level: Level, what: &str, detail: impl AsRef<str>) {
        let tag = match level {
            Level::Ok => "ok  ",
            Level::Warn => "warn",
            Level::Fail => "fail",
        };
        self.failed |= level == Level::Fail;
        self.lines.push(format!(
            "{tag} {what}: {}",
            detail.as_ref().replace('\n', " ")
        ));
    }
}

/// Runs the checks; the text to print, and whether any failed.
pub fn run(
    config_path: &std::path::Path,
    cache: &Cache,
    only: Option<&str>,
) -> Result<(String, bool)> {
    let mut r = Report {
        lines: Vec::new(),
        failed: false,
    };
    let config = match Config::load(config_path) {
        Ok(c) => {
            r.add(
                Level::Ok,
                "config",
                format!("{} ({} profiles)", config_path.display(), c.profiles.len()),
            );
            c
        }
        Err(e) => {
            r.add(
                Level::Fail,
                "config",
                format!("{e} (fix the file, or `tokex profile add`)"),
            );
            return Ok((r.lines.join("\n") + "\n", true));
        }
    };
    let uses_store = config
        .profiles
        .values()
        .any(|p| matches!(Source::of(p), Source::Store));
    match secrets::store_choice() {
        Ok(c) => match secrets::store_has("tokex-doctor-probe") {
            Ok(_) => r.add(Level::Ok, "secret store", format!("{} answers ({})", c.kind, c.why)),
            Err(e) => r.add(
                if uses_store { Level::Fail } else { Level::Warn },
                "secret store",
                format!(
                    "{} does not answer: {} (set TOKEX_STORE, or give profiles secret_env/secret_file/secret_command)",
                    c.kind,
                    e.message()
                ),
            ),
        },
        Err(e) => r.add(Level::Fail, "secret store", e.to_string()),
    }
    match cache.dir() {
        Some(d) => r.add(Level::Ok, "cache", d.display().to_string()),
        None => r.add(
            Level::Warn,
            "cache",
            "no cache directory: tokens are not cached (set TOKEX_CACHE_DIR)",
        ),
    }
    let names: Vec<&String> = match only {
        Some(n) => {
            config.get(n)?;
            config.profiles.keys().filter(|k| k.as_str() == n).collect()
        }
        None => config.profiles.keys().collect(),
    };
    if names.is_empty() {
        r.add(
            Level::Warn,
            "profiles",
            "none yet: `tokex profile add NAME --provider …`",
        );
    }
    for name in names {
        profile(&mut r, cache, name, &config.profiles[name.as_str()]);
    }
    Ok((r.lines.join("\n") + "\n", r.failed))
}

fn profile(r: &mut Report, cache: &Cache, name: &str, p: &Profile) {
    let what = |check: &str| format!("{name}: {check}");
    match Source::of(p) {
        Source::Store => match secrets::store_has(name) {
            Ok(true) => r.add(Level::Ok, &what("secret"), "stored"),
            Ok(false) => r.add(Level::Fail, &what("secret"), format!("none stored: run `tokex login {name}`")),
            Err(e) => r.add(Level::Fail, &what("secret"), e.message()),
        },
        Source::Env(var) => match std::env::var_os(&var) {
            Some(v) if !v.is_empty() => r.add(Level::Ok, &what("secret"), format!("${var} is set")),
            _ => r.add(Level::Fail, &what("secret"), format!("${var} is not set (export it, or change `secret_env`)")),
        },
        Source::File(_) => match secrets::read(name, p) {
            Ok(_) => r.add(Level::Ok, &what("secret"), format!("{} is readable and private", Source::of(p))),
            Err(e) => r.add(Level::Fail, &what("secret"), e.message()),
        },
        Source::Command(_) => r.add(
            Level::Warn,
            &what("secret"),
            "comes from secret_command, which doctor does not run (it may prompt); `tokex token` will",
        ),
    }
    // The URL the exchange would use, built with a stand-in secret that is never sent.
    let endpoint = crate::providers::build(p, &Secret::from("doctor"), OffsetDateTime::now_utc())
        .map(|req| req.url);
    match (endpoint, Http::for_profile(p)) {
        (Ok(url), Ok(http)) => match http.probe(&url) {
            Ok(status) => r.add(
                Level::Ok,
                &what("endpoint"),
                format!(
                    "{} answers (HTTP {status} to a GET without credentials)",
                    crate::http::host(&url)
                ),
            ),
            Err(e) => r.add(Level::Fail, &what("endpoint"), e.message()),
        },
        (Err(e), _) | (_, Err(e)) => r.add(Level::Fail, &what("endpoint"), e.message()),
    }
    let now = OffsetDateTime::now_utc();
    match cache.read(name, &crate::cache::key(name, p)) {
        Some(t) if t.reported_expiry() > now => r.add(
            Level::Ok,
            &what("cached token"),
            format!("valid until {}", rfc3339(t.reported_expiry())),
        ),
        Some(t) => r.add(
            Level::Ok,
            &what("cached token"),
            format!(
                "expired at {}; the next call exchanges anew",
                rfc3339(t.expires_at)
            ),
        ),
        None => r.add(
            Level::Ok,
            &what("cached token"),
            "none; the next call exchanges",
        ),
    }
}

/// For `main`: a failed check is exit 1 with the report already printed.
pub fn failed() -> Error {
    Error::op("doctor found problems (the `fail` lines above)")
}

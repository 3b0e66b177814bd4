//! `tokex doctor [NAME]`: every check a user would otherwise do by hand, one line each, `ok`,
//! `warn` or `fail` with the fix. It never prints a secret and never sends one: the endpoint
//! check is a plain `GET` without credentials.

use super::Io;
use crate::broker::{Accounts, Broker, CachedState, Role, SecretState};
use crate::callers::write;
use crate::error::{Error, Result};
use crate::token::rfc3339;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Default)]
struct Report {
    text: String,
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
        let detail = detail.as_ref().replace('\n', " ");
        self.text.push_str(&format!("{tag} {what}: {detail}\n"));
    }
}

/// Runs the checks against `loaded` (the broker over the config, or why the config failed);
/// prints them, and fails with exit 1 when any check failed.
pub fn run(
    path: &std::path::Path,
    loaded: Result<Broker>,
    only: Option<&str>,
    io: &mut Io,
) -> Result<()> {
    let mut r = Report::default();
    match loaded {
        Ok(broker) => checks(&mut r, path, &broker, only)?,
        // The error names the file, the line and the fix; `profile add` cannot help, as it
        // refuses to edit a file it cannot read.
        Err(e) => r.add(Level::Fail, "config", e.to_string()),
    }
    write(io.stdout, &r.text)?;
    if r.failed {
        return Err(Error::op("doctor found problems (the `fail` lines above)"));
    }
    Ok(())
}

fn checks(
    r: &mut Report,
    path: &std::path::Path,
    broker: &Broker,
    only: Option<&str>,
) -> Result<()> {
    let config = broker.config();
    let count = config.profiles.len();
    r.add(
        Level::Ok,
        "config",
        format!("{} ({count} profiles)", path.display()),
    );
    let store = broker.store_check(true);
    let needed = if broker.uses_os_store() {
        Level::Fail
    } else {
        Level::Warn
    };
    match (store.chosen, store.answers) {
        (Err(e), _) => r.add(needed, "secret store", e.to_string()),
        (Ok(chosen), Some(Err(e))) => r.add(
            needed,
            "secret store",
            format!(
                "{chosen} does not answer: {} (set TOKEX_STORE, or give profiles secret_env/secret_file/secret_command)",
                e.message()
            ),
        ),
        (Ok(chosen), _) => r.add(Level::Ok, "secret store", format!("{chosen} answers")),
    }
    match broker.cache().check_writable() {
        Ok(dir) => r.add(Level::Ok, "cache", format!("{} (writable)", dir.display())),
        Err(why) => r.add(
            Level::Warn,
            "cache",
            format!("{why}: tokens are not cached, every call exchanges (set TOKEX_CACHE_DIR to a writable directory)"),
        ),
    }
    if only.is_none() {
        tools(r);
    }
    let names: Vec<&str> = match only {
        Some(n) => vec![config.get(n).map(|_| n)?],
        None => config.profiles.keys().map(String::as_str).collect(),
    };
    if names.is_empty() {
        r.add(
            Level::Warn,
            "profiles",
            "none yet: `tokex profile add NAME --provider …`",
        );
    }
    for name in names {
        profile(r, broker, name)?;
    }
    Ok(())
}

/// Which tools' configs name tokex (`tokex setup` writes them).
fn tools(r: &mut Report) {
    let mut any = false;
    for (tool, found) in super::setup::in_use() {
        let what = format!("{} setup", tool.name());
        match found {
            Ok(uses) if uses.is_empty() => {}
            Ok(uses) => {
                any = true;
                r.add(
                    Level::Ok,
                    &what,
                    format!("uses tokex for {}", uses.join(", ")),
                );
            }
            Err(e) => r.add(Level::Warn, &what, e.message()),
        }
    }
    if !any {
        r.add(
            Level::Ok,
            "tools",
            "none set up to use tokex yet (`tokex setup TOOL PROFILE`)",
        );
    }
}

fn profile(r: &mut Report, broker: &Broker, name: &str) -> Result<()> {
    let what = |check: &str| format!("{name}: {check}");
    let status = broker.status(name)?;
    let source = &status.secret.source;
    match broker.subject_check(name) {
        Ok(Some(line)) => r.add(Level::Ok, &what("subject"), line),
        Ok(None) => {}
        Err(e) => r.add(Level::Fail, &what("subject"), e.message()),
    }
    // A keyless profile's subject is all its proof: it has no secret to check.
    if broker.config().get(name)?.needs_secret() {
        secret(r, name, &status.secret.state, source);
    }
    match broker.endpoint_check(name) {
        Ok((host, status)) => r.add(
            Level::Ok,
            &what("endpoint"),
            format!("{host} answers (HTTP {status} to a GET without credentials)"),
        ),
        Err(e) => r.add(Level::Fail, &what("endpoint"), e.message()),
    }
    let cached = match status.cached {
        CachedState::Valid { until } => format!("valid until {}", rfc3339(until)),
        CachedState::Expired { at } => {
            format!("expired at {}; the next call exchanges anew", rfc3339(at))
        }
        CachedState::None => "none; the next call exchanges".into(),
    };
    r.add(Level::Ok, &what("cached token"), cached);
    Ok(())
}

fn secret(r: &mut Report, name: &str, state: &SecretState, source: &crate::broker::Description) {
    let what = format!("{name}: secret");
    match state {
        SecretState::Present if source.role == Role::Vault => {
            r.add(Level::Ok, &what, format!("stored in {}", source.name))
        }
        SecretState::Present => r.add(Level::Ok, &what, format!("{} is set", source.name)),
        SecretState::Missing(_) if source.role == Role::Vault => r.add(
            Level::Fail,
            &what,
            format!("none stored: run `tokex login {name}`"),
        ),
        SecretState::Missing(why) | SecretState::Failed(why) => r.add(Level::Fail, &what, why),
        SecretState::NotChecked => r.add(
            Level::Warn,
            &what,
            format!(
                "comes from {}, which doctor does not run (it may prompt); `tokex token` will",
                source.name
            ),
        ),
    }
}

//! `tokex exec NAME -- CMD`: CMD runs with a fresh token in its environment, and tokex becomes
//! CMD (`execvp`), so CMD's exit status, signals and standard streams are its own. The token is
//! never printed. A CMD that cannot start exits 127 (not found) or 126 (cannot run), as a shell
//! does, so scripts can tell tokex's failures from CMD's.

use crate::broker::{self, Want};
use crate::cache::Cache;
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::token::rfc3339;
use std::ffi::OsString;

pub const DEFAULT_VAR: &str = "TOKEX_TOKEN";

pub fn run(
    cache: &Cache,
    name: &str,
    profile: &Profile,
    vars: &[String],
    min_valid: time::Duration,
    command: &[OsString],
) -> Result<()> {
    let vars: Vec<&str> = if !vars.is_empty() {
        vars.iter().map(String::as_str).collect()
    } else if !profile.exec_env.is_empty() {
        profile.exec_env.iter().map(String::as_str).collect()
    } else {
        vec![DEFAULT_VAR]
    };
    for v in &vars {
        if v.is_empty() || v.contains(['=', '\0']) {
            return Err(Error::usage(format!("--env {v:?} is not a variable name")));
        }
    }
    let (program, args) = command
        .split_first()
        .ok_or_else(|| Error::usage("no command after `--`"))?;
    let token = broker::token(
        cache,
        name,
        profile,
        Want {
            min_valid,
            refresh: false,
        },
    )?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    for v in &vars {
        cmd.env(v, token.access_token.expose());
    }
    cmd.env("TOKEX_TOKEN_EXPIRES_AT", rfc3339(token.reported_expiry()));
    let shown = program.to_string_lossy();
    replace_process(cmd, &shown)
}

#[cfg(unix)]
fn replace_process(mut cmd: std::process::Command, shown: &str) -> Result<()> {
    use std::os::unix::process::CommandExt;
    // Returns only if the exec failed.
    let e = cmd.exec();
    Err(start_error(shown, &e))
}

#[cfg(not(unix))]
fn replace_process(mut cmd: std::process::Command, shown: &str) -> Result<()> {
    let status = cmd.status().map_err(|e| start_error(shown, &e))?;
    std::process::exit(status.code().unwrap_or(1));
}

fn start_error(shown: &str, e: &std::io::Error) -> Error {
    let (code, why) = match e.kind() {
        std::io::ErrorKind::NotFound => (127, "command not found"),
        std::io::ErrorKind::PermissionDenied => (126, "permission denied"),
        _ => (126, "cannot run it"),
    };
    Error::op(format!("exec {shown}: {why} ({e})")).with_code(code)
}

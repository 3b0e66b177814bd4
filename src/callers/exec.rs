//! `tokex exec NAME -- CMD`: CMD runs with a fresh token in its environment, and tokex becomes
//! CMD (`execvp`; on Windows, which cannot replace a process, tokex waits for CMD and exits with
//! its code), so CMD's exit status, signals and standard streams are its own. The token is
//! never printed. A CMD that cannot start exits 127 (not found) or 126 (cannot run), as a shell
//! does, so scripts can tell tokex's failures from CMD's.

use crate::broker::{Tokens, Want};
use crate::error::{Error, Result};
use crate::token::rfc3339;
use std::ffi::OsString;

pub const DEFAULT_VAR: &str = "TOKEX_TOKEN";

pub fn serve(
    name: &str,
    vars: &[String],
    min_valid: time::Duration,
    command: &[OsString],
    tokens: &dyn Tokens,
) -> Result<()> {
    let profile = tokens.named(name)?;
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
    let issued = tokens.token(name, Want::lasting(min_valid))?;
    let mut cmd = crate::platform::command(program);
    cmd.args(args);
    for v in &vars {
        cmd.env(v, issued.access_token());
    }
    cmd.env(
        "TOKEX_TOKEN_EXPIRES_AT",
        rfc3339(issued.token.reported_expiry()),
    );
    let shown = program.to_string_lossy();
    replace_process(cmd, &shown)
}

fn replace_process(cmd: std::process::Command, shown: &str) -> Result<()> {
    // Returns only if the command could not start.
    let e = crate::platform::become_command(cmd);
    Err(start_error(shown, &e))
}

fn start_error(shown: &str, e: &std::io::Error) -> Error {
    let (not_found, why) = match e.kind() {
        std::io::ErrorKind::NotFound => (true, "command not found"),
        std::io::ErrorKind::PermissionDenied => (false, "permission denied"),
        _ => (false, "cannot run it"),
    };
    Error::cannot_run(format!("exec {shown}: {why} ({e})"), not_found)
}

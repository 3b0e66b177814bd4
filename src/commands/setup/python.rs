//! uv and pip: `keyring-provider = "subprocess"` in the user's `uv.toml` (`$UV_CONFIG_FILE`, else
//! `~/.config/uv/uv.toml`, `%APPDATA%\uv\uv.toml`) and `keyring-provider = subprocess` in
//! pip's `[global]` (`$PIP_CONFIG_FILE`, else `~/.config/pip/pip.conf`, `%APPDATA%\pip\pip.ini`),
//! merged into what is there. Both then run `keyring` from PATH: tokex's, after `tokex
//! install-helpers --keyring`.

use super::{Change, Plan, Step, read_config};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

const KEY: &str = "keyring-provider";
const VALUE: &str = "subprocess";

fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

fn uv_path(base: &directories::BaseDirs) -> PathBuf {
    from_env("UV_CONFIG_FILE").unwrap_or_else(|| {
        crate::platform::tool_config_home(base)
            .join("uv")
            .join("uv.toml")
    })
}

fn pip_path(base: &directories::BaseDirs) -> PathBuf {
    from_env("PIP_CONFIG_FILE").unwrap_or_else(|| {
        crate::platform::tool_config_home(base)
            .join("pip")
            .join(crate::platform::PIP_CONFIG_NAME)
    })
}

fn uv_document(path: &Path) -> Result<toml_edit::DocumentMut> {
    read_config(path)?
        .parse()
        .map_err(|e: toml_edit::TomlError| {
            Error::usage(format!(
                "{} is not valid TOML: {}",
                path.display(),
                e.message()
            ))
        })
}

pub(super) fn plan_uv(base: &directories::BaseDirs) -> Result<Plan> {
    let path = uv_path(base);
    let mut doc = uv_document(&path)?;
    let mut plan = Plan::default();
    match doc.get(KEY).map(|i| i.as_str()) {
        Some(Some(VALUE)) => return Ok(keyring_notes(plan)),
        Some(other) => plan.others.push(format!(
            "{}: {KEY} is {}",
            path.display(),
            other.map_or("not a string".into(), |v| format!("{v:?}"))
        )),
        None => {}
    }
    doc[KEY] = toml_edit::value(VALUE);
    plan.steps.push(Step {
        says: format!("write {}: {KEY} = \"{VALUE}\"", path.display()),
        change: Change::Write {
            path,
            text: doc.to_string(),
            executable: false,
        },
    });
    plan.notes.push("uv asks keyring only for an index URL with a user name (https://__token__@host/simple), or with authenticate = \"always\"".into());
    Ok(keyring_notes(plan))
}

/// pip's ini: sections, and `key = value` or `key: value` lines; `_` and `-` are the same in a
/// key (pip normalises them).
fn ini_key(line: &str) -> Option<String> {
    let line = line.trim();
    if line.starts_with(['#', ';', '[']) {
        return None;
    }
    let at = line.find(['=', ':'])?;
    Some(line[..at].trim().to_ascii_lowercase().replace('_', "-"))
}

fn ini_value(line: &str) -> &str {
    line.find(['=', ':']).map_or("", |at| line[at + 1..].trim())
}

fn section(line: &str) -> Option<&str> {
    line.trim()
        .strip_prefix('[')?
        .strip_suffix(']')
        .map(str::trim)
}

pub(super) fn plan_pip(base: &directories::BaseDirs) -> Result<Plan> {
    let path = pip_path(base);
    let old = read_config(&path)?;
    let mut lines: Vec<String> = old.lines().map(str::to_string).collect();
    let mut plan = Plan::default();
    let mut current = None;
    let mut global_at = None;
    let mut in_global = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(name) = section(line) {
            current = Some(name.to_string());
            if name == "global" && global_at.is_none() {
                global_at = Some(i);
            }
            continue;
        }
        if ini_key(line).as_deref() != Some(KEY) {
            continue;
        }
        let value = ini_value(line);
        if current.as_deref() == Some("global") {
            in_global = Some(i);
        }
        if value != VALUE {
            plan.others.push(format!(
                "{}: [{}] {KEY} = {value}",
                path.display(),
                current.as_deref().unwrap_or("")
            ));
        }
    }
    let wanted = format!("{KEY} = {VALUE}");
    if plan.others.is_empty() && in_global.is_some() {
        return Ok(keyring_notes(plan));
    }
    // Others' lines in other sections ([install], [download]) would override [global]: drop them.
    let mut current = None;
    let mut kept = Vec::new();
    for (i, line) in lines.drain(..).enumerate() {
        if let Some(name) = section(&line) {
            current = Some(name.to_string());
        } else if ini_key(&line).as_deref() == Some(KEY)
            && Some(i) != in_global
            && current.as_deref() != Some("global")
        {
            continue;
        } else if Some(i) == in_global {
            kept.push(wanted.clone());
            continue;
        }
        kept.push(line);
        if Some(i) == global_at && in_global.is_none() {
            kept.push(wanted.clone());
        }
    }
    if global_at.is_none() {
        if kept.last().is_some_and(|l| !l.trim().is_empty()) {
            kept.push(String::new());
        }
        kept.push("[global]".into());
        kept.push(wanted.clone());
    }
    let mut text = kept.join("\n");
    text.push('\n');
    plan.steps.push(Step {
        says: format!("write {}: [global] {wanted}", path.display()),
        change: Change::Write {
            path,
            text,
            executable: false,
        },
    });
    Ok(keyring_notes(plan))
}

/// Both tools run `keyring` from PATH: say so when it is not tokex's.
fn keyring_notes(mut plan: Plan) -> Plan {
    if !keyring_is_tokex() {
        plan.notes.push(
            "the `keyring` on PATH is not tokex's: run `tokex install-helpers --keyring`".into(),
        );
    }
    plan
}

fn keyring_is_tokex() -> bool {
    let Some(found) = crate::platform::find_program("keyring") else {
        return false;
    };
    let ours = super::super::install::entry_target().ok();
    found
        .canonicalize()
        .ok()
        .is_some_and(|f| Some(&f) == ours.as_ref())
}

pub(super) fn uv_in_use(base: &directories::BaseDirs) -> Result<Vec<String>> {
    let path = uv_path(base);
    let on = uv_document(&path)?.get(KEY).and_then(|i| i.as_str()) == Some(VALUE);
    Ok(in_use_line(on, &path))
}

pub(super) fn pip_in_use(base: &directories::BaseDirs) -> Result<Vec<String>> {
    let path = pip_path(base);
    let text = read_config(&path)?;
    let mut current = None;
    let mut on = false;
    for line in text.lines() {
        if let Some(name) = section(line) {
            current = Some(name.to_string());
        } else if current.as_deref() == Some("global") && ini_key(line).as_deref() == Some(KEY) {
            on = ini_value(line) == VALUE;
        }
    }
    Ok(in_use_line(on, &path))
}

fn in_use_line(on: bool, path: &Path) -> Vec<String> {
    match (on, keyring_is_tokex()) {
        (false, _) => Vec::new(),
        (true, true) => vec![format!("keyring-provider subprocess in {}", path.display())],
        (true, false) => vec![format!(
            "keyring-provider subprocess in {}, but `keyring` on PATH is not tokex's",
            path.display()
        )],
    }
}

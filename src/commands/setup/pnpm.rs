//! pnpm: `//HOST[:PORT][/PATH]/:tokenHelper=WRAPPER` in the user's `~/.npmrc` (pnpm honours it
//! only there, and only as an absolute path with no arguments), and the wrapper, a small
//! program of tokex's own that runs `tokex token PROFILE --format bearer`.

use super::{Change, Entry, Plan, Step, read_config};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

pub(super) fn npmrc_path(base: &directories::BaseDirs) -> PathBuf {
    ["NPM_CONFIG_USERCONFIG", "npm_config_userconfig"]
        .into_iter()
        .find_map(|v| std::env::var_os(v).filter(|p| !p.is_empty()))
        .map(PathBuf::from)
        .unwrap_or_else(|| base.home_dir().join(".npmrc"))
}

fn wrapper_dir(base: &directories::BaseDirs) -> PathBuf {
    base.data_local_dir().join("tokex").join("pnpm")
}

/// npm's "nerf dart" for an entry: `//host[:port]/path/`, the scheme dropped.
fn nerf_dart(entry: &Entry) -> String {
    match entry.path.as_str() {
        "" => format!("//{}/", entry.host),
        p => format!("//{}/{p}/", entry.host),
    }
}

pub(super) fn plan(base: &directories::BaseDirs, profile: &str, entries: &[Entry]) -> Result<Plan> {
    let mut plan = Plan::default();
    let exe = super::super::install::entry_target()
        .map_err(|e| Error::op(format!("finding this program's path: {e}")))?;
    let (suffix, script) =
        crate::platform::wrapper_script(&exe, &["token", profile, "--format", "bearer"]);
    let wrapper = wrapper_dir(base).join(format!("{profile}{suffix}"));
    if read_config(&wrapper)? != script {
        plan.steps.push(Step {
            says: format!(
                "write {}: runs `tokex token {profile} --format bearer`",
                wrapper.display()
            ),
            change: Change::Write {
                path: wrapper.clone(),
                text: script,
                executable: true,
            },
        });
    }
    let path = npmrc_path(base);
    let old = read_config(&path)?;
    let value = wrapper.to_string_lossy().into_owned();
    let mut lines: Vec<String> = old.lines().map(str::to_string).collect();
    let mut changed = Vec::new();
    for entry in entries {
        let key = format!("{}:tokenHelper", nerf_dart(entry));
        let wanted = format!("{key}={value}");
        match lines.iter().position(|l| line_key(l) == Some(&key)) {
            Some(at) if line_value(&lines[at]) == Some(value.as_str()) => {}
            Some(at) => {
                plan.others
                    .push(format!("{}: {}", path.display(), lines[at].trim()));
                lines[at] = wanted;
                changed.push(key);
            }
            None => {
                lines.push(wanted);
                changed.push(key);
            }
        }
    }
    if !changed.is_empty() {
        let mut text = lines.join("\n");
        text.push('\n');
        plan.steps.push(Step {
            says: format!("write {}: {}={value}", path.display(), changed.join(", ")),
            change: Change::Write {
                path,
                text,
                executable: false,
            },
        });
    }
    Ok(plan)
}

fn line_key(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.starts_with(['#', ';']) {
        return None;
    }
    line.split_once('=').map(|(k, _)| k.trim())
}

fn line_value(line: &str) -> Option<&str> {
    line.split_once('=').map(|(_, v)| v.trim())
}

/// The registries whose token helper is one of tokex's wrappers.
pub(super) fn in_use(base: &directories::BaseDirs) -> Result<Vec<String>> {
    let dir = wrapper_dir(base);
    let text = read_config(&npmrc_path(base))?;
    Ok(text
        .lines()
        .filter_map(|l| Some((line_key(l)?.strip_suffix(":tokenHelper")?, line_value(l)?)))
        .filter(|(_, v)| Path::new(v).starts_with(&dir))
        .map(|(k, _)| k.to_string())
        .collect())
}

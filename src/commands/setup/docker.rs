//! docker (and podman, skopeo, helm, nerdctl, which read the same file): `credHelpers`, host by
//! host, in `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`), every other key kept
//! as it was, in its order.

use super::{Change, Entry, Plan, Step, read_config};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The value docker completes to `docker-credential-tokex`.
const HELPER: &str = "tokex";

pub(super) fn config_path(base: &directories::BaseDirs) -> PathBuf {
    std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| base.home_dir().join(".docker"))
        .join("config.json")
}

fn read(path: &Path) -> Result<Map<String, Value>> {
    let text = read_config(path)?;
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::usage(format!(
            "{} is not a JSON object; mend it, or move it away and run again",
            path.display()
        ))),
    }
}

pub(super) fn plan(path: &Path, entries: &[Entry]) -> Result<Plan> {
    let mut config = read(path)?;
    let mut plan = Plan::default();
    let helpers = config
        .entry("credHelpers")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(helpers) = helpers else {
        return Err(Error::usage(format!(
            "{}: credHelpers is not an object",
            path.display()
        )));
    };
    let mut added = Vec::new();
    for entry in entries {
        // Docker asks by registry host; a path in the match narrows nothing here.
        match helpers.get(&entry.host).and_then(Value::as_str) {
            Some(HELPER) => continue,
            Some(other) => plan.others.push(format!(
                "{}: credHelpers[{:?}] is {other:?}",
                path.display(),
                entry.host
            )),
            None if helpers.contains_key(&entry.host) => plan.others.push(format!(
                "{}: credHelpers[{:?}] is not a helper's name",
                path.display(),
                entry.host
            )),
            None => {}
        }
        if !added.contains(&entry.host) {
            helpers.insert(entry.host.clone(), Value::String(HELPER.into()));
            added.push(entry.host.clone());
        }
    }
    if added.is_empty() {
        return Ok(plan);
    }
    let mut text = Vec::new();
    let mut writer = serde_json::Serializer::with_formatter(
        &mut text,
        serde_json::ser::PrettyFormatter::with_indent(b"\t"),
    );
    serde::Serialize::serialize(&config, &mut writer)
        .map_err(|e| Error::op(format!("encoding {}: {e}", path.display())))?;
    text.push(b'\n');
    let hosts: Vec<String> = added.iter().map(|h| format!("{h:?}")).collect();
    plan.steps.push(Step {
        says: format!(
            "write {}: credHelpers {} = \"{HELPER}\"",
            path.display(),
            hosts.join(", ")
        ),
        change: Change::Write {
            path: path.to_path_buf(),
            text: String::from_utf8_lossy(&text).into_owned(),
            executable: false,
        },
    });
    Ok(plan)
}

/// The registries whose helper is tokex.
pub(super) fn in_use(path: &Path) -> Result<Vec<String>> {
    let config = read(path)?;
    Ok(config
        .get("credHelpers")
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .filter(|(_, v)| v.as_str() == Some(HELPER))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default())
}

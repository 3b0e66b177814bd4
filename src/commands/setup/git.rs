//! git: `credential.<url>.helper tokex` in the user's global config, through `git config`, for
//! each match entry; `credential.<url>.useHttpPath true` where the entry has a path, since git
//! otherwise sends its helpers no path and a per-path profile could not be told apart.

use super::{Change, Entry, Plan, Step, run_tool, stdout_of};
use crate::error::Result;

/// The helper's name in git's config: git runs `git-credential-tokex` from PATH.
const HELPER: &str = "tokex";

pub(super) fn plan(entries: &[Entry]) -> Result<Plan> {
    let mut plan = Plan::default();
    for entry in entries {
        let url = entry.url();
        let key = format!("credential.{url}.helper");
        let helpers = get_all(&key)?;
        if helpers != [HELPER] {
            let others: Vec<&str> = helpers
                .iter()
                .map(String::as_str)
                .filter(|h| *h != HELPER)
                .collect();
            let mut args = vec!["config".to_string(), "--global".into()];
            if !others.is_empty() {
                plan.others
                    .push(format!("git's {key} is {}", others.join(", ")));
                args.push("--replace-all".into());
            }
            args.extend([key.clone(), HELPER.into()]);
            plan.steps.push(step(args));
        }
        if !entry.path.is_empty() {
            let key = format!("credential.{url}.useHttpPath");
            if get_all(&key)?.last().map(String::as_str) != Some("true") {
                plan.steps.push(step(vec![
                    "config".into(),
                    "--global".into(),
                    "--replace-all".into(),
                    key,
                    "true".into(),
                ]));
            }
        }
    }
    if crate::platform::find_program("git-credential-tokex").is_none() {
        plan.notes.push(
            "git runs `git-credential-tokex`, which is not on PATH: run `tokex install-helpers`"
                .into(),
        );
    }
    Ok(plan)
}

fn step(args: Vec<String>) -> Step {
    Step {
        says: format!("run: git {}", args.join(" ")),
        change: Change::Run("git", args),
    }
}

/// A key's values in the global config, in order (none: exit 1, which is not a failure).
fn get_all(key: &str) -> Result<Vec<String>> {
    let args = ["config", "--global", "--get-all", key].map(String::from);
    let out = run_tool("git", &args)?;
    if out.status.code() == Some(1) {
        return Ok(Vec::new());
    }
    let text = stdout_of("git", &args, out)?;
    Ok(text.lines().map(str::to_string).collect())
}

/// The URLs whose helper is tokex in the global config.
pub(super) fn in_use() -> Result<Vec<String>> {
    if crate::platform::find_program("git").is_none() {
        return Ok(Vec::new());
    }
    let args = [
        "config",
        "--global",
        "--get-regexp",
        r"^credential\..*\.helper$",
    ]
    .map(String::from);
    let out = run_tool("git", &args)?;
    if out.status.code() == Some(1) {
        return Ok(Vec::new());
    }
    let text = stdout_of("git", &args, out)?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, v)| *v == HELPER)
        .filter_map(|(k, _)| k.strip_prefix("credential.")?.strip_suffix(".helper"))
        .map(str::to_string)
        .collect())
}

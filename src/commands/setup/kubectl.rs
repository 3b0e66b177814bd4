//! kubectl: a kubeconfig user named after the profile whose exec plugin is `tokex kubectl
//! PROFILE`, through `kubectl config set-credentials` (which writes the file `KUBECONFIG`
//! names, else `~/.kube/config`, and keeps the rest of it).

use super::{Change, Plan, Step, run_ok};
use crate::error::{Error, Result};
use serde::Deserialize;

const API_VERSION: &str = "client.authentication.k8s.io/v1";

#[derive(Deserialize)]
struct View {
    #[serde(default)]
    users: Option<Vec<NamedUser>>,
}

#[derive(Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Exec {
    command: String,
    #[serde(default)]
    args: Option<Vec<String>>,
    api_version: Option<String>,
    #[serde(default)]
    interactive_mode: Option<String>,
}

/// The users in the kubeconfig, from kubectl itself (credentials redacted: none are read).
fn users() -> Result<Vec<NamedUser>> {
    let text = run_ok(
        "kubectl",
        &["config", "view", "-o", "json"].map(String::from),
    )?;
    let view: View = serde_json::from_str(&text).map_err(|_| {
        Error::op("`kubectl config view -o json` printed something that is not a kubeconfig")
    })?;
    Ok(view.users.unwrap_or_default())
}

fn is_ours(user: &NamedUser, profile: &str) -> bool {
    let exec = user
        .user
        .get("exec")
        .and_then(|e| Exec::deserialize(e.clone()).ok());
    user.user.len() == 1
        && exec.is_some_and(|e| {
            e.command == "tokex"
                && e.args == Some(vec!["kubectl".into(), profile.into()])
                && e.api_version.as_deref() == Some(API_VERSION)
                && e.interactive_mode.as_deref() == Some("Never")
        })
}

pub(super) fn plan(profile: &str) -> Result<Plan> {
    let mut plan = Plan::default();
    let users = users()?;
    if let Some(user) = users.iter().find(|u| u.name == profile) {
        if is_ours(user, profile) {
            return Ok(plan);
        }
        let keys: Vec<&str> = user.user.keys().map(String::as_str).collect();
        plan.others.push(format!(
            "kubeconfig user {profile:?} has other credentials ({})",
            keys.join(", ")
        ));
        // set-credentials merges: the old credentials would stay beside the exec plugin.
        let args = vec!["config".into(), "unset".into(), format!("users.{profile}")];
        plan.steps.push(Step {
            says: format!("run: kubectl {}", args.join(" ")),
            change: Change::Run("kubectl", args),
        });
    }
    let args: Vec<String> = [
        "config",
        "set-credentials",
        profile,
        "--exec-command",
        "tokex",
        "--exec-arg",
        "kubectl",
        "--exec-arg",
        profile,
        "--exec-api-version",
        API_VERSION,
        "--exec-interactive-mode",
        "Never",
    ]
    .map(String::from)
    .into();
    plan.steps.push(Step {
        says: format!("run: kubectl {}", args.join(" ")),
        change: Change::Run("kubectl", args),
    });
    plan.notes.push(format!(
        "use it in a context: kubectl config set-context --current --user {profile}"
    ));
    Ok(plan)
}

/// The kubeconfig users whose credentials are tokex's.
pub(super) fn in_use() -> Result<Vec<String>> {
    if crate::platform::find_program("kubectl").is_none() {
        return Ok(Vec::new());
    }
    Ok(users()?
        .into_iter()
        .filter(|u| {
            u.user
                .get("exec")
                .and_then(|e| e.get("command"))
                .and_then(|c| c.as_str())
                .is_some_and(|c| c == "tokex" || c.ends_with("/tokex"))
        })
        .map(|u| u.name)
        .collect())
}

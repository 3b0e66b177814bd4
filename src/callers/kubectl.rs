//! kubectl / client-go exec credential plugin: an `ExecCredential` with the token and its expiry,
//! in the API version kubectl announced in `KUBERNETES_EXEC_INFO`. When the profile signs in,
//! allows it (`interactive = true`) and kubectl says the user is at a terminal
//! (`spec.interactive`), a missing or rejected refresh token starts the sign-in here, on stderr.

use super::{json_line, write_secret};
use crate::broker::{SignIn, Tokens, Want};
use crate::error::{Error, Result};
use crate::token::{Token, rfc3339};
use serde::{Deserialize, Serialize};
use std::io::Write;

pub const V1: &str = "client.authentication.k8s.io/v1";
pub const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

#[derive(Deserialize)]
struct ExecInfo {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    spec: Option<Spec>,
}

#[derive(Deserialize)]
struct Spec {
    /// True when kubectl gave the plugin the user's terminal (interactiveMode IfAvailable or
    /// Always, with stdin a terminal).
    #[serde(default)]
    interactive: bool,
}

/// Whether kubectl says the plugin runs where a user can answer.
pub fn interactive(exec_info: Option<&str>) -> bool {
    exec_info
        .and_then(|raw| serde_json::from_str::<ExecInfo>(raw).ok())
        .and_then(|i| i.spec)
        .is_some_and(|s| s.interactive)
}

/// The API version to answer in: kubectl's own, or v1 when run by hand without the variable.
pub fn api_version(exec_info: Option<&str>) -> Result<String> {
    let Some(raw) = exec_info.filter(|s| !s.trim().is_empty()) else {
        return Ok(V1.to_string());
    };
    let info: ExecInfo = serde_json::from_str(raw)
        .map_err(|e| Error::usage(format!("KUBERNETES_EXEC_INFO is not valid JSON ({e})")))?;
    if info.kind.as_deref().is_some_and(|k| k != "ExecCredential") {
        return Err(Error::usage(
            "KUBERNETES_EXEC_INFO is not an ExecCredential",
        ));
    }
    match info.api_version.as_deref() {
        Some(v @ (V1 | V1BETA1)) => Ok(v.to_string()),
        Some(other) => Err(Error::usage(format!(
            "KUBERNETES_EXEC_INFO apiVersion {:?} is not supported (use {V1} or {V1BETA1})",
            crate::printable::printable(other, crate::printable::SHORT)
        ))),
        None => Err(Error::usage("KUBERNETES_EXEC_INFO has no apiVersion")),
    }
}

#[derive(Serialize)]
struct ExecCredential<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'static str,
    status: Status<'a>,
}

#[derive(Serialize)]
struct Status<'a> {
    token: &'a str,
    #[serde(rename = "expirationTimestamp")]
    expiration_timestamp: String,
}

pub fn render(api_version: &str, token: &Token) -> Result<String> {
    json_line(&ExecCredential {
        api_version,
        kind: "ExecCredential",
        status: Status {
            token: token.access_token.expose(),
            expiration_timestamp: rfc3339(token.reported_expiry()),
        },
    })
}

/// `tokex kubectl NAME`: `exec_info` is `KUBERNETES_EXEC_INFO`, checked before any exchange;
/// `say` is stderr, where a sign-in talks to the user (stdin is never read).
pub fn serve(
    name: &str,
    exec_info: Option<&str>,
    tokens: &dyn Tokens,
    out: &mut dyn Write,
    say: &mut dyn Write,
) -> Result<()> {
    let version = api_version(exec_info)?;
    let signs_in = tokens.named(name)?.signs_in;
    let issued = match tokens.token(name, Want::default()) {
        Err(e) if e.is_not_found() && signs_in && interactive(exec_info) => {
            let how = SignIn {
                open_browser: true,
                timeout: None,
                unless_signed_in: true,
            };
            let accounts = tokens.accounts().ok_or(e)?;
            accounts.sign_in(name, how, say)?;
            tokens.token(name, Want::default())?
        }
        Err(e) if e.is_not_found() && signs_in => {
            return Err(Error::not_found(format!(
                "{} (kubectl ran tokex without a terminal, so it cannot sign in here: kubectl's own stdin is not a terminal (a pipe, a script, an IDE), or the kubeconfig says interactiveMode: Never; run `tokex login {name}` at a terminal first)",
                e.message()
            ))
            .for_profile(name));
        }
        other => other?,
    };
    write_secret(out, render(&version, &issued.token)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_the_announced_version() {
        assert_eq!(api_version(None).unwrap(), V1);
        let v1beta1 = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}"#;
        assert_eq!(api_version(Some(v1beta1)).unwrap(), V1BETA1);
        for bad in [
            "{",
            "[]",
            r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
            r#"{"kind":"Pod","apiVersion":"client.authentication.k8s.io/v1"}"#,
        ] {
            let e = api_version(Some(bad)).unwrap_err();
            assert!(e.to_string().contains("KUBERNETES_EXEC_INFO"), "{e}");
        }
    }

    #[test]
    fn only_an_interactive_kubectl_and_a_willing_profile_start_a_sign_in() {
        let config = "[profiles.c]\nprovider = \"oauth2\"\nissuer = \"https://idp.example\"\nclient_id = \"k\"\ngrant = \"device_code\"\ninteractive = true\n";
        let at_terminal = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}"#;
        let no_terminal = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
        for (text, info, signs_in) in [
            (config.to_string(), Some(at_terminal), true),
            (config.to_string(), Some(no_terminal), false),
            (config.to_string(), None, false),
            (
                config.replace("interactive = true\n", ""),
                Some(at_terminal),
                false,
            ),
        ] {
            let mut fake = crate::callers::fake::Fake::new(&text);
            fake.token = None;
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let e = serve("c", info, &fake, &mut out, &mut err).unwrap_err();
            let asked = fake.asked().join(", ");
            assert_eq!(
                asked.contains("sign_in c browser=true unless_signed_in=true"),
                signs_in,
                "{asked}"
            );
            assert!(out.is_empty(), "a sign-in wrote to stdout");
            if signs_in {
                assert_eq!(String::from_utf8(err).unwrap(), "fake sign-in for c\n");
            } else {
                assert!(err.is_empty());
                assert!(e.is_not_found(), "{e}");
            }
        }
        let info = r#"{"spec":{"interactive":true}}"#;
        assert!(interactive(Some(info)) && !interactive(Some("{}")) && !interactive(None));
    }

    #[test]
    fn exact_output() {
        let t = Token::sample("tok", time::Duration::hours(1));
        assert_eq!(
            render(V1, &t).unwrap(),
            "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok\",\"expirationTimestamp\":\"2026-11-23T10:59:00Z\"}}\n"
        );
    }
}

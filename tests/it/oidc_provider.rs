//! Signing in at a real OpenID Certified provider, panva's `oidc-provider` (installed from npm
//! into tests/support/oidc-provider on first use): the browser flow asks for `offline_access`
//! with `prompt=consent`, as OpenID Connect Core §11 requires, so the provider issues a refresh
//! token, and the profile then refreshes through it. Without the consent prompt the provider
//! drops `offline_access` and tokex says what was asked and what was granted.

// Runs the Linux binary with the kernel keyring as throw-away users, and node.
#![cfg(target_os = "linux")]

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/oidc-provider");

/// The provider, stopped when dropped (its stdin closes).
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider() -> Provider {
    start_provider_with(&[])
}

fn start_provider_with(env: &[(&str, &str)]) -> Provider {
    if !Path::new(DIR).join("node_modules/oidc-provider").exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix", DIR])
            .output()
            .expect("npm (node 20 and npm) is needed to install oidc-provider");
        assert!(
            out.status.success(),
            "npm ci in {DIR}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut child = Command::new("node")
        .arg(Path::new(DIR).join("server.js"))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node");
    let mut issuer = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut issuer).unwrap();
    // Whatever else it prints is drained: a closed pipe would end node at its next write.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let issuer = issuer.trim().to_string();
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer:?}");
    Provider { child, issuer }
}

fn signing_in(provider: &Provider, env: &mut Env, name: &str) {
    let script = env.dir.path().join("browser.py");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/browser.py"),
        &script,
    )
    .unwrap();
    env.set("BROWSER", &format!("python3 {}", script.display()));
    env.set(
        "STANDIN_LOG",
        &env.dir.path().join("browser.json").display().to_string(),
    );
    let out = env.run(
        &[
            "profile",
            "add",
            name,
            "--provider",
            "oauth2",
            "--issuer",
            &provider.issuer,
            "--client-id",
            "tokex",
            "--grant",
            "authorization_code",
        ],
        "",
    );
    assert!(out.status.success(), "profile add: {}", stderr(&out));
}

#[test]
fn a_certified_provider_grants_a_refresh_token_to_the_browser_sign_in() {
    let provider = start_provider();
    let mut env = Env::keyutils();
    signing_in(&provider, &mut env, "op");
    let out = env.run(&["login", "op", "--timeout", "60"], "");
    let seen = std::fs::read_to_string(env.dir.path().join("browser.json")).unwrap_or_default();
    assert!(
        out.status.success(),
        "{}\nthe browser saw: {seen}",
        stderr(&out)
    );
    let first = env.ok(&["token", "op"]);
    assert!(!first.trim().is_empty());
    // Only a stored refresh token can mint another token without the browser.
    let second = env.ok(&["token", "op", "--refresh"]);
    assert!(
        !second.trim().is_empty() && second != first,
        "{first} {second}"
    );
}

#[test]
fn without_the_consent_prompt_it_drops_offline_access_and_tokex_says_so() {
    let provider = start_provider();
    let mut env = Env::keyutils();
    signing_in(&provider, &mut env, "op");
    let text = std::fs::read_to_string(env.config()).unwrap();
    env.write_config(&text.replace(
        "grant = \"authorization_code\"",
        "grant = \"authorization_code\"\nconsent_prompt = false",
    ));
    let out = env.run(&["login", "op", "--timeout", "60"], "");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("issued no refresh token, so tokex could not renew the sign-in: asked for scope \"openid offline_access\", it granted \"openid\""),
        "{err}"
    );
    assert!(err.trim_end().ends_with("nothing was stored"), "{err}");
}

/// A key-pair client: `--generate-key` prints the JWK the provider registers, the provider
/// accepts the assertions tokex signs with it (client_credentials), and its introspection says
/// the token is active. The provider refuses a replayed `jti`, so the second exchange proves a
/// fresh one.
#[test]
fn a_certified_provider_accepts_the_private_key_jwt_client_tokex_generated() {
    let env = Env::keyutils();
    // The key first: the provider registers the client with it when it starts.
    let placeholder = "provider = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"robot\"\nclient_auth = \"private_key_jwt\"";
    env.write_config(&profile("robot", placeholder));
    let out = env.run(&["login", "robot", "--generate-key"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let jwk = stdout(&out);
    let provider = start_provider_with(&[("ROBOT_JWK", jwk.trim())]);
    let token_url = format!("{}/token", provider.issuer);
    env.write_config(&profile(
        "robot",
        &placeholder.replace("http://127.0.0.1:9/token", &token_url),
    ));
    let first = env.ok(&["token", "robot"]);
    let second = env.ok(&["token", "robot", "--refresh"]);
    assert_ne!(first, second);
    for token in [first.trim(), second.trim()] {
        let body = reqwest::blocking::Client::new()
            .post(format!("{}/token/introspection", provider.issuer))
            .basic_auth("inspector", Some("inspector-secret"))
            .form(&[("token", token)])
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["active"], true, "{answer}");
        assert_eq!(answer["client_id"], "robot", "{answer}");
    }
    let config = std::fs::read_to_string(env.config()).unwrap();
    assert!(!config.contains("PRIVATE"), "{config}");
}

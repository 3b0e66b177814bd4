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

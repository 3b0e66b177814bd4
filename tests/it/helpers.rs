//! The files in `helpers/` are what users paste: each tool must accept its snippet, and each
//! shim must reach tokex.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use std::process::Command;

fn helpers(name: &str) -> String {
    format!("{}/helpers/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(c: &mut Command) -> (bool, String, String) {
    let out = c.output().unwrap();
    (out.status.success(), stdout(&out), stderr(&out))
}

#[test]
fn git_accepts_the_gitconfig_snippet() {
    let (ok, out, err) = run(Command::new("git").args([
        "config",
        "-f",
        &helpers("gitconfig"),
        "--get-regexp",
        "^credential\\.",
    ]));
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "credential.https://git.example.com.helper tokex\ncredential.https://git.example.com.usehttppath true\n"
    );
}

#[test]
fn kubectl_accepts_the_kubeconfig_snippet() {
    let home = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(Command::new("kubectl")
        .env("HOME", home.path())
        .args([
            "config",
            "view",
            "--kubeconfig",
            &helpers("kubeconfig.yaml"),
            "-o",
            "jsonpath={.users[0].user.exec.command} {.users[0].user.exec.args} {.users[0].user.exec.interactiveMode}",
        ]));
    assert!(ok, "{err}");
    assert_eq!(out, "tokex [\"kubectl\",\"acme-vcd\"] Never");
}

#[test]
fn docker_config_snippet_names_the_helper() {
    let text = std::fs::read_to_string(helpers("docker-config.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["credHelpers"]["registry.example.com"], "tokex");
}

/// `helpers/terraformrc` itself is the CLI config of the real terraform run in tests/it/terraform.rs.
#[test]
fn terraform_accepts_the_external_example() {
    let home = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(Command::new("terraform")
        .args(["fmt", "-check", "-diff", &helpers("external.tf")])
        .env("HOME", home.path())
        .env("CHECKPOINT_DISABLE", "1"));
    assert!(ok, "external.tf is not canonical terraform: {out}{err}");
}

#[test]
fn shims_reach_tokex() {
    let tokex = env!("CARGO_BIN_EXE_tokex");
    let (ok, out, err) = run(Command::new(helpers("git-credential-tokex"))
        .arg("capability")
        .env("TOKEX_BIN", tokex));
    assert!(ok, "{err}");
    assert_eq!(out, "version 0\ncapability authtype\n");
    let (ok, out, err) = run(Command::new(helpers("docker-credential-tokex"))
        .arg("version")
        .env("TOKEX_BIN", tokex));
    assert!(ok, "{err}");
    assert!(out.starts_with("docker-credential-tokex (tokex "), "{out}");
    let env = Env::keyutils();
    let (ok, out, err) = run(env
        .tool(
            &helpers("terraform-credentials-tokex"),
            &["get", "app.example.com"],
        )
        .env("TOKEX_BIN", tokex));
    assert!(ok, "{err}");
    assert_eq!(out, "{}\n");
    let mut c = env.tool(&helpers("cargo-credential-tokex"), &["--cargo-plugin"]);
    c.env("TOKEX_BIN", tokex);
    let out = env.run_tool(c, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{\"v\":[1]}\n");
    let mut c = env.tool(&helpers("bazel-credential-tokex"), &["get"]);
    c.env("TOKEX_BIN", tokex);
    let out = env.run_tool(c, r#"{"uri":"https://cache.example.com/x"}"#);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{}\n");
}

#[test]
fn cargo_config_snippet_names_the_provider() {
    let text = std::fs::read_to_string(helpers("cargo-config.toml")).unwrap();
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    let acme = &doc["registries"]["acme"];
    assert!(
        acme["index"]
            .as_str()
            .unwrap()
            .starts_with("sparse+https://")
    );
    assert_eq!(
        acme["credential-provider"]
            .as_array()
            .unwrap()
            .get(0)
            .unwrap()
            .as_str(),
        Some("cargo-credential-tokex")
    );
}

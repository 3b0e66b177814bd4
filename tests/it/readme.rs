//! The README as a new user meets it: every `tokex …` command it shows is one the CLI accepts,
//! and the commands that need no cloud account work on a clean HOME.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use clap::Parser;

/// `tokex …` command lines inside the README's ```sh blocks, continuation lines joined.
pub fn readme_commands() -> Vec<String> {
    let text = include_str!("../../README.md");
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = line.trim();
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        let full = std::mem::take(&mut pending) + line;
        // Every `tokex` invocation on the line, also inside `$(…)` and after `|` or `&&`.
        for piece in full.split(['|', '(', ')', ';']).flat_map(|p| p.split("&&")) {
            let piece = piece.trim().trim_start_matches("$ ");
            let piece = piece
                .split(" #")
                .next()
                .unwrap()
                .split(" >")
                .next()
                .unwrap()
                .trim()
                .trim_end_matches('&')
                .trim();
            if piece.starts_with("tokex ") {
                out.push(piece.trim_end_matches('"').to_string());
            }
        }
    }
    out
}

/// Splits like a shell for the simple quoting the README uses.
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[test]
fn every_tokex_command_in_the_readme_parses() {
    let commands = readme_commands();
    assert!(commands.len() >= 15, "found only {commands:?}");
    for cmd in &commands {
        if let Err(e) = tokex::cli::Cli::try_parse_from(words(cmd)) {
            panic!("README command `{cmd}` does not parse: {e}");
        }
    }
}

#[test]
fn first_run_on_a_clean_home() {
    let env = Env::keyutils();
    // Nothing configured yet: status and doctor explain, and succeed.
    let status = env.ok(&["status"]);
    assert!(status.contains("secret store: keyutils"), "{status}");
    let doctor = env.ok(&["doctor"]);
    assert!(doctor.contains("warn profiles: none yet"), "{doctor}");
    // The README's offline demo.
    assert!(env.ok(&["demo"]).contains("saw 7 exchanges for 7 profiles"));
    // Helpers and completions.
    env.install_helpers();
    for name in [
        "git-credential-tokex",
        "docker-credential-tokex",
        "cargo-credential-tokex",
        "bazel-credential-tokex",
    ] {
        assert!(env.bin().join(name).exists(), "{name}");
    }
    assert!(
        env.dir
            .path()
            .join(".terraform.d/plugins/terraform-credentials-tokex")
            .exists()
    );
    let script = env.ok(&["completions", "bash"]);
    let out = env.run_tool(env.tool("bash", &["-n"]), &script);
    assert!(
        out.status.success(),
        "bash rejects the completion script: {}",
        stderr(&out)
    );
    for shell in ["zsh", "fish", "powershell"] {
        assert!(env.ok(&["completions", shell]).contains("tokex"), "{shell}");
    }
    // A first profile, the way the README adds one.
    env.ok(&[
        "profile",
        "add",
        "acme-vcd",
        "--provider",
        "vcd",
        "--url",
        "https://vcd.example.com",
        "--tenant",
        "acme",
    ]);
    assert!(
        env.ok(&["profile", "list"])
            .starts_with("acme-vcd\tvcd\thttps://vcd.example.com")
    );
    let out = env.run(&["token", "acme-vcd"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("run `tokex login acme-vcd`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn readme_and_man_page_show_the_exit_codes_the_program_uses() {
    let table = tokex::error::exit_code_table();
    assert!(
        include_str!("../../README.md").contains(&table),
        "README.md's exit-code table differs from error::exit_code_table():\n{table}"
    );
    let man = include_str!("../../man/tokex.1");
    for line in table.lines() {
        let meaning = line.trim().split_once(' ').unwrap().1.trim();
        let roff = meaning.replace('\'', "\\*(Aq");
        assert!(
            man.contains(meaning) || man.contains(&roff),
            "man/tokex.1 lacks {meaning:?}"
        );
    }
}

//! Completion as a user meets it: real bash, with the script `tokex completions bash` prints,
//! completes the profile names configured at that moment, and `--store` only this platform's
//! stores.

// Runs the Linux binary under the real bash.
#![cfg(target_os = "linux")]

use crate::support::*;

/// What bash's completion function offers for `words`, completing the last one.
fn complete(env: &Env, words: &[&str]) -> Vec<String> {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_tokex"))
        .parent()
        .unwrap()
        .to_path_buf();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(tokex completions bash) || exit 3\n\
         COMP_WORDS=({}); COMP_CWORD={}; COMP_TYPE=9\n\
         _clap_complete_tokex tokex \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len() - 1
    );
    let mut c = env.tool("bash", &["-c", &script]);
    c.env("PATH", format!("{}:/usr/bin:/bin", bin.display()));
    let out = env.run_tool(c, "");
    assert!(out.status.success(), "bash: {}", stderr(&out));
    stdout(&out).lines().map(str::to_string).collect()
}

#[test]
fn profile_arguments_complete_to_the_configured_profiles() {
    let env = Env::with_store(Vec::new());
    env.write_config(&format!(
        "{}{}",
        profile("acme-vcd", "provider = \"vmware-csp\""),
        profile("corp-k8s", "provider = \"vmware-csp\"")
    ));
    for words in [
        &["tokex", "token", ""][..],
        &["tokex", "login", ""],
        &["tokex", "logout", ""],
        &["tokex", "kubectl", ""],
        &["tokex", "exec", ""],
        &["tokex", "profile", "show", ""],
        &["tokex", "profile", "remove", ""],
        &["tokex", "git", "--profile", ""],
    ] {
        let offered = complete(&env, words);
        assert!(
            offered.contains(&"acme-vcd".to_string()) && offered.contains(&"corp-k8s".to_string()),
            "{words:?}: {offered:?}"
        );
    }
    assert_eq!(complete(&env, &["tokex", "token", "co"]), ["corp-k8s"]);
    // A profile added later is offered at the next TAB: nothing was generated ahead.
    env.write_config(&profile("later", "provider = \"vmware-csp\""));
    assert_eq!(complete(&env, &["tokex", "login", "l"]), ["later"]);
}

#[test]
fn a_config_that_cannot_be_read_completes_only_flags_and_prints_no_error() {
    let env = Env::with_store(Vec::new());
    env.write_config("[profiles.broken\n");
    let offered = complete(&env, &["tokex", "token", ""]);
    assert!(offered.iter().all(|w| w.starts_with("--")), "{offered:?}");
    assert!(offered.contains(&"--min-valid".to_string()), "{offered:?}");
}

#[test]
fn store_offers_only_this_platform_s_stores() {
    let env = Env::with_store(Vec::new());
    let offered = complete(&env, &["tokex", "profile", "add", "x", "--store", ""]);
    assert_eq!(offered, ["secret-service", "keyutils", "pass"]);
    let out = env.run(
        &[
            "profile",
            "add",
            "x",
            "--provider",
            "vmware-csp",
            "--store",
            "wincred",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("possible values: secret-service, keyutils, pass"),
        "{}",
        stderr(&out)
    );
}

/// The scripts the Debian package installs in the shells' vendor directories are what
/// `tokex completions SHELL` prints. Regenerate with `TOKEX_UPDATE_COMPLETIONS=1 cargo test
/// --test it completion::`.
#[test]
fn packaged_completion_scripts_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("helpers/completions");
    for (shell, file) in [
        (clap_complete::Shell::Bash, "tokex.bash"),
        (clap_complete::Shell::Zsh, "_tokex"),
        (clap_complete::Shell::Fish, "tokex.fish"),
    ] {
        let mut script = Vec::new();
        tokex::commands::completions(shell, &mut script).unwrap();
        let path = dir.join(file);
        if std::env::var_os("TOKEX_UPDATE_COMPLETIONS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &script).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap_or_default();
        assert!(
            on_disk == script,
            "{} is out of date: run TOKEX_UPDATE_COMPLETIONS=1 cargo test --test it completion::",
            path.display()
        );
    }
}

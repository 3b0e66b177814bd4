//! `tokex exec`: CMD gets the token in its environment and takes over the process: its own exit
//! status, signals and streams; 127/126 when it cannot start.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use std::os::unix::process::ExitStatusExt;

fn env() -> (Fake, Env) {
    let fake = Fake::ok(r#"{"access_token":"exec-token","token_type":"Bearer","expires_in":3600}"#);
    let env = env_with_secret(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"",
            fake.url()
        ),
        "client-secret",
    );
    (fake, env)
}

#[test]
fn cmd_gets_the_token_and_its_exit_status_is_tokex_s() {
    let (_fake, env) = env();
    let out = env.run(
        &[
            "exec",
            "p",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$TOKEX_TOKEN\" \"$TOKEX_TOKEN_EXPIRES_AT\" \"$(cat)\"; exit 7",
        ],
        "from stdin",
    );
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    let parts: Vec<&str> = text.split('|').collect();
    assert_eq!(parts[0], "exec-token");
    assert!(
        time::OffsetDateTime::parse(parts[1], &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{text}"
    );
    assert_eq!(parts[2], "from stdin");

    // Named variables replace the default.
    let out = env.run(
        &[
            "exec",
            "p",
            "--env",
            "VCD_TOKEN",
            "--env",
            "OTHER",
            "--",
            "sh",
            "-c",
            "printf '%s %s [%s]' \"$VCD_TOKEN\" \"$OTHER\" \"${TOKEX_TOKEN:-}\"",
        ],
        "",
    );
    assert_eq!(stdout(&out), "exec-token exec-token []");

    // A signal ends CMD, and so the process tokex became.
    let out = env.run(&["exec", "p", "--", "sh", "-c", "kill -TERM $$"], "");
    assert_eq!(out.status.signal(), Some(15));
}

#[test]
fn the_profile_s_exec_env_is_the_default() {
    let (fake, mut env) = env();
    env.write_config(&profile(
        "p",
        &format!("provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nsecret_env = \"SECRET\"\nexec_env = [\"VCD_TOKEN\"]", fake.url()),
    ));
    env.set("SECRET", "client-secret");
    let out = env.run(
        &["exec", "p", "--", "sh", "-c", "printf '%s' \"$VCD_TOKEN\""],
        "",
    );
    assert_eq!(stdout(&out), "exec-token");
}

#[test]
fn a_command_without_the_separator_is_told_where_it_goes() {
    let (_fake, e) = env();
    let out = e.run(&["exec", "p", "true"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "tokex: unexpected argument 'true' found; the command goes after `--`: tokex exec NAME -- CMD [ARGS...] (see --help)\n"
    );
}

#[test]
fn a_cmd_that_cannot_start_is_127_or_126_like_a_shell() {
    let (_fake, env) = env();
    let out = env.run(&["exec", "p", "--", "no-such-command-tokex"], "");
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(
        stderr(&out).contains("exec no-such-command-tokex: command not found"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("exec-token"));

    let script = env.dir.path().join("not-executable");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let out = env.run(&["exec", "p", "--", &path_str(&script)], "");
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("permission denied"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["exec", "p"], "");
    assert_eq!(out.status.code(), Some(2), "no command is a usage error");
}

#[test]
fn a_minimum_beyond_the_token_lifetime_is_said_once_and_exchanged_once() {
    let (fake, env) = env();
    for _ in 0..3 {
        let out = env.run(
            &[
                "exec",
                "p",
                "--min-valid",
                "2h",
                "--",
                "sh",
                "-c",
                "printf %s \"$TOKEX_TOKEN\"",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), "exec-token");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("tokex: p: warning: oauth2 tokens live 1h, so the 2h of validity asked for cannot be met; this one is valid for "),
            "{err}"
        );
    }
    assert_eq!(fake.count(), 1, "the cached token served every call");
}

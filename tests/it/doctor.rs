//! `tokex doctor`: each check ok/warn/fail with the fix; no secret sent or printed.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;

const CANARY: &str = "canary-secret-d0c70r";

#[test]
fn healthy_profile_passes_without_sending_the_secret() {
    let issuer = Issuer::new();
    let mut env = issuer.env("p", &[]);
    env.set("SECRET", CANARY);
    let out = env.run(&["doctor"], "");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("ok   config: "), "{text}");
    assert!(
        text.contains("ok   p: secret: secret_env SECRET is set"),
        "{text}"
    );
    assert!(
        text.contains("ok   cache: ") && text.contains("(writable)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ok   p: endpoint: {} answers",
            issuer.server.addr()
        )),
        "{text}"
    );
    assert!(text.contains("ok   p: cached token: none"), "{text}");
    assert!(!text.contains(CANARY) && !stderr(&out).contains(CANARY));
    assert!(issuer.issued().is_empty(), "doctor exchanged a secret");
}

#[test]
fn problems_are_fail_lines_with_the_fix_and_exit_1() {
    let env = Env::keyutils();
    // The kernel store's entries outlive a test's session keyring: a name no other test uses.
    let name = format!("doctor-missing-{}", std::process::id());
    env.write_config(&profile(
        &name,
        "provider = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"ci\"\ntimeout = 2",
    ));
    let out = env.run(&["doctor", &name], "");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!(
            "fail {name}: secret: none stored: run `tokex login {name}`"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "fail {name}: endpoint: cannot connect to 127.0.0.1:9"
        )),
        "{text}"
    );
    assert_eq!(
        stderr(&out),
        "tokex: doctor found problems (the `fail` lines above)\n"
    );

    env.write_config("[profiles.p\n");
    let out = env.run(&["doctor"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("fail config: ") && stdout(&out).contains(": line 1: "),
        "{}",
        stdout(&out)
    );
    // `profile add` refuses a file it cannot read, so doctor does not suggest it.
    assert!(!stdout(&out).contains("profile add"), "{}", stdout(&out));
}

#[test]
fn a_cache_that_cannot_be_written_is_a_warning_found_by_writing() {
    let issuer = Issuer::new();
    let mut env = issuer.env("p", &[]);
    env.set("SECRET", CANARY);
    // A file where the cache directory should be: no mode bits to trust, writing is the test
    // (this suite runs as root in CI, where a read-only mode alone would not stop a write).
    let blocker = env.dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    env.set("TOKEX_CACHE_DIR", &path_str(&blocker.join("cache")));
    let out = env.run(&["doctor"], "");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(
        text.contains("warn cache: ") && text.contains("tokens are not cached"),
        "{text}"
    );
}

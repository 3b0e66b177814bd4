//! The kernel keyring as users meet it: a login in one session and a token in another, from a
//! plain shell with no session keyring of its own (CI runners, cron, containers, SSH without
//! pam_keyinit), and after every failure nothing left in `/proc/keys`. Each environment is a
//! throw-away user, so these tests touch no one's keyrings.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;

const OK: &str = r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#;

fn env_in(session: Session, fake: &Fake) -> Env {
    let e = Env::keyutils_in(session);
    e.write_config(&profile(
        "p",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
    ));
    e
}

/// Whether this test process has no session keyring of its own, so a child falls back to its
/// user's `_uid_ses.UID` (the state of CI runners and cron jobs).
fn harness_in_fallback(e: &Env) -> bool {
    let mut c = std::process::Command::new("keyctl");
    c.args(["rdescribe", "@s"]);
    e.user.as_ref().unwrap().apply_in(&mut c, Session::Inherit);
    let out = c
        .output()
        .expect("keyctl: install the keyutils package (see .ci/run)");
    String::from_utf8_lossy(&out.stdout).contains("_uid_ses.")
}

fn login_then_token_in_another_process(e: &Env, fake: &Fake) {
    let out = e.run(&["login", "p", "--stdin"], "kernel-secret\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stored in keyutils"),
        "{}",
        stderr(&out)
    );
    token_presents(e, fake, "kernel-secret");
}

/// A fresh `tokex token` (cache cleared) presents `secret` at the endpoint.
fn token_presents(e: &Env, fake: &Fake, secret: &str) {
    e.ok(&["cache", "clear", "p"]);
    assert_eq!(e.ok(&["token", "p"]), "at-1\n");
    let last = fake.request(fake.count() - 1);
    assert_eq!(last.form_value("api_token").as_deref(), Some(secret));
}

#[test]
fn a_fresh_session_keyring_for_each_process() {
    // `keyctl session - tokex …` for every call: login and token never share a session keyring,
    // as two SSH logins of one user do not.
    let fake = Fake::ok(OK);
    let e = env_in(Session::Fresh, &fake);
    login_then_token_in_another_process(&e, &fake);
    e.ok(&["logout", "p"]);
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
}

#[test]
fn a_plain_shell_without_a_session_keyring() {
    let fake = Fake::ok(OK);
    let e = env_in(Session::Inherit, &fake);
    if !harness_in_fallback(&e) {
        // CI's second pass runs the suite inside `keyctl session -`; the first pass, outside
        // any session keyring, is the one that exercises the fallback here.
        eprintln!("this run has a session keyring: the fallback case runs in the other CI pass");
    }
    login_then_token_in_another_process(&e, &fake);
    let status = e.ok(&["status", "p"]);
    assert!(
        status.contains("p: provider vmware-csp; secret stored"),
        "{status}"
    );
    e.ok(&["logout", "p"]);
    assert_eq!(e.kernel_keys(), Vec::<String>::new(), "logout left the key");
}

#[test]
fn stored_in_a_session_read_from_a_plain_shell_and_back() {
    let fake = Fake::ok(OK);
    let mut e = env_in(Session::Fresh, &fake);
    e.login("p", "from-a-session");
    e.user.as_mut().unwrap().session = Session::Inherit;
    token_presents(&e, &fake, "from-a-session");
    // And logout from the plain shell removes what the session stored.
    let out = e.run(&["logout", "p"], "");
    assert!(
        stderr(&out).contains("secret and cached token removed"),
        "{}",
        stderr(&out)
    );
    e.user.as_mut().unwrap().session = Session::Fresh;
    let out = e.run(&["token", "p"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
}

#[test]
fn failures_leave_nothing_in_the_kernel() {
    let fake = Fake::new(vec![Response::json(
        400,
        r#"{"moduleCode":340,"message":"invalid_grant: Invalid refresh token"}"#,
    )]);
    for session in [Session::Inherit, Session::Fresh] {
        let e = env_in(session, &fake);
        // Refused by the server: not stored.
        let out = e.run(&["login", "p", "--stdin"], "refused-secret\n");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(e.kernel_keys(), Vec::<String>::new(), "{session:?}");
        // Larger than the kernel lets an ordinary user keep (20000 bytes by default), and larger
        // than a key holds at all: one line naming the limit, nothing stored.
        for (size, code, why) in [(25_000, 1, "quota"), (40_000, 2, "at most 32767")] {
            let big = "x".repeat(size);
            let out = e.run(
                &["login", "p", "--stdin", "--no-verify"],
                &format!("{big}\n"),
            );
            assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
            let err = stderr(&out);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(why), "{err}");
            assert!(!err.contains("xxxx"));
            assert_eq!(e.kernel_keys(), Vec::<String>::new(), "{session:?}");
        }
    }
}

#[test]
fn a_16_kb_secret_reads_back_exactly() {
    let fake = Fake::ok(OK);
    let e = env_in(Session::Fresh, &fake);
    let secret: String = (0..16 * 1024)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let out = e.run(
        &["login", "p", "--stdin", "--no-verify"],
        &format!("{secret}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(e.ok(&["token", "p"]), "at-1\n");
    assert_eq!(
        fake.request(0).form_value("api_token").as_deref(),
        Some(secret.as_str())
    );
    e.ok(&["logout", "p"]);
}

#[test]
fn the_same_scenarios_with_the_suite_inside_a_session_keyring() {
    // The suite's own state decides what `Session::Inherit` means: run these tests again from
    // inside `keyctl session -`, so both situations are tested by one `cargo test`.
    if std::env::var_os("TOKEX_TEST_IN_SESSION").is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("keyctl")
        .args(["session", "-"])
        .arg(&exe)
        .args([
            "keyutils::",
            "--skip",
            "the_same_scenarios",
            "--test-threads",
            "2",
        ])
        .env("TOKEX_TEST_IN_SESSION", "1")
        .output()
        .expect("keyctl: install the keyutils package (see .ci/run)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("test result: ok. 7 passed"), "{text}");
}

#[test]
fn logout_also_removes_a_key_an_older_tokex_left_in_the_session_keyring() {
    let fake = Fake::ok(OK);
    let e = env_in(Session::Fresh, &fake);
    // What tokex 0.1 (keyring-core's keyutils store) wrote: `keyring:PROFILE@tokex`, linked into
    // the persistent keyring. Planted by the same user in a session of its own.
    let mut plant = std::process::Command::new("sh");
    plant.args(["-c", "echo old-secret | keyctl padd user keyring:p@tokex \"$(keyctl get_persistent @s)\" >/dev/null"]);
    e.user
        .as_ref()
        .unwrap()
        .apply_in(&mut plant, Session::Fresh);
    assert!(plant.status().unwrap().success());
    assert_eq!(e.kernel_keys().len(), 1, "{:?}", e.kernel_keys());
    let out = e.run(&["logout", "p"], "");
    assert!(
        stderr(&out).contains("secret and cached token removed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
}

#[test]
fn a_session_bus_that_does_not_answer_leaves_the_default_to_the_kernel_keyring() {
    let fake = Fake::ok(OK);
    let mut e = env_in(Session::Fresh, &fake);
    e.store_env = vec![(
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/bus".into(),
    )];
    let out = e.run(&["login", "p", "--stdin"], "via-default\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stored in keyutils"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("default: no Secret Service answers on the session bus"),
        "{}",
        stderr(&out)
    );
    e.ok(&["logout", "p"]);
}

//! `TOKEX_STORE=pass`: secrets in a real password store (the real `pass` and `gpg`, a key made
//! for the test), compatible both ways with the user's own `pass`, and every failure one line.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::pass::PassStore;
use crate::support::*;

const OK: &str = r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#;

fn csp(fake: &Fake) -> String {
    profile(
        "p",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
    )
}

#[test]
fn login_token_logout_and_the_user_s_own_pass_agree() {
    let store = PassStore::new();
    let fake = Fake::ok(OK);
    let e = store.env();
    e.write_config(&csp(&fake));
    let out = e.run(&["login", "p", "--stdin"], "pass-secret-1\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stored in pass (your password store"),
        "{}",
        stderr(&out)
    );
    // The user's pass shows what tokex stored; the file is encrypted, never the secret in clear.
    assert_eq!(
        stdout(&store.pass(&["show", "tokex/p"], "")),
        "pass-secret-1\n"
    );
    let file = std::fs::read(store.store_dir().join("tokex/p.gpg")).unwrap();
    assert!(!String::from_utf8_lossy(&file).contains("pass-secret-1"));
    e.ok(&["cache", "clear", "p"]);
    assert_eq!(e.ok(&["token", "p"]), "at-1\n");
    assert_eq!(
        fake.request(1).form_value("api_token").as_deref(),
        Some("pass-secret-1")
    );
    // A secret the user put there with pass is the one tokex uses.
    store.pass(
        &["insert", "--multiline", "--force", "tokex/p"],
        "typed-by-the-user\n",
    );
    e.ok(&["token", "p", "--refresh"]);
    assert_eq!(
        fake.request(2).form_value("api_token").as_deref(),
        Some("typed-by-the-user")
    );
    let status = e.ok(&["status", "p"]);
    assert!(
        status.contains("p: provider vmware-csp; secret stored"),
        "{status}"
    );
    let doctor = e.ok(&["doctor", "p"]);
    assert!(
        doctor.contains("ok   secret store: pass (TOKEX_STORE=pass) answers"),
        "{doctor}"
    );
    e.ok(&["logout", "p"]);
    assert!(!store.pass(&["show", "tokex/p"], "").status.success());
    // Nothing but the .gpg-id is left: no probe entry, no temporary file.
    let left: Vec<_> = walk(&store.store_dir());
    assert_eq!(left, [".gpg-id"], "{left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    out
}

#[test]
fn a_rotated_refresh_token_is_written_back_through_pass() {
    let store = PassStore::new();
    let fake = Fake::new(vec![
        Response::json(
            200,
            r#"{"access_token":"a1","expires_in":3600,"refresh_token":"rt-2"}"#,
        ),
        Response::json(
            200,
            r#"{"access_token":"a2","expires_in":3600,"refresh_token":"rt-3"}"#,
        ),
    ]);
    let e = store.env();
    e.write_config(&profile(
        "p",
        &format!(
            "provider = \"vcd\"\nurl = \"{}\"\ntenant = \"t\"",
            fake.url()
        ),
    ));
    e.login("p", "rt-1");
    assert_eq!(stdout(&store.pass(&["show", "tokex/p"], "")), "rt-2\n");
    assert_eq!(e.ok(&["token", "p", "--refresh"]), "a2\n");
    assert_eq!(
        fake.request(1).form_value("refresh_token").as_deref(),
        Some("rt-2")
    );
    assert_eq!(stdout(&store.pass(&["show", "tokex/p"], "")), "rt-3\n");
}

#[test]
fn a_write_that_does_not_read_back_restores_the_previous_secret() {
    // A `pass` first on PATH that garbles the next insert once armed: the rotated refresh token
    // does not read back, and the user keeps the one they had rather than losing it.
    let store = PassStore::new();
    let shim = tempfile::tempdir().unwrap();
    let armed = shim.path().join("armed");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = insert ] && [ -e {0} ]; then rm {0}; {{ printf x; cat; }} | exec /usr/bin/pass \"$@\"; fi\nexec /usr/bin/pass \"$@\"\n",
        path_str(&armed)
    );
    std::fs::write(shim.path().join("pass"), script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        shim.path().join("pass"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let fake = Fake::new(vec![
        Response::json(200, r#"{"access_token":"a1","expires_in":3600}"#),
        Response::json(
            200,
            r#"{"access_token":"a2","expires_in":3600,"refresh_token":"rt-2"}"#,
        ),
    ]);
    let mut e = store.env();
    e.set(
        "PATH",
        &format!("{}:/usr/local/bin:/usr/bin:/bin", path_str(shim.path())),
    );
    e.write_config(&profile(
        "p",
        &format!(
            "provider = \"vcd\"\nurl = \"{}\"\ntenant = \"t\"",
            fake.url()
        ),
    ));
    e.login("p", "rt-1");
    std::fs::write(&armed, "").unwrap();
    let out = e.run(&["token", "p", "--refresh"], "");
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!armed.exists(), "the garbling pass never ran");
    assert_eq!(stdout(&store.pass(&["show", "tokex/p"], "")), "rt-1\n");
}

fn one_line_failure(e: &Env, args: &[&str], stdin: &str, code: i32, want: &str) {
    let err = e.fail(args, stdin, code);
    assert!(err.contains(want), "{err}");
    assert!(!err.contains("s3cret-canary"), "{err}");
}

#[test]
fn every_failure_is_one_line_naming_its_cause() {
    let store = PassStore::new();
    let fake = Fake::ok(OK);
    let e = store.env();
    e.write_config(&csp(&fake));
    one_line_failure(
        &e,
        &["token", "p"],
        "",
        2,
        "no entry tokex/p in your password store",
    );
    // An empty entry, and one that is not gpg's.
    store.pass(&["insert", "--multiline", "--force", "tokex/p"], "\n");
    one_line_failure(
        &e,
        &["token", "p"],
        "",
        1,
        "the pass entry tokex/p is empty",
    );
    std::fs::write(store.store_dir().join("tokex/p.gpg"), "not gpg at all").unwrap();
    one_line_failure(&e, &["token", "p"], "", 1, "reading the secret from pass:");
    // A store nobody ran `pass init` for.
    let mut bare = store.env();
    let empty = tempfile::tempdir().unwrap();
    bare.store_env.retain(|(k, _)| k != "PASSWORD_STORE_DIR");
    bare.store_env
        .push(("PASSWORD_STORE_DIR".into(), path_str(empty.path())));
    bare.write_config(&csp(&fake));
    one_line_failure(
        &bare,
        &["login", "p", "--stdin", "--no-verify"],
        "s3cret-canary\n",
        1,
        "pass init",
    );
    // No pass on PATH.
    let mut none = store.env();
    none.set("PATH", "/nonexistent");
    none.write_config(&csp(&fake));
    one_line_failure(
        &none,
        &["login", "p", "--stdin", "--no-verify"],
        "s3cret-canary\n",
        1,
        "pass is not installed",
    );
    assert_eq!(walk(&store.store_dir()), [".gpg-id", "p.gpg"]);
}

#[test]
fn a_key_nobody_can_unlock_is_a_clear_line_not_a_hang() {
    let store = PassStore::with_passphrase("correct horse");
    let fake = Fake::ok(OK);
    let e = store.env();
    e.write_config(&csp(&fake));
    // Encrypting needs no passphrase: the write succeeds, the read-back cannot decrypt, and the
    // half-written entry is removed.
    let out = e.run(&["login", "p", "--stdin", "--no-verify"], "s3cret-canary\n");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("gpg needs the key's passphrase and cannot ask for it here"),
        "{err}"
    );
    assert_eq!(walk(&store.store_dir()), [".gpg-id"]);
}

#[test]
fn a_gpg_that_never_answers_is_cut_off() {
    // gpg stuck on a pinentry nobody sees, as a `gpg` first on PATH that never returns: tokex
    // gives up within TOKEX_PASS_TIMEOUT, kills pass and everything it started, and says why.
    let store = PassStore::new();
    let shim = tempfile::tempdir().unwrap();
    let gpg = shim.path().join("gpg");
    // The stuck "gpg" notes its pid (exec keeps it for the sleep), so the test can see it die.
    let pidfile = shim.path().join("pid");
    let script = format!(
        "#!/bin/sh\necho $$ > {}\nexec sleep 600\n",
        path_str(&pidfile)
    );
    std::fs::write(&gpg, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&gpg, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fake = Fake::ok(OK);
    let mut e = store.env();
    e.set("TOKEX_PASS_TIMEOUT", "2");
    e.set(
        "PATH",
        &format!("{}:/usr/local/bin:/usr/bin:/bin", path_str(shim.path())),
    );
    e.write_config(&csp(&fake));
    let started = std::time::Instant::now();
    one_line_failure(
        &e,
        &["login", "p", "--stdin", "--no-verify"],
        "s3cret-canary\n",
        1,
        "pass did not answer within 2s",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let stuck = std::process::Command::new("pgrep")
        .args(["-f", &path_str(&gpg)])
        .output()
        .unwrap();
    assert!(stuck.stdout.is_empty(), "the stuck gpg was left running");
    let pid = std::fs::read_to_string(&pidfile).expect("the stuck gpg never ran");
    let proc_dir = std::path::PathBuf::from(format!("/proc/{}", pid.trim()));
    // Killed with pass's process group; reaped by init within moments.
    for _ in 0..100 {
        let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
        if state.is_empty() || state.contains(") Z ") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the stuck gpg (pid {}) was left running", pid.trim());
}

#[test]
fn a_16_kb_secret_reads_back_exactly_from_pass() {
    let store = PassStore::new();
    let fake = Fake::ok(OK);
    let e = store.env();
    e.write_config(&csp(&fake));
    let secret: String = (0..16 * 1024)
        .map(|i| (b'a' + (i * 13 % 26) as u8) as char)
        .collect();
    let out = e.run(&["login", "p", "--stdin"], &format!("{secret}\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    e.ok(&["token", "p", "--refresh"]);
    let last = fake.request(fake.count() - 1);
    assert_eq!(
        last.form_value("api_token").as_deref(),
        Some(secret.as_str())
    );
    assert_eq!(
        stdout(&store.pass(&["show", "tokex/p"], "")),
        format!("{secret}\n")
    );
    e.ok(&["logout", "p"]);
}

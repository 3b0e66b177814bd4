//! The token cache across processes: one exchange for many concurrent callers, a killed lock
//! holder wedging nobody, rotated refresh tokens surviving crashes, and a cache that is private,
//! never followed through a symlink, and recovered when corrupt.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

fn spawn(env: &Env, args: &[&str]) -> std::process::Child {
    env.cmd(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (bounded) until `cond` holds.
fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..2000 {
        if cond() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn many_concurrent_callers_cause_one_exchange() {
    let issuer = Issuer::new();
    // Slow enough that every caller starts while the first is still exchanging.
    issuer.set_delay_ms(400);
    let env = issuer.env("p", &[]);
    let children: Vec<_> = (0..24).map(|_| spawn(&env, &["token", "p"])).collect();
    let outputs: Vec<_> = children.into_iter().map(|c| wait_bounded(c, 120)).collect();
    for out in &outputs {
        assert!(out.status.success(), "{}", stderr(out));
        assert_eq!(stdout(out), "tok-1\n");
    }
    assert_eq!(issuer.received(), 1, "upstream requests");
}

#[test]
fn a_killed_lock_holder_wedges_nobody() {
    let issuer = Issuer::new();
    issuer.set_delay_ms(20_000);
    let env = issuer.env("p", &[]);
    let mut holder = spawn(&env, &["token", "p"]);
    // The holder has taken the lock and is waiting on the token endpoint.
    until("the first request", || issuer.received() == 1);
    let waiter = spawn(&env, &["token", "p"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    holder.kill().unwrap(); // SIGKILL: no cleanup runs, the OS drops the lock
    let _ = holder.wait();
    issuer.set_delay_ms(0);
    let out = wait_bounded(waiter, 60);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(issuer.received(), 2);
}

/// An OAuth2 server that rotates its refresh token on every use. With `grace`, the previous
/// refresh token stays usable once more (as Okta's grace period and Auth0's reuse interval allow).
struct Rotating {
    server: Server,
    state: Arc<Mutex<(u32, u32)>>, // (current, previous) refresh token numbers
    seen: Arc<Mutex<Vec<String>>>,
}

impl Rotating {
    fn new(grace: bool) -> Rotating {
        let state = Arc::new(Mutex::new((1u32, 0u32)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (st, log) = (state.clone(), seen.clone());
        let server = Server::start(move |req| {
            let presented = req.form_value("refresh_token").unwrap_or_default();
            log.lock().unwrap().push(presented.clone());
            let mut s = st.lock().unwrap();
            let ok = presented == format!("rt-{}", s.0)
                || (grace && s.1 > 0 && presented == format!("rt-{}", s.1));
            if !ok {
                return Response::json(
                    400,
                    r#"{"error":"invalid_grant","error_description":"refresh token spent"}"#,
                );
            }
            let next = s.0.max(s.1) + 1;
            *s = (next, s.0);
            Response::json(
                200,
                format!(
                    r#"{{"access_token":"at-{next}","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-{next}"}}"#
                ),
            )
        })
        .unwrap();
        Rotating {
            server,
            state,
            seen,
        }
    }

    /// A kernel-keyring env whose profile `p` uses this server; logged in with `rt-1` (which the
    /// login's verification already rotates to `rt-2`).
    fn env(&self) -> Env {
        let env = Env::keyutils();
        env.write_config(&profile(
            "p",
            &format!(
                "provider = \"oauth2\"\ntoken_url = \"{}/token\"\ngrant = \"refresh_token\"\nclient_id = \"cli\"",
                self.server.url()
            ),
        ));
        env.login("p", "rt-1");
        assert_eq!(self.state.lock().unwrap().0, 2);
        env
    }
}

#[test]
fn a_crash_after_the_rotated_token_is_stored_loses_nothing() {
    let server = Rotating::new(false);
    let mut env = server.env();
    env.set("TOKEX_CRASH_AT", "before-cache-write");
    let out = env.run(&["token", "p", "--refresh"], "");
    assert!(!out.status.success(), "the crash point did not fire");
    assert_eq!(stdout(&out), "", "nothing printed before the crash");
    env.extra_env.retain(|(k, _)| k != "TOKEX_CRASH_AT");
    // The server rotated to rt-3 and tokex had stored it before crashing. (A plain `token p`
    // would be a cache hit on the still-valid at-2 from login: the crash wrote no cache.)
    assert_eq!(env.ok(&["token", "p"]), "at-2\n");
    let out = env.run(&["token", "p", "--refresh"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "at-4\n");
    assert_eq!(server.seen.lock().unwrap().last().unwrap(), "rt-3");
}

#[test]
fn a_crash_between_answer_and_store_is_covered_by_the_server_s_grace_period() {
    let server = Rotating::new(true);
    let mut env = server.env();
    env.set("TOKEX_CRASH_AT", "after-exchange");
    let out = env.run(&["token", "p", "--refresh"], "");
    assert!(!out.status.success(), "the crash point did not fire");
    env.extra_env.retain(|(k, _)| k != "TOKEX_CRASH_AT");
    // The store still holds rt-2, which the server now accepts once more.
    let out = env.run(&["token", "p"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.seen.lock().unwrap().last().unwrap(), "rt-2");
    let out = env.run(&["token", "p", "--refresh"], "");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn kill_9_at_random_moments_never_leaves_an_unusable_secret() {
    let server = Rotating::new(true);
    let env = server.env();
    for i in 0..15u64 {
        let mut child = spawn(&env, &["token", "p", "--refresh"]);
        std::thread::sleep(std::time::Duration::from_millis((i * 7) % 23));
        let _ = child.kill();
        let _ = child.wait();
        let out = env.run(&["token", "p", "--refresh"], "");
        assert!(
            out.status.success(),
            "after a kill at ~{}ms: {}",
            (i * 7) % 23,
            stderr(&out)
        );
    }
}

#[test]
fn cache_files_are_private_and_a_planted_symlink_is_not_followed() {
    let issuer = Issuer::new();
    let env = issuer.env("p", &[]);
    let cache = env.cache_dir();
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    let victim = env.dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, cache.join("p.json")).unwrap();

    assert_eq!(env.ok(&["token", "p"]), "tok-1\n");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let meta = std::fs::symlink_metadata(cache.join("p.json")).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the symlink was replaced by a file"
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let dir_mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert_eq!(
        env.ok(&["token", "p"]),
        "tok-1\n",
        "and it is a working cache"
    );
    assert_eq!(issuer.issued().len(), 1);
}

#[test]
fn corrupt_truncated_or_foreign_cache_files_are_replaced_quietly() {
    let issuer = Issuer::new();
    let mut env = issuer.env("p", &[]);
    assert_eq!(env.ok(&["token", "p"]), "tok-1\n");
    let file = env.cache_dir().join("p.json");
    let good = std::fs::read_to_string(&file).unwrap();
    let foreign = good.replace(
        &good[good.find("\"key\"").unwrap()..][..20],
        "\"key\":\"0000000000",
    );
    for (i, bad) in [
        "not json at all".to_string(),
        good[..good.len() / 2].to_string(),
        String::new(),
        foreign,
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(&file, &bad).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = env.run(&["token", "p"], "");
        assert!(out.status.success(), "case {i}: {}", stderr(&out));
        assert_eq!(stdout(&out), format!("tok-{}\n", i + 2), "case {i}");
        assert_eq!(
            stderr(&out),
            "",
            "case {i}: a corrupt cache is not the user's problem"
        );
    }
    // With debug logging on, the reason is noted.
    std::fs::write(&file, "garbage").unwrap();
    env.set("TOKEX_LOG", "debug");
    let out = env.run(&["token", "p"], "");
    assert!(out.status.success());
    assert!(stderr(&out).contains("cache"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("tok-"),
        "debug output leaked a token"
    );
}

//! Refreshing ahead: a cache hit near the end of the token's life answers at once and one
//! detached background refresh (a real `tokex __refresh-ahead` process) replaces the token for
//! the next caller; a failing refresh keeps the cached token and backs off; a refresher killed
//! mid-way loses nothing, a rotated refresh token included.

#![cfg(target_os = "linux")]

use crate::support::*;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Waits (bounded) until `f` holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(20), "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A client_credentials endpoint issuing `at-N` that live 8 s; `status` set to fail it.
fn endpoint(status: Arc<AtomicU16>) -> (Server, Arc<AtomicU32>) {
    let n = Arc::new(AtomicU32::new(0));
    let count = n.clone();
    let server = Server::start(move |_| {
        let s = status.load(Ordering::SeqCst);
        let i = count.fetch_add(1, Ordering::SeqCst) + 1;
        if s != 200 {
            return Response::json(
                s,
                r#"{"error":"temporarily_unavailable","error_description":"server prose"}"#,
            );
        }
        Response::json(
            200,
            format!(r#"{{"access_token":"at-{i}","expires_in":8}}"#),
        )
    })
    .unwrap();
    (server, n)
}

/// 8 s tokens are handed out until 4 s are left; with `refresh_ahead = "3s"` a hit starts a
/// background refresh once fewer than 7 s are left, i.e. after 1 s.
fn env_for(server: &Server) -> Env {
    env_with_secret(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nrefresh_ahead = \"3s\"",
            server.url()
        ),
        "client-secret",
    )
}

#[test]
fn a_hit_near_the_end_answers_at_once_and_one_background_refresh_replaces_the_token() {
    let (server, exchanges) = endpoint(Arc::new(AtomicU16::new(200)));
    let env = env_for(&server);
    let issued = Instant::now();
    assert_eq!(env.ok(&["token", "p"]), "at-1\n");
    std::thread::sleep(Duration::from_millis(1500));
    // Each is served from the cache at once: the old token until the one background refresh
    // has replaced it, then the new one.
    let served: Vec<String> = (0..5).map(|_| env.ok(&["token", "p"])).collect();
    assert_eq!(served[0], "at-1\n");
    let first_new = served.iter().position(|t| t == "at-2\n").unwrap_or(5);
    assert!(
        served[..first_new].iter().all(|t| t == "at-1\n"),
        "{served:?}"
    );
    assert!(
        served[first_new..].iter().all(|t| t == "at-2\n"),
        "{served:?}"
    );
    eventually("the background refresh replaced the token", || {
        env.ok(&["token", "p"]) == "at-2\n"
    });
    // Before at-1 stopped being handed out (with 4 s left, 4 s after it was issued): no caller
    // exchanged in the foreground.
    assert!(
        issued.elapsed() < Duration::from_millis(3900),
        "at-2 came only after at-1 went stale"
    );
    assert_eq!(
        exchanges.load(Ordering::SeqCst),
        2,
        "one background refresh"
    );
    // The new token is fresh: hits start nothing for a while.
    assert_eq!(env.ok(&["token", "p"]), "at-2\n");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(exchanges.load(Ordering::SeqCst), 2);
}

#[test]
fn a_failing_refresh_keeps_the_token_and_backs_off() {
    let status = Arc::new(AtomicU16::new(200));
    let (server, exchanges) = endpoint(status.clone());
    let mut env = env_for(&server);
    assert_eq!(env.ok(&["token", "p"]), "at-1\n");
    status.store(500, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(env.ok(&["token", "p"]), "at-1\n");
    let backoff = env.cache_dir().join("p.backoff");
    eventually("the failed refresh recorded a backoff", || backoff.exists());
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&backoff).unwrap()).unwrap();
    assert_eq!(record["failures"], 1);
    // Codes only: the server's prose could echo what it was sent.
    assert_eq!(record["status"], 500, "{record}");
    assert_eq!(record["code"], "temporarily_unavailable", "{record}");
    assert!(!record.to_string().contains("prose"), "{record}");
    assert!(!record.to_string().contains("client-secret"));
    env.set("TOKEX_LOG", "debug");
    for _ in 0..3 {
        let out = env.run(&["token", "p"], "");
        assert_eq!(stdout(&out), "at-1\n");
        assert!(
            stderr(&out)
                .contains("the last background refresh failed (HTTP 500 temporarily_unavailable)"),
            "{}",
            stderr(&out)
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        exchanges.load(Ordering::SeqCst),
        2,
        "no refresh during the backoff"
    );
}

#[test]
fn a_refresher_killed_after_storing_a_rotated_refresh_token_loses_nothing() {
    // refresh_token grant with strict rotation: only the latest refresh token is accepted.
    let current = Arc::new(Mutex::new(String::from("rt-0")));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (cur, log) = (current.clone(), seen.clone());
    let n = Arc::new(AtomicU32::new(0));
    let server = Server::start(move |req| {
        let presented = req.form_value("refresh_token").unwrap_or_default();
        log.lock().unwrap().push(presented.clone());
        let mut cur = cur.lock().unwrap();
        if presented != *cur {
            return Response::json(400, r#"{"error":"invalid_grant"}"#);
        }
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        *cur = format!("rt-{i}");
        Response::json(
            200,
            format!(r#"{{"access_token":"at-{i}","expires_in":8,"refresh_token":"rt-{i}"}}"#),
        )
    })
    .unwrap();
    let mut env = Env::keyutils();
    env.write_config(&profile(
        "r",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\ngrant = \"refresh_token\"\nclient_id = \"c\"\nrefresh_ahead = \"3s\"",
            server.url()
        ),
    ));
    env.login("r", "rt-0");
    assert_eq!(env.ok(&["token", "r"]), "at-1\n");
    std::thread::sleep(Duration::from_millis(1500));
    // The refresher this hit starts dies (abort, as kill -9) after storing rt-2, before caching.
    env.set("TOKEX_CRASH_AT", "before-cache-write");
    assert_eq!(env.ok(&["token", "r"]), "at-1\n");
    eventually("the refresher exchanged rt-1", || {
        seen.lock().unwrap().len() == 2
    });
    env.extra_env.retain(|(k, _)| k != "TOKEX_CRASH_AT");
    // The old token is still served; the next refresh presents the stored rt-2 and succeeds.
    eventually("a second background refresh replaced the token", || {
        env.ok(&["token", "r"]) == "at-3\n"
    });
    assert_eq!(*seen.lock().unwrap(), ["rt-0", "rt-1", "rt-2"]);
}

/// A keyless profile is refreshed ahead too, with the default store `pass` (which may prompt,
/// and so is never read in the background): it reads no secret, so nothing holds it back, and
/// the refresher reads the subject afresh.
#[test]
fn a_keyless_profile_is_refreshed_ahead() {
    let (server, exchanges) = endpoint(Arc::new(AtomicU16::new(200)));
    let mut env = Env::with_store(vec![("TOKEX_STORE".into(), "pass".into())]);
    env.write_config(&profile(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\ngrant = \"jwt_bearer\"\nsubject = \"env:CI_JWT\"\nrefresh_ahead = \"3s\"",
            server.url()
        ),
    ));
    env.set("CI_JWT", "opaque-ci-token");
    assert_eq!(env.ok(&["token", "p"]), "at-1\n");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(env.ok(&["token", "p"]), "at-1\n");
    // No caller runs from here on: only the hit's background refresher can exchange.
    eventually("the background refresher exchanged", || {
        exchanges.load(Ordering::SeqCst) == 2
    });
    assert_eq!(env.ok(&["token", "p"]), "at-2\n");
}

//! tokex trusts nothing it did not make, tested the way an attacker would try it: another user
//! plants a cache entry or owns the config, a FIFO stands where an entry belongs, a caller asks
//! for a plain-http URL, a hostile server answers with terminal escapes, absurd numbers and a
//! refresh token no store can keep, `localhost` resolves elsewhere, and a same-user process
//! reads tokex's memory. The cross-user cases run tokex as throw-away user ids (as root, as CI).

// These run the Linux binary as other users, in a mount namespace and against /proc.
#![cfg(target_os = "linux")]

use crate::support::keyring::{self, Session};
use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// tokex as user `uid` in `env`'s files, which are left as they are (no chown).
fn tokex_as(env: &Env, uid: u32, args: &[&str]) -> Output {
    let mut c = env.tool(env!("CARGO_BIN_EXE_tokex"), args);
    keyring::as_user(&mut c, uid, Session::Inherit);
    env.run_tool(c, "")
}

fn mode(path: &std::path::Path, m: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
}

#[test]
fn a_cache_entry_planted_by_another_user_is_never_served() {
    if !keyring::root_or_skip("a cache entry planted by another user") {
        return;
    }
    let issuer = Issuer::new();
    let env = issuer.env("p", &["https://git.example.com"]);
    let (victim, attacker) = (keyring::throwaway_uid(), keyring::throwaway_uid());
    keyring::chown_tree(env.dir.path(), victim);
    let out = tokex_as(&env, victim, &["token", "p"]);
    assert_eq!(stdout(&out), "tok-1\n", "{}", stderr(&out));
    // The attacker copies the real entry (its key is computable from the non-secret profile)
    // with their own token in it, as a file of theirs.
    let entry = env.cache_dir().join("p.json");
    let planted = std::fs::read_to_string(&entry)
        .unwrap()
        .replace("tok-1", "planted");
    std::fs::remove_file(&entry).unwrap();
    std::fs::write(&entry, planted).unwrap();
    std::os::unix::fs::chown(&entry, Some(attacker), Some(attacker)).unwrap();
    mode(&entry, 0o644);
    let out = tokex_as(&env, victim, &["token", "p"]);
    assert_eq!(stdout(&out), "tok-2\n", "{}", stderr(&out));
    // The victim's own entry in a directory others may write to is not trusted either: it is
    // read again only once tokex has made the directory private (under the exchange lock).
    let mut env = env;
    env.set("TOKEX_LOG", "debug");
    keyring::chown_tree(env.dir.path(), victim);
    mode(&env.cache_dir(), 0o777);
    let out = tokex_as(&env, victim, &["token", "p"]);
    let err = stderr(&out);
    assert!(
        err.contains("cache is writable by group or others (mode 0777)"),
        "{err}"
    );
    assert!(
        err.contains("cache hit after waiting for the lock"),
        "{err}"
    );
    assert_eq!(stdout(&out), "tok-2\n", "{err}");
    let tightened = std::fs::metadata(env.cache_dir())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(tightened & 0o777, 0o700);
}

#[test]
fn a_fifo_where_an_entry_belongs_is_a_miss_not_a_hang() {
    let issuer = Issuer::new();
    let env = issuer.env("p", &[]);
    assert_eq!(env.ok(&["token", "p"]), "tok-1\n");
    let entry = env.cache_dir().join("p.json");
    std::fs::remove_file(&entry).unwrap();
    let path = std::ffi::CString::new(entry.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    // Nobody ever writes the FIFO: a reader that opened it blocking would never return.
    let out = env.run(&["token", "p"], "");
    assert_eq!(stdout(&out), "tok-2\n", "{}", stderr(&out));
}

#[test]
fn a_config_others_may_change_is_refused_with_the_fix() {
    let issuer = Issuer::new();
    let mut env = issuer.env("p", &[]);
    mode(&env.config(), 0o666);
    let out = env.run(&["token", "p"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("tokex: config refused: ")
            && err.contains(
                "config.toml is writable by group or others (mode 0666); run `chmod go-w`"
            ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    mode(&env.config(), 0o600);
    // A relative path would be resolved in the caller's directory (a cloned repository).
    env.set("TOKEX_CONFIG", "config.toml");
    let out = env.run(&["token", "p"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("TOKEX_CONFIG must be an absolute path"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_config_another_user_owns_is_refused() {
    if !keyring::root_or_skip("a config another user owns") {
        return;
    }
    let issuer = Issuer::new();
    let env = issuer.env("p", &[]);
    // Owned by another user, even if private: that user decides where the secret goes.
    let (user, other) = (keyring::throwaway_uid(), keyring::throwaway_uid());
    keyring::chown_tree(env.dir.path(), user);
    std::os::unix::fs::chown(env.config(), Some(other), Some(other)).unwrap();
    mode(&env.config(), 0o644);
    let out = tokex_as(&env, user, &["token", "p"]);
    assert!(
        stderr(&out).contains(&format!("is owned by another user (uid {other})")),
        "{}",
        stderr(&out)
    );
    assert_eq!(issuer.received(), 0);
}

#[test]
fn git_gets_a_token_for_https_only_unless_a_loopback_entry_names_http() {
    let issuer = Issuer::new();
    let env = issuer.env("p", &["git.example.com", "http://127.0.0.1:8080"]);
    env.install_helpers();
    let out = git_fill(&env, "https://git.example.com/repo.git");
    assert!(stdout(&out).contains("password=tok-1"), "{}", stderr(&out));
    for refused in [
        "http://git.example.com/repo.git",
        "ftp://git.example.com/repo.git",
    ] {
        let out = git_fill(&env, refused);
        assert!(!out.status.success(), "{refused}: {}", stdout(&out));
        assert!(
            !stdout(&out).contains("tok-"),
            "{refused}: {}",
            stdout(&out)
        );
    }
    let out = git_fill(&env, "http://127.0.0.1:8080/repo.git");
    assert!(stdout(&out).contains("password=tok-1"), "{}", stderr(&out));
    // An http:// entry for a host on the network is refused when the config is read.
    env.write_config(&profile(
        "p",
        "provider = \"oauth2\"\ntoken_url = \"https://idp.example/token\"\nclient_id = \"ci\"\nsecret_env = \"SECRET\"\nmatch = [\"http://git.example.com\"]",
    ));
    let out = env.run(&["token", "p"], "");
    assert!(
        stderr(&out).contains("tokens are sent over plain http only to loopback hosts"),
        "{}",
        stderr(&out)
    );
}

/// An OpenID provider whose device authorization answer is `device`.
fn hostile_idp(device: &'static str) -> Server {
    let base = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let b = base.clone();
    let server = Server::start(move |req| {
        let base = b.lock().unwrap().clone();
        match req.path() {
            "/.well-known/openid-configuration" => Response::json(
                200,
                format!(
                    r#"{{"issuer":"{base}","token_endpoint":"{base}/token","device_authorization_endpoint":"{base}/device"}}"#
                ),
            ),
            "/device" => Response::json(200, device),
            _ => Response::json(400, r#"{"error":"authorization_pending"}"#),
        }
    })
    .unwrap();
    *base.lock().unwrap() = server.url();
    server
}

#[test]
fn a_hostile_device_answer_neither_draws_on_the_terminal_nor_crashes_tokex() {
    let idp = hostile_idp(
        r#"{"device_code":"dc-secret","user_code":"WDJB-MJHT","verification_uri":"https://idp.example/\u001b]52;c;ZXZpbA==\u0007\u202eevil","expires_in":18446744073709551615,"interval":18446744073709551615}"#,
    );
    let env = Env::keyutils();
    let add = env.run(
        &[
            "profile",
            "add",
            "p",
            "--provider",
            "oauth2",
            "--issuer",
            &idp.url(),
            "--client-id",
            "c",
            "--grant",
            "device_code",
        ],
        "",
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let out = env.run(&["login", "p", "--timeout", "2"], "");
    let err = stderr(&out);
    // A clean failure (the device code "ran out" within --timeout), not an abort.
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the device code ran out"), "{err}");
    assert!(
        err.contains("open https://idp.example/%1B]52;c;ZXZpbA==%07%E2%80%AEevil and enter the code WDJB-MJHT"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}') && !err.contains('\u{202e}'));
    assert!(!err.contains("dc-secret"));
}

#[test]
fn a_rotated_refresh_token_no_store_can_keep_is_refused_and_the_stored_one_kept() {
    let fake = Fake::new(vec![
        Response::json(200, r#"{"access_token":"a1","expires_in":3600}"#),
        Response::json(
            200,
            "{\"access_token\":\"a2\",\"expires_in\":3600,\"refresh_token\":\"rt-2\\nrt-3\"}",
        ),
        Response::json(200, r#"{"access_token":"a3","expires_in":3600}"#),
    ]);
    let env = Env::keyutils();
    env.write_config(&profile(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\ngrant = \"refresh_token\"",
            fake.url()
        ),
    ));
    env.login("p", "rt-1");
    let out = env.run(&["token", "p", "--refresh"], "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("sent a refresh token that holds whitespace or control characters; it was not stored, the stored one was kept"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.ok(&["token", "p", "--refresh"]), "a3\n");
    assert_eq!(
        fake.request(2).form_value("refresh_token").as_deref(),
        Some("rt-1")
    );
}

#[test]
fn localhost_is_loopback_whatever_the_resolver_says() {
    // A mount namespace whose /etc/hosts sends `localhost` to a documentation address
    // (192.0.2.1): a client that asked the resolver would send the secret there, in clear.
    // As root a mount namespace; as anyone else, one inside a user namespace of its own.
    let fake = Fake::ok(r#"{"access_token":"via-loopback","expires_in":3600}"#);
    let port = fake.server.addr().port();
    let env = env_with_secret(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"http://localhost:{port}/token\"\nclient_id = \"c\"\ntimeout = 3"
        ),
        "client-secret",
    );
    let hosts = env.dir.path().join("hosts");
    std::fs::write(&hosts, "192.0.2.1 localhost\n").unwrap();
    let script = format!(
        "mount --bind {} /etc/hosts && getent hosts localhost && exec {} token p",
        hosts.display(),
        env!("CARGO_BIN_EXE_tokex")
    );
    let unshare: &[&str] = if keyring::is_root() {
        &["-m"]
    } else {
        &["-r", "-m"]
    };
    let mut c = env.tool("unshare", &[unshare, &["sh", "-c", &script]].concat());
    c.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    let out = env.run_tool(c, "");
    assert!(stdout(&out).starts_with("192.0.2.1"), "{}", stderr(&out));
    assert!(stdout(&out).ends_with("via-loopback\n"), "{}", stderr(&out));
    assert_eq!(fake.count(), 1);
}

#[test]
fn another_process_of_the_same_user_cannot_read_tokex_memory_or_environment() {
    let env = Env::keyutils();
    env.write_config(&profile(
        "p",
        "provider = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"c\"",
    ));
    let mut c = env.cmd(&["login", "p", "--stdin"]);
    c.env("CANARY", "environment-canary")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // `login --stdin` waits for a line: the engine is alive, holding its environment.
    let mut child = c.spawn().unwrap();
    let pid = child.id();
    let read_as_user = |what: &str| {
        let mut cat = Command::new("cat");
        cat.arg(format!("/proc/{pid}/{what}"));
        env.user.as_ref().unwrap().apply(&mut cat);
        cat.output().unwrap()
    };
    let until = Instant::now() + Duration::from_secs(10);
    let engine = || {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim() == "tokex-engine")
    };
    while !engine() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let reached = engine();
    let environ = read_as_user("environ");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    drop(child.stdin.take());
    let _ = child.wait();
    assert!(reached, "tokex-engine never started");
    assert!(
        !environ.status.success() && !stdout(&environ).contains("canary"),
        "a process of the same user read /proc/{pid}/environ"
    );
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert!(core.split_whitespace().nth(4) == Some("0"), "{core}");
}

//! The two programs: `tokex` answers quiet cache hits by itself (it works with no engine beside
//! it), hands everything else to `tokex-engine` in one clear step, keeps what std's start-up
//! would have kept (a closed stdout never becomes the cache file), and names in `/etc/hosts`
//! still resolve for the engine's exchanges.

#![cfg(target_os = "linux")]

use crate::support::*;
use std::process::Command;

fn env_for(fake: &Fake, host: &str) -> Env {
    let port = fake.server.addr().port();
    env_with_secret(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"http://{host}:{port}/token\"\nclient_id = \"c\"\nmatch = [\"https://git.example.com\"]"
        ),
        "client-secret",
    )
}

const OK: &str = r#"{"access_token":"at-1","expires_in":3600}"#;

#[test]
fn a_hit_needs_no_engine_and_a_miss_without_one_is_one_line() {
    let fake = Fake::ok(OK);
    let mut env = env_for(&fake, "127.0.0.1");
    assert_eq!(env.ok(&["token", "p"]), "at-1\n");
    // `tokex` alone, copied where no tokex-engine stands beside it.
    let alone = env.dir.path().join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    let front = alone.join("tokex");
    std::fs::copy(env!("CARGO_BIN_EXE_tokex"), &front).unwrap();
    let run = |env: &Env, args: &[&str], stdin: &str| {
        env.run_tool(env.tool(&path_str(&front), args), stdin)
    };
    for (args, stdin, want) in [
        (&["token", "p"][..], "", "at-1\n"),
        (
            &["token", "p", "--format", "header"],
            "",
            "Authorization: Bearer at-1\n",
        ),
        (
            &["git", "get"],
            "protocol=https\nhost=git.example.com\n\n",
            "password=at-1",
        ),
    ] {
        let out = run(&env, args, stdin);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains(want), "{args:?}: {}", stdout(&out));
    }
    env.set("TOKEX_LOG", "debug");
    let out = run(&env, &["token", "p"], "");
    assert_eq!(stderr(&out), "tokex: debug: p: cache hit\n");
    assert_eq!(fake.count(), 1);
    // Anything else is the engine's, and there is none here.
    for args in [&["token", "p", "--refresh"][..], &["status"]] {
        let out = run(&env, args, "");
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("tokex-engine") && err.contains("reinstall tokex"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn a_closed_stdout_is_not_the_cache_file() {
    let fake = Fake::ok(OK);
    let env = env_for(&fake, "127.0.0.1");
    assert_eq!(env.ok(&["token", "p"]), "at-1\n");
    let cache = env.cache_dir().join("p.json");
    let before = std::fs::read(&cache).unwrap();
    for redirect in [">&-", "<&- >&- 2>&-"] {
        let line = format!("exec '{}' token p {redirect}", env!("CARGO_BIN_EXE_tokex"));
        let out = env.run_tool(env.tool("sh", &["-c", &line]), "");
        assert!(out.status.success(), "{redirect}: {}", stderr(&out));
        assert_eq!(std::fs::read(&cache).unwrap(), before, "{redirect}");
    }
    assert_eq!(env.ok(&["token", "p"]), "at-1\n");
}

#[test]
fn names_in_etc_hosts_resolve() {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap();
    assert!(
        hosts
            .lines()
            .any(|l| l.split_whitespace().skip(1).any(|h| h == "localhost")),
        "this machine's /etc/hosts names no localhost"
    );
    let fake = Fake::ok(OK);
    let env = env_for(&fake, "localhost");
    assert_eq!(env.ok(&["token", "p", "--refresh"]), "at-1\n");
    assert_eq!(fake.count(), 1);
    assert_eq!(
        fake.request(0)
            .header("host")
            .map(|h| h.starts_with("localhost:")),
        Some(true)
    );
    // The engine is an ordinary dynamically linked program, resolving through the C library
    // (nsswitch: /etc/hosts, then DNS).
    let out = Command::new("ldd")
        .arg(path_str(
            &std::path::Path::new(env!("CARGO_BIN_EXE_tokex")).with_file_name("tokex-engine"),
        ))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("libc.so"),
        "{out:?}"
    );
}

//! The machines people really have: no usable secret store, no writable cache, a server whose
//! clock is an hour off, callers that must never block on stdin, two accounts on one host.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use base64::Engine;
use std::process::Stdio;

const CANARY: &str = "canary-secret-m4ch1ne";

fn no_bus(env: &mut Env) {
    env.store_env = vec![
        ("TOKEX_STORE".into(), "secret-service".into()),
        (
            "DBUS_SESSION_BUS_ADDRESS".into(),
            "unix:path=/nonexistent/bus".into(),
        ),
    ];
}

#[test]
fn no_usable_store_is_one_line_naming_the_store_and_the_ways_out() {
    let fake = Fake::ok(r#"{"access_token":"from-env","token_type":"Bearer","expires_in":600}"#);
    let mut env = Env::keyutils();
    no_bus(&mut env);
    env.write_config(&format!(
        "{}\n{}",
        profile(
            "stored",
            &format!("provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nmatch = [\"git.example.com\"]", fake.url())
        ),
        profile(
            "ci",
            &format!("provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nsecret_env = \"SECRET\"", fake.url())
        ),
    ));
    env.set("SECRET", CANARY);
    for (args, stdin) in [
        (vec!["token", "stored"], ""),
        (vec!["login", "stored", "--stdin"], "typed-secret\n"),
        (
            vec!["git", "get"],
            "protocol=https\nhost=git.example.com\n\n",
        ),
    ] {
        let out = env.run(&args, stdin);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(stdout(&out), "", "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        for want in [
            "secret store secret-service",
            "not usable",
            "TOKEX_STORE=keyutils",
            "secret_env",
        ] {
            assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
        }
        assert!(!err.contains("typed-secret"));
    }
    // A profile that does not use the store works with no store at all.
    assert_eq!(env.ok(&["token", "ci"]), "from-env\n");
    // And nothing fell back to a plaintext file: the only files are the config, the cache and
    // the (empty) exchange locks.
    let mut files = Vec::new();
    let mut stack = vec![env.dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if name.ends_with(".lock") {
                    assert_eq!(std::fs::metadata(&p).unwrap().len(), 0, "{name}");
                }
                files.push(name);
            }
        }
    }
    files.sort();
    assert_eq!(files, ["ci.json", "ci.lock", "config.toml", "stored.lock"]);
}

#[test]
fn no_writable_cache_still_serves_tokens() {
    let fake = Fake::ok(r#"{"access_token":"uncached","token_type":"Bearer","expires_in":600}"#);
    let mut env = env_with_secret(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"",
            fake.url()
        ),
        CANARY,
    );
    // A cache path under a regular file: no directory can ever be made there (even by root).
    env.set("TOKEX_CACHE_DIR", "/dev/null/tokex-cache");
    for n in 1..=2 {
        let out = env.run(&["token", "p"], "");
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "uncached\n");
        assert_eq!(stderr(&out), "", "not the caller's problem");
        assert_eq!(fake.count(), n, "served uncached");
    }
    env.set("TOKEX_LOG", "debug");
    let out = env.run(&["token", "p"], "");
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("/dev/null/tokex-cache"),
        "{}",
        stderr(&out)
    );
}

fn jwt(claims: &str) -> String {
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.sig", e(r#"{"alg":"none"}"#), e(claims))
}

#[test]
fn a_server_clock_an_hour_off_does_not_shorten_or_stretch_the_token() {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let hour_ago = now - 3600;
    for (clock, body) in [
        (
            "epoch ms, server an hour behind",
            format!(
                r#"{{"token":"t1","creation_time":{},"expiration_time":{}}}"#,
                hour_ago * 1000,
                (hour_ago + 3600) * 1000
            ),
        ),
        (
            "JWT exp/iat, server an hour ahead",
            format!(
                r#"{{"access_token":"{}","token_type":"Bearer"}}"#,
                jwt(&format!(r#"{{"iat":{},"exp":{}}}"#, now + 3600, now + 7200))
            ),
        ),
    ] {
        let fake = Fake::ok(&body);
        let env = env_with_secret(
            "p",
            &format!(
                "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"",
                fake.url()
            ),
            CANARY,
        );
        let out = env.ok(&["token", "p", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let expires_in = v["expires_in"].as_i64().unwrap();
        // One hour granted, reported a minute early: counted from when the answer arrived.
        assert!((3400..=3540).contains(&expires_in), "{clock}: {expires_in}");
    }
}

#[test]
fn callers_never_wait_on_stdin() {
    let fake = Fake::ok(r#"{"access_token":"t","token_type":"Bearer","expires_in":600}"#);
    let env = env_with_secret(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"",
            fake.url()
        ),
        CANARY,
    );
    // stdin is a pipe nobody writes to or closes: token, kubectl and terraform get must not read it.
    for args in [
        vec!["token", "p"],
        vec!["kubectl", "p"],
        vec!["terraform", "get", "other.example.com"],
    ] {
        let mut child = env
            .cmd(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let held_open = child.stdin.take();
        let out = wait_bounded(child, 30);
        drop(held_open);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    // login reads a terminal only: with stdin not a terminal and no --stdin it refuses at once.
    let out = env.run(&["login", "p"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn two_accounts_on_one_host_are_told_apart_by_git_s_username() {
    let alice =
        Fake::ok(r#"{"access_token":"alice-token","token_type":"Bearer","expires_in":600}"#);
    let bob = Fake::ok(r#"{"access_token":"bob-token","token_type":"Bearer","expires_in":600}"#);
    let mut env = Env::keyutils();
    let p = |name: &str, fake: &Fake| {
        profile(
            name,
            &format!(
                "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nsecret_env = \"SECRET\"\nmatch = [\"https://git.example.com\"]\nusername = \"{name}\"",
                fake.url()
            ),
        )
    };
    env.write_config(&format!("{}\n{}", p("alice", &alice), p("bob", &bob)));
    env.set("SECRET", CANARY);
    let fill = |input: &str| {
        let mut c = env.tool(
            "git",
            &[
                "-c",
                "credential.helper=",
                "-c",
                &format!("credential.helper=!{} git", env!("CARGO_BIN_EXE_tokex")),
                "credential",
                "fill",
            ],
        );
        c.env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0");
        env.run_tool(c, input)
    };
    let out = fill("protocol=https\nhost=git.example.com\nusername=bob\n\n");
    assert!(
        stdout(&out).contains("password=bob-token"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = fill("url=https://alice@git.example.com/acme/app.git\n\n");
    assert!(
        stdout(&out).contains("password=alice-token"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // No username: ambiguous, an error naming both, and no credential.
    let out = fill("protocol=https\nhost=git.example.com\n\n");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("profiles alice and bob both match https://git.example.com"),
        "{}",
        stderr(&out)
    );
}

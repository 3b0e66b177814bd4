//! Whole commands through `app::run` with byte buffers for streams, a loopback token endpoint
//! and an in-memory store: no process spawned, no keyring touched.

use super::*;
use crate::loopback::{Response, Server};
use crate::stores::Store;
use crate::stores::memory::Memory;
use clap::Parser;
use std::sync::Arc;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct World {
    dir: tempfile::TempDir,
    store: Arc<Memory>,
    _server: Server,
}

impl World {
    fn new() -> World {
        let server = Server::start(|req| match req.form_value("api_token").as_deref() {
            Some("good-secret") => {
                Response::json(200, r#"{"access_token":"at-1","expires_in":3600}"#)
            }
            _ => Response::json(
                400,
                r#"{"moduleCode":340,"message":"invalid_grant: Invalid refresh token"}"#,
            ),
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "[profiles.csp]\nprovider = \"vmware-csp\"\nurl = \"{}\"\n",
            server.url()
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        World {
            dir,
            store: Arc::new(Memory::default()),
            _server: server,
        }
    }

    fn run(&self, args: &[&str], stdin: &str) -> Run {
        let store = self.store.clone();
        let setup = Setup {
            refresh_ahead: false,
            config_path: self.dir.path().join("config.toml"),
            cache: Cache::at(&self.dir.path().join("cache")),
            stores: Box::new(move |_| Ok(store.clone() as Arc<dyn Store>)),
            notice: Box::new(|_| {}),
        };
        let cli =
            Cli::try_parse_from(std::iter::once("tokex").chain(args.iter().copied())).unwrap();
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut io = Io {
            stdin: &mut stdin.as_bytes(),
            stdout: &mut stdout,
            stderr: &mut stderr,
            terminal: false,
        };
        let code = match run(cli, setup, &mut io) {
            Ok(()) => 0,
            Err(e) => {
                writeln!(io.stderr, "tokex: {e}").unwrap();
                e.exit_code()
            }
        };
        Run {
            code,
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }
}

#[test]
fn login_status_token_logout_with_streams() {
    let w = World::new();
    let r = w.run(&["status", "csp"], "");
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains(
            "csp: provider vmware-csp; secret missing (run `tokex login csp`); cached token none"
        ),
        "{}",
        r.stdout
    );

    let r = w.run(&["login", "csp", "--stdin"], "wrong-secret\n");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "tokex: csp: vmware-csp token exchange: HTTP 400 Bad Request: 340: invalid_grant: Invalid refresh token; the secret was not stored\n"
    );
    assert!(w.store.get("csp").is_err());

    let r = w.run(&["login", "csp"], "");
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "tokex: csp: stdin is not a terminal: pass the secret on stdin with --stdin\n"
        )
    );

    let r = w.run(&["login", "csp", "--stdin"], "good-secret\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.starts_with("tokex: csp: secret verified and stored in memory (this test's memory, kept until the test ends); token valid until "), "{}", r.stderr);
    assert_eq!(w.store.get("csp").unwrap().expose(), "good-secret");

    let r = w.run(&["token", "csp", "--format", "header"], "");
    assert_eq!((r.code, r.stdout.as_str()), (0, "csp-auth-token: at-1\n"));
    let r = w.run(&["status", "csp"], "");
    assert!(
        r.stdout.contains(
            "csp: provider vmware-csp; secret stored in memory; cached token valid until "
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .ends_with("\nstore memory: this test's memory; kept until the test ends\n"),
        "{}",
        r.stdout
    );

    let r = w.run(&["logout", "csp"], "");
    assert_eq!(r.code, 0);
    assert!(r.stderr.starts_with("tokex: csp: secret and cached token removed; tokens already issued stay valid at vmware-csp"), "{}", r.stderr);
    let r = w.run(&["token", "csp"], "");
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "tokex: csp: no secret in memory: run `tokex login csp`\n"
        )
    );
}

#[test]
fn unknown_profiles_and_missing_config_say_which() {
    let w = World::new();
    let r = w.run(&["token", "nope"], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nope: no such profile in"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(w.dir.path().join("config.toml")).unwrap();
    let r = w.run(&["token", "csp"], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("csp: no config file at "), "{}", r.stderr);
}

#[test]
fn an_unset_secret_env_is_exit_2_naming_the_variable() {
    let w = World::new();
    let config = "[profiles.ci]\nprovider = \"vmware-csp\"\nurl = \"https://127.0.0.1:9\"\nsecret_env = \"TOKEX_TEST_NEVER_SET_VAR\"\n";
    std::fs::write(w.dir.path().join("config.toml"), config).unwrap();
    let run_real = |args: &[&str]| {
        let cli =
            Cli::try_parse_from(std::iter::once("tokex").chain(args.iter().copied())).unwrap();
        let setup = Setup {
            refresh_ahead: false,
            config_path: w.dir.path().join("config.toml"),
            cache: Cache::at(&w.dir.path().join("cache")),
            stores: Box::new(crate::stores::for_profile),
            notice: Box::new(|_| {}),
        };
        let mut out = Vec::new();
        let mut io = Io {
            stdin: &mut &b""[..],
            stdout: &mut out,
            stderr: &mut Vec::new(),
            terminal: false,
        };
        run(cli, setup, &mut io)
    };
    let e = run_real(&["token", "ci"]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .contains("secret_env TOKEX_TEST_NEVER_SET_VAR is not set"),
        "{e}"
    );
}

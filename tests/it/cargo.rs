//! The real cargo judges tokex's credential provider: `cargo generate-lockfile` resolving a
//! dependency from a loopback sparse registry with `"auth-required": true` that accepts only the
//! token tokex issued, then `cargo login` / `cargo logout` through the same provider.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use std::sync::{Arc, Mutex, OnceLock};

struct Registry {
    server: Server,
    /// The `Authorization` value of every request.
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Registry {
    /// `bearer`: the registry expects `Authorization: Bearer TOKEN`; else the raw token.
    fn start(bearer: bool, valid: impl Fn(&str) -> bool + Send + Sync + 'static) -> Registry {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let base: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let base_in = base.clone();
        let server = Server::start(move |req| {
            let auth = req.header("authorization").map(str::to_string);
            log.lock().unwrap().push((req.path().to_string(), auth.clone()));
            let token = match bearer {
                true => auth.as_deref().and_then(|a| a.strip_prefix("Bearer ")),
                false => auth.as_deref(),
            };
            let ok = token.is_some_and(&valid);
            let url = base_in.get().unwrap();
            if !ok {
                let mut r = Response::json(401, r#"{"errors":[{"detail":"authentication required"}]}"#);
                r.headers.push((
                    "WWW-Authenticate".into(),
                    format!("Cargo login_url=\"{url}/me\""),
                ));
                return r;
            }
            match req.path() {
                "/index/config.json" => Response::json(
                    200,
                    format!(r#"{{"dl":"{url}/dl","api":"{url}","auth-required":true}}"#),
                ),
                "/index/de/mo/demo" => Response::json(
                    200,
                    r#"{"name":"demo","vers":"1.0.0","deps":[],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{},"yanked":false}"#.to_string() + "\n",
                ),
                _ => Response::json(404, r#"{"errors":[{"detail":"not found"}]}"#),
            }
        })
        .unwrap();
        base.set(server.url()).unwrap();
        Registry { server, seen }
    }

    fn index(&self) -> String {
        format!("{}/index/", self.server.url())
    }
}

/// A throwaway crate depending on `demo` from the registry, with tokex as its provider.
fn project(env: &Env, registry: &Registry) -> std::path::PathBuf {
    let dir = env.dir.path().join("app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ndemo = { version = \"1\", registry = \"loop\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        format!(
            "[registries.loop]\nindex = \"sparse+{}\"\ncredential-provider = [\"{}\"]\n",
            registry.index(),
            path_str(&env.bin().join("cargo-credential-tokex"))
        ),
    )
    .unwrap();
    dir
}

/// The toolchains of whoever runs the tests: the test HOME is a temporary directory, where
/// rustup's cargo proxy would find none.
fn rustup_home() -> std::path::PathBuf {
    std::env::var_os("RUSTUP_HOME")
        .map(Into::into)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap()).join(".rustup")
        })
}

fn cargo(env: &Env, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut c = env.tool("cargo", args);
    c.current_dir(dir)
        .env("CARGO_HOME", env.dir.path().join("cargo-home"))
        .env("RUSTUP_HOME", rustup_home())
        .env("CARGO_TERM_COLOR", "never");
    env.run_tool(c, "")
}

#[test]
fn generate_lockfile_with_the_issued_token() {
    let issuer = Issuer::new();
    let registry = Registry::start(true, issuer.validator());
    let env = issuer.env("crates", &[&registry.index()]);
    env.install_helpers();
    let dir = project(&env, &registry);
    let out = cargo(&env, &dir, &["generate-lockfile"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    assert!(
        lock.contains("name = \"demo\"\nversion = \"1.0.0\""),
        "{lock}"
    );
    let seen = registry.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|(p, a)| p == "/index/de/mo/demo" && a.as_deref() == Some("Bearer tok-1")),
        "{seen:?}"
    );
    assert_eq!(issuer.issued(), ["tok-1"]);
}

#[test]
fn a_raw_token_for_a_registry_that_wants_one() {
    let issuer = Issuer::new();
    let registry = Registry::start(false, issuer.validator());
    let env = env_with_secret(
        "crates",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nmatch = [\"{}\"]\ncargo_auth = \"raw\"",
            issuer.server.url(),
            registry.index()
        ),
        "client-secret",
    );
    env.install_helpers();
    let dir = project(&env, &registry);
    let out = cargo(&env, &dir, &["generate-lockfile"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = registry.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|(_, a)| a.as_deref() == Some("tok-1")),
        "{seen:?}"
    );
}

#[test]
fn cargo_login_stores_the_secret_and_logout_deletes_it() {
    let issuer = Issuer::new();
    let registry = Registry::start(true, issuer.validator());
    // cargo runs the provider as the test's own user: a private Secret Service, not a keyring
    // of that user's.
    let ss = SecretService::start();
    let env = ss.env();
    let name = "crates".to_string();
    env.write_config(&profile(
        &name,
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nmatch = [\"{}\"]",
            issuer.server.url(),
            registry.index()
        ),
    ));
    env.install_helpers();
    let dir = project(&env, &registry);
    // No secret stored yet: the provider says not-found, and cargo has no token.
    let out = cargo(&env, &dir, &["generate-lockfile"]);
    assert!(!out.status.success());
    // `cargo login` stores the secret through the provider, after a real exchange.
    let out = cargo(
        &env,
        &dir,
        &["login", "--registry", "loop", "client-secret"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(env.ok(&["status", &name]).contains("secret stored"));
    let out = cargo(&env, &dir, &["generate-lockfile"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cargo(&env, &dir, &["logout", "--registry", "loop"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(env.ok(&["status", &name]).contains("secret missing"));
}

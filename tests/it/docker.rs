//! The real docker CLI judges tokex's credential helper, with no engine: `docker manifest inspect`
//! against a loopback HTTPS registry whose token service takes only issued tokens (as the Basic
//! password docker sends), and `docker login` / `docker logout` reaching `store` / `erase`.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::tls::Tls;
use crate::support::*;
use sha2::Digest;
use std::sync::{Arc, Mutex, OnceLock};

const CONFIG_BLOB: &str =
    r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#;

fn digest(data: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(data.as_bytes()))
    )
}

fn manifest() -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{}"}},"layers":[]}}"#,
        CONFIG_BLOB.len(),
        digest(CONFIG_BLOB)
    )
}

struct Registry {
    server: Server,
    /// `(username, token)` the token service was given, accepted or not.
    logins: Arc<Mutex<Vec<(String, String)>>>,
}

impl Registry {
    fn start(tls: &Tls, valid: impl Fn(&str) -> bool + Send + Sync + 'static) -> Registry {
        let logins = Arc::new(Mutex::new(Vec::new()));
        let realm: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let (log, realm_in) = (logins.clone(), realm.clone());
        let server = tls.serve(move |req| {
            let path = req.path();
            if path == "/token" {
                let Some((scheme, token)) = presented_token(req) else {
                    return Response::json(401, r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#);
                };
                let user = scheme.strip_prefix("Basic ").unwrap_or("").to_string();
                log.lock().unwrap().push((user, token.clone()));
                if !valid(&token) {
                    return Response::json(401, r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#);
                }
                return Response::json(200, format!(r#"{{"token":"registry-{token}"}}"#));
            }
            let authorized = presented_token(req)
                .is_some_and(|(s, t)| s == "Bearer" && t.strip_prefix("registry-").is_some_and(&valid));
            if !authorized {
                let mut r = Response::json(401, r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#);
                r.headers.push((
                    "WWW-Authenticate".into(),
                    format!(
                        "Bearer realm=\"{}/token\",service=\"tokex-test\",scope=\"repository:acme/app:pull\"",
                        realm_in.get().unwrap()
                    ),
                ));
                return r;
            }
            let mut r = match path {
                "/v2/" => Response::json(200, "{}"),
                "/v2/acme/app/manifests/v1" => {
                    let mut r = Response::json(200, manifest());
                    r.headers[0].1 = "application/vnd.docker.distribution.manifest.v2+json".into();
                    r.headers.push(("Docker-Content-Digest".into(), digest(&manifest())));
                    r
                }
                p if p == format!("/v2/acme/app/blobs/{}", digest(CONFIG_BLOB)) => {
                    Response::json(200, CONFIG_BLOB)
                }
                _ => Response::json(404, r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#),
            };
            r.headers.push(("Docker-Distribution-API-Version".into(), "registry/2.0".into()));
            r
        });
        realm.set(format!("https://{}", server.addr())).unwrap();
        Registry { server, logins }
    }

    fn host(&self) -> String {
        self.server.addr().to_string()
    }
}

/// A docker CLI with its own config dir naming tokex for this registry, and no engine.
fn docker(env: &Env, args: &[&str]) -> std::process::Command {
    let config = env.dir.path().join("docker");
    let config = path_str(&config);
    let mut all = vec!["--config", &config];
    all.extend_from_slice(args);
    let mut c = env.tool("docker", &all);
    c.env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    c
}

fn setup() -> (Tls, Issuer, Registry, Env) {
    let tls = Tls::new();
    let issuer = Issuer::new();
    let registry = Registry::start(&tls, issuer.validator());
    let env = issuer.env("registry", &[&registry.host()]);
    env.install_helpers();
    let dir = env.dir.path().join("docker");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"credHelpers":{{"{}":"tokex"}}}}"#, registry.host()),
    )
    .unwrap();
    (tls, issuer, registry, env)
}

#[test]
fn manifest_inspect_authenticates_with_the_issued_token() {
    let (_tls, issuer, registry, env) = setup();
    let image = format!("{}/acme/app:v1", registry.host());
    for _ in 0..2 {
        let out = env.run_tool(
            docker(&env, &["manifest", "inspect", "--insecure", &image]),
            "",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains(&digest(CONFIG_BLOB)),
            "{}",
            stdout(&out)
        );
    }
    assert_eq!(
        issuer.issued(),
        ["tok-1"],
        "the second docker run was a tokex cache hit"
    );
    let logins = registry.logins.lock().unwrap().clone();
    assert!(!logins.is_empty());
    assert!(
        logins.iter().all(|(u, t)| u == "oauth2" && t == "tok-1"),
        "{logins:?}"
    );
}

#[test]
fn login_reaches_store_and_logout_reaches_erase() {
    let (_tls, issuer, registry, env) = setup();
    let token = env.ok(&["token", "registry"]);
    assert_eq!(token, "tok-1\n");
    let out = env.run_tool(
        docker(
            &env,
            &[
                "login",
                &registry.host(),
                "-u",
                "oauth2",
                "--password-stdin",
            ],
        ),
        &token,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Login Succeeded"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("registry: docker login for"),
        "store was not called: {}",
        stderr(&out)
    );
    let config = std::fs::read_to_string(env.dir.path().join("docker/config.json")).unwrap();
    assert!(
        !config.contains("tok-1"),
        "docker kept the token itself: {config}"
    );

    let out = env.run_tool(docker(&env, &["logout", &registry.host()]), "");
    assert!(out.status.success(), "{}", stderr(&out));
    let status = env.ok(&["status", "registry"]);
    assert!(
        status.contains("cached token none"),
        "erase left the token: {status}"
    );
    assert_eq!(issuer.issued(), ["tok-1"]);
}

#[test]
fn helper_protocol_edges() {
    let (_tls, _issuer, registry, env) = setup();
    let helper = path_str(&env.bin().join("docker-credential-tokex"));
    let out = env.run_tool(env.tool(&helper, &["get"]), "other.example.com");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "credentials not found in native keychain\n");
    assert_eq!(stderr(&out), "");

    let out = env.run_tool(env.tool(&helper, &["get"]), registry.host());
    assert!(out.status.success(), "{}", stderr(&out));
    let creds: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(creds["ServerURL"], registry.host());
    assert_eq!(creds["Username"], "oauth2");
    assert_eq!(creds["Secret"], "tok-1");

    let out = env.run_tool(env.tool(&helper, &["list"]), "unused");
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list[registry.host()], "oauth2");

    // Errors go to stdout, where docker reads them, as one line.
    let out = env.run_tool(env.tool(&helper, &["get"]), "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "no credentials server URL\n");
    let out = env.run_tool(
        env.tool(&helper, &["store"]),
        r#"{"ServerURL":"other.example.com","Username":"u","Secret":"typed-password"}"#,
    );
    assert!(!out.status.success());
    assert!(stdout(&out).contains("no tokex profile matches other.example.com"));
    assert!(!stdout(&out).contains("typed-password") && !stderr(&out).contains("typed-password"));
}

/// A second client of the docker helper protocol, from Debian: skopeo (containers/image) reads
/// `credHelpers` from its auth file and runs docker-credential-tokex itself.
#[test]
fn skopeo_inspect_through_cred_helpers() {
    let (_tls, issuer, registry, env) = setup();
    let auth = env.dir.path().join("auth.json");
    std::fs::write(
        &auth,
        format!(r#"{{"credHelpers":{{"{}":"tokex"}}}}"#, registry.host()),
    )
    .unwrap();
    let image = format!("docker://{}/acme/app:v1", registry.host());
    let mut c = env.tool(
        "skopeo",
        &[
            "inspect",
            "--tls-verify=false",
            "--authfile",
            &path_str(&auth),
            "--raw",
            &image,
        ],
    );
    c.env("XDG_RUNTIME_DIR", env.dir.path());
    let out = env.run_tool(c, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&digest(CONFIG_BLOB)),
        "{}",
        stdout(&out)
    );
    let logins = registry.logins.lock().unwrap().clone();
    assert!(!logins.is_empty());
    assert!(
        logins.iter().all(|(u, t)| u == "oauth2" && t == "tok-1"),
        "{logins:?}"
    );
    assert_eq!(issuer.issued(), ["tok-1"]);
}

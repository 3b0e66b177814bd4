//! The real terraform judges tokex's credentials helper: `terraform init` fetching a module from a
//! loopback HTTPS module registry (`127.0.0.1:PORT` as the host) that takes only issued tokens,
//! with terraform finding `terraform-credentials-tokex` in `~/.terraform.d/plugins`.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::tls::Tls;
use crate::support::*;
use std::process::Command;
use std::sync::Arc;

struct ModuleRegistry {
    server: Server,
    /// `(path, bearer token)` of every request.
    seen: BearerLog,
}

impl ModuleRegistry {
    fn start(
        tls: &Tls,
        archive: Vec<u8>,
        valid: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> ModuleRegistry {
        let seen = BearerLog::default();
        let log = seen.clone();
        let base: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
        let base_in = base.clone();
        let server = tls.serve(move |req| {
            let token = log.record(req);
            if req.path() == "/archive/net.tar.gz" {
                return Response {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/x-gzip".into())],
                    body: archive.clone(),
                };
            }
            if !token.as_deref().is_some_and(&valid) {
                return Response::json(401, r#"{"errors":["not authorized"]}"#);
            }
            match req.path() {
                "/.well-known/terraform.json" => {
                    Response::json(200, r#"{"modules.v1":"/v1/modules/"}"#)
                }
                "/v1/modules/acme/net/null/versions" => {
                    Response::json(200, r#"{"modules":[{"versions":[{"version":"1.0.0"}]}]}"#)
                }
                "/v1/modules/acme/net/null/1.0.0/download" => Response {
                    status: 204,
                    headers: vec![(
                        "X-Terraform-Get".into(),
                        format!("{}/archive/net.tar.gz", base_in.get().unwrap()),
                    )],
                    body: Vec::new(),
                },
                _ => Response::json(404, r#"{"errors":["not found"]}"#),
            }
        });
        base.set(format!("https://{}", server.addr())).unwrap();
        ModuleRegistry { server, seen }
    }

    fn host(&self) -> String {
        self.server.addr().to_string()
    }
}

/// A module as a .tar.gz, built with the system's tar.
fn module_archive(dir: &std::path::Path) -> Vec<u8> {
    let src = dir.join("module-src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("main.tf"),
        "output \"greeting\" {\n  value = \"hello from the registry\"\n}\n",
    )
    .unwrap();
    let archive = dir.join("net.tar.gz");
    let out = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(&src)
        .arg(".")
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {}", stderr(&out));
    std::fs::read(archive).unwrap()
}

fn terraform(env: &Env, tls: &Tls, work: &std::path::Path, args: &[&str]) -> Command {
    let mut c = env.tool("terraform", args);
    c.current_dir(work)
        .env("TF_CLI_CONFIG_FILE", env.dir.path().join("terraformrc"))
        .env("SSL_CERT_FILE", &tls.ca_file)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_LOG", "WARN");
    c
}

fn setup() -> (Tls, Issuer, ModuleRegistry, Env, std::path::PathBuf) {
    let tls = Tls::new();
    let issuer = Issuer::new();
    let scratch = tempfile::tempdir().unwrap().keep();
    let registry = ModuleRegistry::start(&tls, module_archive(&scratch), issuer.validator());
    let env = issuer.env("tfe", &[&registry.host()]);
    env.install_helpers();
    // The snippet users paste, as is.
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/helpers/terraformrc"),
        env.dir.path().join("terraformrc"),
    )
    .unwrap();
    let work = env.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("main.tf"),
        format!(
            "module \"net\" {{\n  source  = \"{}/acme/net/null\"\n  version = \"1.0.0\"\n}}\n\noutput \"greeting\" {{\n  value = module.net.greeting\n}}\n",
            registry.host()
        ),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    (tls, issuer, registry, env, work)
}

#[test]
fn init_fetches_a_module_from_a_registry_that_demands_the_token() {
    let (tls, issuer, registry, env, work) = setup();
    assert!(
        env.dir
            .path()
            .join(".terraform.d/plugins/terraform-credentials-tokex")
            .exists()
    );
    let out = env.run_tool(
        terraform(&env, &tls, &work, &["init", "-input=false", "-no-color"]),
        "",
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(work.join(".terraform/modules/net/main.tf").exists());
    let seen = registry.seen.all();
    for path in [
        "/.well-known/terraform.json",
        "/v1/modules/acme/net/null/versions",
        "/v1/modules/acme/net/null/1.0.0/download",
    ] {
        assert!(
            seen.iter()
                .any(|(p, t)| p == path && t.as_deref() == Some("tok-1")),
            "{path} without the token: {seen:?}"
        );
    }
    assert_eq!(issuer.issued(), ["tok-1"]);

    // The module's output is real: terraform can evaluate it.
    let out = env.run_tool(
        terraform(
            &env,
            &tls,
            &work,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ),
        "",
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("greeting = \"hello from the registry\""),
        "{}",
        stdout(&out)
    );

    // `terraform logout` reaches `forget`, which drops the cached token.
    let out = env.run_tool(
        terraform(
            &env,
            &tls,
            &work,
            &["logout", &registry.host(), "-no-color"],
        ),
        "",
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let status = env.ok(&["status", "tfe"]);
    assert!(status.contains("cached token none"), "{status}");
}

#[test]
fn helper_protocol_edges() {
    let (_tls, issuer, registry, env, _work) = setup();
    let helper = path_str(
        &env.dir
            .path()
            .join(".terraform.d/plugins/terraform-credentials-tokex"),
    );
    let out = env.run_tool(env.tool(&helper, &["get", &registry.host()]), "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{\"token\":\"tok-1\"}\n");
    let out = env.run_tool(env.tool(&helper, &["get", "app.terraform.io"]), "");
    assert!(out.status.success());
    assert_eq!(stdout(&out), "{}\n");
    // Arguments from the credentials_helper block come before the verb.
    let out = env.run_tool(
        env.tool(&helper, &["--profile", "tfe", "get", "other.example.com"]),
        "",
    );
    assert_eq!(stdout(&out), "{\"token\":\"tok-1\"}\n");
    let out = env.run_tool(
        env.tool(&helper, &["store", &registry.host()]),
        r#"{"token":"from-login"}"#,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run_tool(
        env.tool(&helper, &["store", "other.example.com"]),
        r#"{"token":"from-login"}"#,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no tokex profile matches other.example.com"));
    assert!(!stderr(&out).contains("from-login"));
    let out = env.run_tool(env.tool(&helper, &["get", "https://x/"]), "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert_eq!(issuer.issued(), ["tok-1"]);
}

#[test]
fn external_data_source_protocol() {
    let (_tls, _issuer, _registry, env, _work) = setup();
    // What terraform's `external` data source sends: the `query` map as a JSON object of strings.
    let out = env.run(&["external"], r#"{"profile":"tfe"}"#);
    assert!(out.status.success(), "{}", stderr(&out));
    let result: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&stdout(&out)).expect("a JSON object of strings");
    assert_eq!(result["token"], "tok-1");
    assert_eq!(result["token_type"], "Bearer");
    let expires = time::OffsetDateTime::parse(
        &result["expires_at"],
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires > time::OffsetDateTime::now_utc() + time::Duration::minutes(50));
    assert_eq!(result.len(), 3);
    let out = env.run(&["external"], r#"{"profile":"missing"}"#);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("tokex: "), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
}

//! `tokex demo`: the whole job, offline. Fakes of all six providers' token endpoints run on
//! loopback inside this process; the real `tokex` binary, with a throw-away config and cache,
//! adds a profile for each (named `demo-…-PID`, so no profile of the user's is touched), logs in
//! (the demo secret goes to the real secret store), prints tokens and an ExecCredential, shows
//! the cache at work, signs in at a fake OIDC issuer with a device code, and logs out again,
//! which removes every demo secret.

mod sso;

use crate::error::{Error, Result};
use crate::loopback::{Request, Response, Server};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const DEMO_SECRET: &str = "demo-api-token-not-a-real-secret";

/// The six providers as the demo sets them up: name suffix, `profile add` flags after `--url`.
const PROVIDERS: &[(&str, &[&str])] = &[
    (
        "vcd",
        &[
            "--provider",
            "vcd",
            "--tenant",
            "demo",
            // Hosts the callers below ask about; nothing is contacted there.
            "--match",
            "https://git.demo.test/acme/",
            "--match",
            "registry.demo.test",
            "--match",
            "app.demo.test",
        ],
    ),
    ("csp", &["--provider", "vmware-csp"]),
    (
        "virtana",
        &["--provider", "virtana", "--client-id", "demo-client"],
    ),
    (
        "oneaccess",
        &[
            "--provider",
            "huawei-oneaccess",
            "--client-id",
            "demo-client",
        ],
    ),
    (
        "idc",
        &[
            "--provider",
            "huawei-identity-center",
            "--identity-store-id",
            "d-demo",
            "--tenant-id",
            "t-demo",
            "--access-key-id",
            "AKDEMO",
        ],
    ),
    (
        "oauth2",
        &["--provider", "oauth2", "--client-id", "demo-client"],
    ),
];

/// A fake of every provider's token endpoint, checking what each really checks: the secret in
/// the right field, Basic client authentication, or an AK/SK signature recomputed here.
fn fake_provider(req: &Request, base: &str, n: usize) -> Response {
    let form = |k: &str| req.form_value(k);
    let secret = Some(DEMO_SECRET.to_string());
    let client =
        form("client_id").as_deref() == Some("demo-client") && form("client_secret") == secret;
    let (ok, which) = match req.path() {
        "/oauth/tenant/demo/token" => (
            form("grant_type").as_deref() == Some("refresh_token")
                && form("refresh_token") == secret,
            "vcd",
        ),
        "/csp/gateway/am/api/auth/api-tokens/authorize" => (form("api_token") == secret, "csp"),
        "/authorization/oauth/token" => (client, "virtana"),
        "/api/v2/tenant/token" => (client, "oneaccess"),
        "/oauth2/token" => {
            use base64::Engine;
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("demo-client:{DEMO_SECRET}"));
            (
                req.header("authorization") == Some(&format!("Basic {basic}")),
                "oauth2",
            )
        }
        p if p.starts_with(sso::PREFIX) => return sso::answer(req, base, n),
        "/v1/identity-stores/d-demo/tenant/t-demo/bearer-token" => {
            let signed: Vec<(&str, &str)> = ["content-type", "host", "x-sdk-date"]
                .iter()
                .filter_map(|h| req.header(h).map(|v| (*h, v)))
                .collect();
            let url = reqwest::Url::parse(&format!("{base}{}", req.target)).ok();
            let want = url.map(|u| {
                let sk = crate::sensitive::Secret::from(DEMO_SECRET);
                crate::providers::huawei_sign::authorization(
                    "POST", &u, &signed, &req.body, "AKDEMO", &sk,
                )
            });
            if req.header("authorization").is_some()
                && req.header("authorization") == want.as_deref()
            {
                let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
                let body = format!(
                    r#"{{"creation_time":{now},"expiration_time":{},"token":"demo-idc-token-{n}","token_id":"t{n}"}}"#,
                    now + 365 * 86_400_000
                );
                return Response::json(201, body);
            }
            return Response::json(
                401,
                r#"{"error_code":"APIG.0301","error_msg":"verify aksk signature fail"}"#,
            );
        }
        _ => return Response::json(404, r#"{"error":"not_found"}"#),
    };
    if !ok {
        return Response::json(
            400,
            r#"{"error":"invalid_grant","error_description":"bad demo secret"}"#,
        );
    }
    Response::json(
        200,
        format!(
            r#"{{"access_token":"demo-{which}-token-{n}","token_type":"Bearer","expires_in":3600}}"#
        ),
    )
}

pub fn run() -> Result<()> {
    let exchanges = Arc::new(AtomicUsize::new(0));
    let counter = exchanges.clone();
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let base_in = base.clone();
    let server = Server::start(move |req| {
        let n = if sso::is_exchange(req) {
            counter.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            0
        };
        fake_provider(req, base_in.get().map(String::as_str).unwrap_or(""), n)
    })
    .map_err(|e| Error::op(format!("demo: cannot start the loopback server: {e}")))?;
    let url = server.url();
    let _ = base.set(url.clone());
    let dir =
        tempfile::tempdir().map_err(|e| Error::op(format!("demo: temporary directory: {e}")))?;
    // The `tokex` program users run (its hot path answers the cache hits), else this one.
    let exe = crate::platform::sibling_program("tokex")
        .ok()
        .filter(|p| p.exists())
        .map_or_else(std::env::current_exe, Ok)
        .map_err(|e| Error::op(format!("demo: {e}")))?;
    let id = std::process::id();
    println!("# Fake token endpoints of all six providers listen on {url} (loopback only).");
    println!(
        "# Config and cache live in {} for this demo.\n",
        dir.path().display()
    );

    let tokex = |args: &[&str], stdin: Option<&str>| -> Result<String> {
        println!("$ tokex {}", args.join(" "));
        let mut child = Command::new(&exe)
            .args(args)
            .env("TOKEX_CONFIG", dir.path().join("config.toml"))
            .env("TOKEX_CACHE_DIR", dir.path().join("cache"))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::op(format!("demo: running tokex: {e}")))?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let _ = pipe.write_all(input.as_bytes());
        }
        let out = child
            .wait_with_output()
            .map_err(|e| Error::op(format!("demo: {e}")))?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        print!("{text}");
        std::io::stdout().flush().ok();
        if !out.status.success() {
            return Err(Error::op(format!(
                "demo: `tokex {}` failed ({})",
                args.join(" "),
                out.status
            )));
        }
        Ok(text)
    };

    let names: Vec<String> = PROVIDERS
        .iter()
        .map(|(p, _)| format!("demo-{p}-{id}"))
        .collect();
    let sso_name = format!("demo-sso-{id}");
    let mut logged_in = Vec::new();
    let result = (|| {
        for ((which, flags), name) in PROVIDERS.iter().zip(&names) {
            let endpoint = if *which == "oauth2" {
                format!("{url}/oauth2/token")
            } else {
                url.clone()
            };
            let url_flag = if *which == "oauth2" {
                "--token-url"
            } else {
                "--url"
            };
            let mut args = vec!["profile", "add", name.as_str(), url_flag, endpoint.as_str()];
            args.extend_from_slice(flags);
            tokex(&args, None)?;
            tokex(
                &["login", name, "--stdin"],
                Some(&format!("{DEMO_SECRET}\n")),
            )
            .map_err(|e| e.context("the demo needs a working secret store (see `tokex status`)"))?;
            logged_in.push(name.clone());
            tokex(&["token", name, "--format", "header"], None)?;
        }
        println!(
            "\n# Signing in at a company's identity provider: an OIDC issuer (a fake, at {url}{}),",
            sso::PREFIX
        );
        println!("# the device flow; the fake user approves the code at once.");
        let issuer = format!("{url}{}", sso::PREFIX);
        let mut args: Vec<String> = ["profile", "add", &sso_name].map(String::from).to_vec();
        args.extend(sso::flags(&issuer));
        tokex(&args.iter().map(String::as_str).collect::<Vec<_>>(), None)?;
        tokex(&["login", &sso_name], None)?;
        logged_in.push(sso_name.clone());
        tokex(&["token", &sso_name], None)?;
        println!();
        tokex(&["token", &names[0], "--format", "json"], None)?;
        tokex(&["kubectl", &names[0]], None)?;
        println!("\n# What git, docker and terraform get for hosts the vcd profile matches.");
        println!(
            "# git asks for https://git.demo.test/acme/app.git and can take a Bearer credential:"
        );
        tokex(
            &["git", "get"],
            Some(
                "capability[]=authtype\nprotocol=https\nhost=git.demo.test\npath=acme/app.git\n\n",
            ),
        )?;
        println!("# docker asks for registry.demo.test (on stdin):");
        tokex(&["docker", "get"], Some("registry.demo.test"))?;
        println!("# terraform asks for a matched host, then for one no profile matches:");
        tokex(&["terraform", "get", "app.demo.test"], None)?;
        tokex(&["terraform", "get", "other.demo.test"], None)?;
        println!();
        tokex(&["status"], None)?;
        Ok::<(), Error>(())
    })();
    for name in &logged_in {
        tokex(&["logout", name], None)?;
    }
    result?;
    println!(
        "\n# The fake endpoints saw {} exchanges for {} profiles: each login verified its secret or signed in, and every later call was a cache hit.",
        exchanges.load(Ordering::SeqCst),
        names.len() + 1
    );
    Ok(())
}

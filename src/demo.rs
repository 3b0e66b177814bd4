//! `tokex demo`: the whole job, offline. A fake VMware Cloud Director token endpoint runs on
//! loopback inside this process; the real `tokex` binary, with a throw-away config and cache,
//! adds a profile, logs in (the demo secret goes to the real secret store), prints a token and an
//! ExecCredential, shows the cache at work, and logs out again.

use crate::error::{Error, Result};
use crate::loopback::{Response, Server};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const DEMO_SECRET: &str = "demo-api-token-not-a-real-secret";

pub fn run() -> Result<()> {
    let exchanges = Arc::new(AtomicUsize::new(0));
    let counter = exchanges.clone();
    let server = Server::start(move |req| {
        let ok = req.method == "POST"
            && req.path() == "/oauth/tenant/demo/token"
            && req.header("content-type") == Some("application/x-www-form-urlencoded")
            && req.form_value("grant_type").as_deref() == Some("refresh_token")
            && req.form_value("refresh_token").as_deref() == Some(DEMO_SECRET);
        if !ok {
            return Response::json(400, r#"{"minorErrorCode":"invalid_grant","message":"Invalid refresh token"}"#);
        }
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Response::json(200, format!(r#"{{"access_token":"demo-access-token-{n}","token_type":"Bearer","expires_in":3600}}"#))
    })
    .map_err(|e| Error::op(format!("demo: cannot start the loopback server: {e}")))?;
    join_private_session_keyring();
    let dir =
        tempfile::tempdir().map_err(|e| Error::op(format!("demo: temporary directory: {e}")))?;
    let exe = std::env::current_exe().map_err(|e| Error::op(format!("demo: {e}")))?;
    let name = format!("tokex-demo-{}", std::process::id());
    let url = server.url();
    println!(
        "# A fake VMware Cloud Director token endpoint is listening on {url} (loopback only)."
    );
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
        if !out.status.success() {
            return Err(Error::op(format!(
                "demo: `tokex {}` failed ({})",
                args.join(" "),
                out.status
            )));
        }
        Ok(text)
    };

    tokex(
        &[
            "profile",
            "add",
            &name,
            "--provider",
            "vcd",
            "--url",
            &url,
            "--tenant",
            "demo",
        ],
        None,
    )?;
    let login = tokex(
        &["login", &name, "--stdin"],
        Some(&format!("{DEMO_SECRET}\n")),
    );
    if let Err(e) = login {
        return Err(e.context("the demo needs a working secret store (see `tokex status`)"));
    }
    let result = (|| {
        tokex(&["token", &name], None)?;
        tokex(&["token", &name, "--format", "json"], None)?;
        tokex(&["kubectl", &name], None)?;
        tokex(&["status", &name], None)?;
        Ok::<(), Error>(())
    })();
    tokex(&["logout", &name], None)?;
    result?;
    println!(
        "\n# The fake endpoint saw {} exchange(s): login verified the secret, and every later call was a cache hit.",
        exchanges.load(Ordering::SeqCst)
    );
    Ok(())
}

/// Gives the demo's children a fresh kernel session keyring, so the demo secret never lands in
/// the user's own keyring, and the kernel store works even where the login set up no session
/// keyring (containers). Harmless when the store is the Secret Service.
fn join_private_session_keyring() {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: KEYCTL_JOIN_SESSION_KEYRING with a null name creates and joins an anonymous
    // session keyring for this process; it reads no memory of ours.
    let r = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if r < 0 {
        crate::log::debug(|| "demo: no private session keyring (keyctl refused)".into());
    }
}

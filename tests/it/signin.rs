//! Signing in at an OpenID provider (a loopback fake that checks every rule): discovery at
//! `profile add`, the device flow's polling rules, the authorization code flow with PKCE, a
//! `$BROWSER` stand-in that follows the redirects as a browser does, the refresh token kept in a
//! real store (the kernel keyring) and rotated, ID tokens, revocation at logout, and every bad
//! input ending in one line with nothing stored.

#![cfg(target_os = "linux")]

use crate::support::idp::{CLIENT_ID, Callback, Idp, USER_CODE};
use crate::support::*;

/// Kernel-store entries outlive a test: a name unique to this process and test.
fn name(test: &str) -> String {
    format!("oidc-{test}-{}", std::process::id())
}

fn added(env: &Env, idp: &Idp, name: &str, grant: &str, extra: &[&str]) {
    let out = idp.add_profile(env, name, grant, extra);
    assert!(out.status.success(), "profile add: {}", stderr(&out));
}

/// One line on stderr, exit `code`, and nothing stored: `tokex token` still finds no secret.
fn refused(env: &Env, name: &str, out: &std::process::Output, code: i32, want: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(want), "wanted {want:?} in: {err}");
    let last = err.lines().last().unwrap_or("");
    assert!(last.starts_with(&format!("tokex: {name}: ")), "{err}");
    let token = env.run(&["token", name], "");
    assert_eq!(token.status.code(), Some(2), "{}", stderr(&token));
    assert!(stderr(&token).contains(&format!("tokex login {name}")));
}

#[test]
fn profile_add_discovers_and_keeps_the_endpoints() {
    let idp = Idp::start();
    let env = Env::keyutils();
    let n = name("discover");
    added(
        &env,
        &idp,
        &n,
        "device_code",
        &["--id-token", "--interactive"],
    );
    let config = std::fs::read_to_string(env.config()).unwrap();
    let base = idp.url();
    for line in [
        format!("issuer = \"{base}\""),
        "grant = \"device_code\"".into(),
        "use_id_token = true".into(),
        "interactive = true".into(),
        format!("token_endpoint = \"{base}/token\""),
        format!("device_authorization_endpoint = \"{base}/device\""),
        format!("revocation_endpoint = \"{base}/revoke\""),
    ] {
        assert!(config.contains(&line), "{line} missing from:\n{config}");
    }
    assert_eq!(idp.to("/.well-known/openid-configuration").len(), 1);
}

#[test]
fn bad_discovery_is_one_line_and_writes_nothing() {
    let env = Env::keyutils();
    for (doc, grant, want) in [
        (
            ("text/html", "<html><body>Sign in</body></html>"),
            "device_code",
            "HTML page",
        ),
        (
            (
                "application/json",
                "{\"issuer\":\"ISSUER\",\"token_endpoint\":\"ISSUER/token\"}",
            ),
            "device_code",
            "names no `device_authorization_endpoint`",
        ),
        (
            (
                "application/json",
                "{\"issuer\":\"ISSUER\",\"token_endpoint\":\"ISSUER/token\"}",
            ),
            "authorization_code",
            "names no `authorization_endpoint`",
        ),
        (
            (
                "application/json",
                "{\"issuer\":\"https://elsewhere.example\",\"token_endpoint\":\"https://elsewhere.example/t\"}",
            ),
            "device_code",
            "names issuer",
        ),
    ] {
        let idp = Idp::start();
        let body = doc.1.replace("ISSUER", &idp.url());
        idp.with(|s| s.discovery = Some((doc.0.into(), body)));
        let out = idp.add_profile(&env, "p", grant, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code().map(|c| c != 0), Some(true), "{err}");
        assert!(
            err.contains(want) && err.lines().count() == 1,
            "{want}: {err}"
        );
        assert!(!env.config().exists(), "a refused profile was written");
    }
    let out = env.run(
        &[
            "profile",
            "add",
            "p",
            "--provider",
            "oauth2",
            "--issuer",
            "http://sso.example.com",
            "--client-id",
            "c",
            "--grant",
            "device_code",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("loopback") && stderr(&out).lines().count() == 1);
}

#[test]
fn device_flow_follows_the_polling_rules_then_refreshes_with_rotation() {
    let idp = Idp::start();
    idp.with(|s| s.polls = vec!["pending", "slow_down", "pending", "ok"]);
    let env = Env::keyutils();
    let n = name("device");
    added(&env, &idp, &n, "device_code", &[]);
    let out = env.run(&["login", &n], "");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let base = idp.url();
    assert!(
        err.contains(&format!(
            "open {base}/activate and enter the code {USER_CODE}"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("or open {base}/activate?user_code={USER_CODE}")),
        "{err}"
    );
    assert!(err.contains("signed in; refresh token stored in"), "{err}");
    assert!(out.stdout.is_empty(), "a sign-in wrote to stdout");
    assert!(
        !err.contains("rt-1") && !err.contains("dev-code-1"),
        "{err}"
    );
    // Four polls: 1 s apart, then 6 s after slow_down and from then on (the fake records any
    // poll that came sooner than the interval it had set).
    assert_eq!(idp.to("/token").len(), 4);
    assert_eq!(idp.violations(), Vec::<String>::new());
    let device = &idp.to("/device")[0];
    assert_eq!(
        device.form_value("scope").as_deref(),
        Some("openid offline_access")
    );

    // The sign-in's access token is cached; then the stored refresh token works and rotates.
    assert_eq!(env.ok(&["token", &n]), "at-1\n");
    assert_eq!(env.ok(&["token", &n, "--refresh"]), "at-2\n");
    assert_eq!(env.ok(&["token", &n, "--refresh"]), "at-3\n");
    let refreshes: Vec<_> = idp.to("/token")[4..]
        .iter()
        .map(|r| r.form_value("refresh_token").unwrap())
        .collect();
    assert_eq!(refreshes, ["rt-1", "rt-2"]);

    // Logout revokes the (rotated) refresh token at the discovered revocation endpoint.
    let out = env.run(&["logout", &n], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let revoked = idp.to("/revoke");
    assert_eq!(revoked[0].form_value("token").as_deref(), Some("rt-3"));
    assert_eq!(
        revoked[0].form_value("token_type_hint").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        revoked[0].form_value("client_id").as_deref(),
        Some(CLIENT_ID)
    );
    assert!(
        stderr(&out).contains(&format!("revoked at {base}/revoke")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn device_flow_stops_on_denied_expired_and_its_own_expiry() {
    let env = Env::keyutils();
    for (polls, expires_in, want) in [
        (
            vec!["pending", "access_denied"],
            600,
            "the sign-in was denied (access_denied); nothing was stored",
        ),
        (
            vec!["expired_token"],
            600,
            "expired before the sign-in was completed (expired_token)",
        ),
        (vec!["pending"], 2, "the device code ran out"),
    ] {
        let idp = Idp::start();
        idp.with(|s| {
            s.polls = polls;
            s.device_expires_in = expires_in;
        });
        let n = name("device-stop");
        added(&env, &idp, &n, "device_code", &[]);
        let out = env.run(&["login", &n], "");
        refused(&env, &n, &out, 1, want);
        std::fs::remove_file(env.config()).unwrap();
    }
}

#[test]
fn an_idp_answering_html_is_one_line_and_stores_nothing() {
    let env = Env::keyutils();
    for (path, want) in [
        (
            "/device",
            "the device authorization endpoint answered with an HTML page",
        ),
        ("/token", "the token endpoint answered with an HTML page"),
    ] {
        let idp = Idp::start();
        let n = name("html");
        added(&env, &idp, &n, "device_code", &[]);
        idp.with(|s| s.html_at = Some(path));
        let out = env.run(&["login", &n], "");
        refused(&env, &n, &out, 1, want);
        std::fs::remove_file(env.config()).unwrap();
    }
}

/// `$BROWSER` runs the stand-in; what it saw is read back once it wrote it.
fn browser(env: &mut Env) -> std::path::PathBuf {
    let script = env.dir.path().join("browser.py");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/browser.py"),
        &script,
    )
    .unwrap();
    let log = env.dir.path().join("browser.json");
    env.set("BROWSER", &format!("python3 {}", script.display()));
    env.set("STANDIN_LOG", &log.display().to_string());
    log
}

fn seen(log: &std::path::Path) -> serde_json::Value {
    for _ in 0..400 {
        if let Ok(text) = std::fs::read_to_string(log) {
            return serde_json::from_str(&text).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the browser stand-in wrote nothing");
}

#[test]
fn browser_flow_checks_pkce_state_and_the_exact_redirect() {
    let idp = Idp::start();
    let mut env = Env::keyutils();
    let log = browser(&mut env);
    let n = name("browser");
    added(
        &env,
        &idp,
        &n,
        "authorization_code",
        &["--scope", "openid offline_access groups"],
    );
    let out = env.run(&["login", &n], "");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("opened the sign-in page with python3"),
        "{err}"
    );
    assert_eq!(idp.violations(), Vec::<String>::new());
    let page = seen(&log);
    assert_eq!(page["status"], 200, "{page}");
    assert!(
        page["page"]
            .as_str()
            .unwrap()
            .contains("You can close this tab")
    );
    assert!(
        page["second"]
            .as_str()
            .is_some_and(|s| s.starts_with("no listener")),
        "{page}"
    );
    let redirect = idp.with(|s| s.redirect_uri.clone()).unwrap();
    assert!(
        page["redirects"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{redirect}?code=code-1&state="))
    );
    let exchange = &idp.to("/token")[0];
    assert_eq!(exchange.form_value("redirect_uri"), Some(redirect));
    let auth = &idp.to("/auth")[0];
    assert!(
        auth.target.contains("scope=openid+offline_access+groups")
            && auth.target.contains("&prompt=consent"),
        "{}",
        auth.target
    );
    assert_eq!(env.ok(&["token", &n]), "at-1\n");
    assert_eq!(env.ok(&["token", &n, "--refresh"]), "at-2\n");
}

#[test]
fn without_the_consent_prompt_a_spec_following_provider_grants_no_refresh_token() {
    // consent_prompt = false: the provider drops offline_access (OIDC Core §11), and the
    // message says what was asked and what was granted, and stores nothing.
    let idp = Idp::start();
    let mut env = Env::keyutils();
    let _log = browser(&mut env);
    let n = name("consent");
    added(&env, &idp, &n, "authorization_code", &[]);
    let text = std::fs::read_to_string(env.config()).unwrap();
    env.write_config(&text.replace(
        "grant = \"authorization_code\"",
        "grant = \"authorization_code\"\nconsent_prompt = false",
    ));
    let out = env.run(&["login", &n], "");
    refused(
        &env,
        &n,
        &out,
        1,
        "issued no refresh token, so tokex could not renew the sign-in: asked for scope \"openid offline_access\", it granted \"openid\"; allow refresh tokens (offline access) for this client at the provider; nothing was stored",
    );
    assert!(!idp.to("/auth")[0].target.contains("prompt="));
}

#[test]
fn a_bad_callback_is_one_line_and_stores_nothing() {
    // A forged or stateless callback (any local process can send one) is refused with a 400
    // page and ignored: the sign-in waits on for the real one, here until --timeout. The
    // provider's own refusal ends it.
    for (callback, want, listening) in [
        (
            Callback::WrongState,
            "no answer from the browser in time",
            true,
        ),
        (
            Callback::NoState,
            "no answer from the browser in time",
            true,
        ),
        (
            Callback::Denied,
            "the identity provider refused the sign-in: access_denied: User said no",
            false,
        ),
    ] {
        let idp = Idp::start();
        idp.with(|s| s.callback = Some(callback));
        let mut env = Env::keyutils();
        let log = browser(&mut env);
        let n = name("callback");
        added(&env, &idp, &n, "authorization_code", &[]);
        let out = env.run(&["login", &n, "--timeout", "3"], "");
        refused(&env, &n, &out, 1, want);
        let page = seen(&log);
        assert_eq!(page["status"], 400, "{page}");
        if listening {
            assert_eq!(page["second"], 400, "{page}");
        } else {
            assert!(
                page["second"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("no listener")),
                "{page}"
            );
        }
        assert!(
            idp.to("/token").is_empty(),
            "a code from a bad callback was exchanged"
        );
    }
}

#[test]
fn no_browser_prints_the_url_and_the_wait_is_bounded() {
    let idp = Idp::start();
    let mut env = Env::keyutils();
    let log = browser(&mut env);
    let n = name("nobrowser");
    added(&env, &idp, &n, "authorization_code", &[]);
    let out = env.run(&["login", &n, "--no-browser", "--timeout", "1"], "");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "open {}/auth?response_type=code&client_id={CLIENT_ID}",
            idp.url()
        )),
        "{err}"
    );
    assert!(err.contains("code_challenge_method=S256"), "{err}");
    refused(
        &env,
        &n,
        &out,
        1,
        "no answer from the browser in time (login --timeout); nothing was stored",
    );
    assert!(!log.exists(), "--no-browser started the browser");
    let out = env.run(&["login", &n, "--timeout", "0"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn a_rejected_refresh_token_names_the_sign_in_and_callers_never_start_one() {
    let idp = Idp::start();
    let env = Env::keyutils();
    let n = name("rejected");
    added(
        &env,
        &idp,
        &n,
        "device_code",
        &["--interactive", "--match", "https://git.example.com"],
    );
    assert!(env.run(&["login", &n], "").status.success());
    idp.with(|s| s.refresh_rejected = true);
    let out = env.run(&["token", &n, "--refresh"], "");
    refused_keeping(&out, &n);
    // git's helper protocol: no sign-in, no device request, nothing on stdout.
    assert!(env.run(&["cache", "clear", &n], "").status.success());
    let out = env.run(&["git", "get"], "protocol=https\nhost=git.example.com\n\n");
    assert_eq!(idp.to("/device").len(), 1, "git started a sign-in");
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!("tokex login {n}")),
        "{}",
        stderr(&out)
    );
    // The refresh token is kept (a later sign-in replaces it); nothing was lost.
    idp.with(|s| s.refresh_rejected = false);
    assert_eq!(env.ok(&["token", &n, "--refresh"]), "at-2\n");
}

fn refused_keeping(out: &std::process::Output, n: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid_grant")
            && err.contains(&format!("sign in again with `tokex login {n}`")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

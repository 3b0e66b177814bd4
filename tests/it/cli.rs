//! The command line as a user meets it: profile editing, login/logout, token formats, the cache,
//! status, and a clear one-line error with the right exit code for every kind of bad input.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;

const OK: &str = r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#;

#[test]
fn profile_add_list_show_remove() {
    let e = Env::keyutils();
    std::fs::write(e.config(), "# my profiles\n").unwrap();
    e.ok(&[
        "profile",
        "add",
        "acme",
        "--provider",
        "vcd",
        "--url",
        "https://vcd.example.com",
        "--tenant",
        "acme",
        "--match",
        "https://vcd.example.com",
        "--timeout",
        "90",
    ]);
    let out = e.run(&["profile", "add", "csp", "--provider", "vmware-csp"], "");
    assert!(
        stderr(&out).ends_with("; next: tokex login csp (stores its secret)\n"),
        "{}",
        stderr(&out)
    );
    // A profile whose secret comes from elsewhere has nothing for `login` to store.
    let args = [
        "profile",
        "add",
        "env",
        "--provider",
        "vmware-csp",
        "--secret-env",
        "CSP_TOKEN",
    ];
    let out = e.run(&args, "");
    assert!(
        stderr(&out).ends_with(
            "; next: tokex token env (the secret comes from the environment variable CSP_TOKEN)\n"
        ),
        "{}",
        stderr(&out)
    );
    e.ok(&["profile", "remove", "env"]);
    assert_eq!(
        e.ok(&["profile", "list"]),
        "acme\tvcd\thttps://vcd.example.com\ncsp\tvmware-csp\thttps://console.cloud.vmware.com\n"
    );
    let show = e.ok(&["profile", "show", "acme"]);
    assert!(
        show.contains("provider = \"vcd\"")
            && show.contains("tenant = \"acme\"")
            && show.contains("timeout = \"90s\""),
        "{show}"
    );
    let text = std::fs::read_to_string(e.config()).unwrap();
    assert!(text.starts_with("# my profiles\n"), "{text}");
    e.ok(&["profile", "remove", "acme"]);
    assert_eq!(
        e.ok(&["profile", "list"]),
        "csp\tvmware-csp\thttps://console.cloud.vmware.com\n"
    );
    assert!(
        std::fs::read_to_string(e.config())
            .unwrap()
            .starts_with("# my profiles\n")
    );
}

#[test]
fn profile_add_rejects_bad_input_naming_the_field() {
    let e = Env::keyutils();
    let err = e.fail(
        &[
            "profile",
            "add",
            "x",
            "--provider",
            "vcd",
            "--url",
            "https://v.example",
        ],
        "",
        2,
    );
    assert!(err.contains("provider vcd needs --tenant"), "{err}");
    let err = e.fail(
        &[
            "profile",
            "add",
            "x",
            "--provider",
            "vcd",
            "--url",
            "http://v.example",
            "--tenant",
            "t",
        ],
        "",
        2,
    );
    assert!(err.contains("`url`") && err.contains("loopback"), "{err}");
    let err = e.fail(
        &[
            "profile",
            "add",
            "x",
            "--provider",
            "vmware-csp",
            "--tenant",
            "t",
        ],
        "",
        2,
    );
    assert!(
        err.contains("--tenant does not apply to provider vmware-csp"),
        "{err}"
    );
    let err = e.fail(
        &["profile", "add", "../x", "--provider", "vmware-csp"],
        "",
        2,
    );
    assert!(err.contains("invalid profile name"), "{err}");
    let out = e.run(&["profile", "add", "x", "--provider", "aws"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid value 'aws'"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1);
    e.ok(&["profile", "add", "x", "--provider", "vmware-csp"]);
    let err = e.fail(&["profile", "add", "x", "--provider", "vmware-csp"], "", 2);
    assert!(err.contains("profile exists"), "{err}");
}

#[test]
fn broken_config_is_reported_with_its_line_and_left_alone() {
    let e = Env::keyutils();
    let broken = "[profiles.a]\nprovider = \"vmware-csp\"\nurl = \n";
    e.write_config(broken);
    let err = e.fail(&["token", "a"], "", 2);
    assert!(err.contains("line 3"), "{err}");
    e.fail(&["profile", "add", "b", "--provider", "vmware-csp"], "", 2);
    assert_eq!(
        std::fs::read_to_string(e.config()).unwrap(),
        broken,
        "never rewrite a file we cannot read"
    );
    e.write_config("[profiles.a]\nprovider = \"vmware-csp\"\nshoe_size = 9\n");
    let err = e.fail(&["status"], "", 2);
    assert!(err.contains("unknown field `shoe_size`"), "{err}");
}

#[test]
fn unknown_profile_and_missing_secret_say_what_to_do() {
    let fake = Fake::ok(OK);
    let e = Env::keyutils();
    e.write_config(&profile(
        "nosecret",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
    ));
    let err = e.fail(&["token", "nope"], "", 2);
    assert!(err.contains("nope: no such profile"), "{err}");
    let err = e.fail(&["token", "nosecret"], "", 2);
    assert!(err.contains("run `tokex login nosecret`"), "{err}");
    assert_eq!(fake.count(), 0);
}

#[test]
fn login_verifies_before_storing_and_logout_removes() {
    let fake = Fake::new(vec![
        Response::json(
            400,
            r#"{"moduleCode":340,"message":"invalid_grant: Invalid refresh token"}"#,
        ),
        Response::json(200, OK),
    ]);
    let e = Env::keyutils();
    e.write_config(&profile(
        "c",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
    ));
    let err = e.fail(&["login", "c", "--stdin"], "wrong-canary-secret\n", 1);
    assert!(
        err.contains("340: invalid_grant") && err.contains("not stored"),
        "{err}"
    );
    assert!(!err.contains("wrong-canary-secret"));
    assert!(e.ok(&["status", "c"]).contains("secret missing"));
    e.login("c", "right-secret");
    assert!(e.ok(&["status", "c"]).contains("secret stored"));
    assert_eq!(e.ok(&["token", "c"]), "at-1\n");
    assert_eq!(
        fake.count(),
        2,
        "the token came from login's verified exchange, cached"
    );
    assert_eq!(e.ok(&["token", "c", "--refresh"]), "at-1\n");
    assert!(
        e.cache_dir().join("c.lock").exists(),
        "the exchange left its lock"
    );
    e.ok(&["logout", "c"]);
    assert!(e.ok(&["status", "c"]).contains("secret missing"));
    // Nothing of the profile is left in the cache: token, lock and backoff files are gone.
    let left: Vec<_> = std::fs::read_dir(e.cache_dir())
        .unwrap()
        .map(|f| f.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with("c."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let err = e.fail(&["token", "c"], "", 2);
    assert!(err.contains("tokex login c"), "{err}");
}

#[test]
fn login_input_errors() {
    let e = Env::keyutils();
    e.write_config(&profile(
        "li",
        "provider = \"vmware-csp\"\nurl = \"http://127.0.0.1:9\"",
    ));
    e.fail(&["login", "li", "--stdin"], "\n", 2);
    let err = e.fail(&["login", "li"], "", 2);
    assert!(err.contains("--stdin"), "{err}");
    // A secret no store keeps intact is refused before anything is sent, and not echoed.
    let err = e.fail(&["login", "li", "--stdin"], "nul\u{0}canary\n", 2);
    assert!(err.contains("NUL byte"), "{err}");
    assert!(!err.contains("canary"), "{err}");
    // Two lines are two secrets or a mistake: neither is stored, neither is echoed.
    let err = e.fail(&["login", "li", "--stdin"], "canary-1\ncanary-2\n", 2);
    assert!(
        err.contains("stdin holds 2 lines: --stdin takes the secret alone"),
        "{err}"
    );
    assert!(!err.contains("canary"), "{err}");
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
    // A secret the server refuses is not stored.
    let err = e.fail(&["login", "li", "--stdin"], "canary\n", 1);
    assert!(
        err.contains("cannot connect to 127.0.0.1:9") && err.contains("not stored"),
        "{err}"
    );
    assert!(!err.contains("canary"), "{err}");
    e.write_config(&profile(
        "li",
        "provider = \"vmware-csp\"\nsecret_env = \"X\"",
    ));
    let err = e.fail(&["login", "li", "--stdin"], "s\n", 2);
    assert!(err.contains("nothing for login to store"), "{err}");
}

#[test]
fn no_verify_stores_without_a_request() {
    let fake = Fake::ok(OK);
    let e = Env::keyutils();
    e.write_config(&profile(
        "nv",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
    ));
    let out = e.run(&["login", "nv", "--stdin", "--no-verify"], "s\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fake.count(), 0);
    assert_eq!(e.ok(&["token", "nv"]), "at-1\n");
    assert_eq!(
        fake.request(0).form_value("api_token").as_deref(),
        Some("s")
    );
    e.ok(&["logout", "nv"]);
}

#[test]
fn cache_hit_makes_no_request_and_refresh_and_clear_do() {
    let fake = Fake::ok(OK);
    let e = env_with_secret(
        "c",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
        "sec",
    );
    for _ in 0..3 {
        assert_eq!(e.ok(&["token", "c"]), "at-1\n");
    }
    assert_eq!(fake.count(), 1);
    e.ok(&["token", "c", "--refresh"]);
    assert_eq!(fake.count(), 2);
    assert!(e.cache_dir().join("c.lock").exists());
    e.ok(&["cache", "clear", "c"]);
    assert!(
        !e.cache_dir().join("c.lock").exists() && !e.cache_dir().join("c.json").exists(),
        "cache clear leaves no file of the profile"
    );
    e.ok(&["token", "c"]);
    assert_eq!(fake.count(), 3);
    // A minimum longer than the provider's tokens live cannot be met by exchanging again: the
    // cached token is served, and the user is told once.
    let out = e.run(&["token", "c", "--min-valid", "2h"], "");
    assert!(out.status.success());
    assert_eq!(stdout(&out), "at-1\n");
    let warning = stderr(&out);
    assert_eq!(warning.lines().count(), 1, "{warning}");
    assert!(
        warning.contains("warning: vmware-csp tokens live 1h, so the 2h of validity asked for cannot be met; this one is valid for 59m"),
        "{warning}"
    );
    assert_eq!(fake.count(), 3);
    let status = e.ok(&["status", "c"]);
    assert!(status.contains("cached token valid until"), "{status}");
    // Editing the profile invalidates the cache.
    e.write_config(&profile(
        "c",
        &format!(
            "provider = \"vmware-csp\"\nurl = \"{}/\"\nsecret_env = \"SECRET\"",
            fake.url()
        ),
    ));
    e.ok(&["token", "c"]);
    assert_eq!(fake.count(), 4);
}

#[test]
fn token_formats() {
    let fake = Fake::ok(OK);
    let e = env_with_secret(
        "c",
        &format!(
            "provider = \"vcd\"\nurl = \"{}\"\ntenant = \"t\"",
            fake.url()
        ),
        "sec",
    );
    assert_eq!(
        e.ok(&["token", "c", "--format", "header"]),
        "Authorization: Bearer at-1\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["token", "c", "--format", "json"])).unwrap();
    assert_eq!(json["access_token"], "at-1");
    assert_eq!(json["token_type"], "Bearer");
    let at = time::OffsetDateTime::parse(
        json["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = (at - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((3500..=3541).contains(&left), "{left}");
    assert!(json["expires_at"].as_str().unwrap().ends_with('Z'));
    let env = e.ok(&["token", "c", "--format", "env"]);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{env}\nprintf %s \"$TOKEX_TOKEN\""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "at-1");
    let err = e.fail(&["token", "c", "--min-valid", "soon"], "", 2);
    assert!(err.contains("not a duration"), "{err}");
}

#[test]
fn kubectl_exec_credential_and_bad_exec_info() {
    let fake = Fake::ok(OK);
    let mut e = env_with_secret(
        "k",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
        "sec",
    );
    e.set("KUBERNETES_EXEC_INFO", r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#);
    let cred: serde_json::Value = serde_json::from_str(&e.ok(&["kubectl", "k"])).unwrap();
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["status"]["token"], "at-1");
    e.set("KUBERNETES_EXEC_INFO", "not json");
    let err = e.fail(&["kubectl", "k"], "", 2);
    assert!(err.contains("KUBERNETES_EXEC_INFO"), "{err}");
}

#[test]
fn demo_runs_offline() {
    let e = Env::keyutils();
    let out = e.ok(&["demo"]);
    assert!(out.contains("\"kind\":\"ExecCredential\""), "{out}");
    assert!(out.contains("saw 7 exchanges for 7 profiles"), "{out}");
    assert!(
        out.contains("authtype=Bearer\ncredential=demo-vcd-token-1\n"),
        "{out}"
    );
    assert!(out.contains("\"ServerURL\":\"registry.demo.test\",\"Username\":\"oauth2\",\"Secret\":\"demo-vcd-token-1\""), "{out}");
    assert!(out.contains("{\"token\":\"demo-vcd-token-1\"}\n"), "{out}");
    assert!(
        out.contains("$ tokex terraform get other.demo.test\n{}\n"),
        "{out}"
    );
    for p in ["vcd", "csp", "virtana", "oneaccess", "idc", "oauth2", "sso"] {
        assert!(out.contains(&format!("demo-{p}-token-")), "{p}: {out}");
    }
    // The device-flow sign-in's instructions go to stderr; its refresh token is revoked at logout.
    let out = e.run(&["demo"], "");
    let err = stderr(&out);
    assert!(
        err.contains("and enter the code DEMO-CODE")
            && err.contains("signed in; refresh token stored in"),
        "{err}"
    );
    assert!(
        err.contains("/sso/revoke: refresh token and cached access token"),
        "{err}"
    );
    // Every demo secret was removed from the (throw-away user's) kernel keyring.
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
}

#[test]
fn profile_remove_takes_the_stored_secret_and_cache_with_it_unless_kept() {
    let fake = Fake::ok(OK);
    let e = Env::keyutils();
    let body = format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url());
    e.write_config(&profile("c", &body));
    e.login("c", "secret-1");
    assert_eq!(e.kernel_keys().len(), 1, "{:?}", e.kernel_keys());
    let out = e.run(&["profile", "remove", "c"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "tokex: c: secret and cached token removed; tokens already issued stay valid at vmware-csp until they expire (it offers no revocation to tokex)\ntokex: removed profile c\n"
    );
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
    let left: Vec<_> = std::fs::read_dir(e.cache_dir())
        .map(|d| d.map(|f| f.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "cache files left: {left:?}");
    // Kept on request: the same name finds it again, and logout then removes it.
    e.write_config(&profile("c", &body));
    e.login("c", "secret-2");
    let out = e.run(&["profile", "remove", "c", "--keep-secret"], "");
    assert!(
        stderr(&out).contains("its stored secret was kept (--keep-secret)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.kernel_keys().len(), 1);
    e.write_config(&profile("c", &body));
    e.ok(&["logout", "c"]);
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
}

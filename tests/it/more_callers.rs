//! The callers of issue 27 through the real binary and its entry points: `keyring` as pip and
//! uv spell their questions, the kubelet's provider (types: kubernetes `credentialprovider/v1`),
//! GOAUTH (`go help goauth`) including its 401 path, and Google's executable-sourced
//! credentials run by real google-auth.

#![cfg(target_os = "linux")]

use crate::support::tools::python_tools;
use crate::support::*;

fn entry(env: &Env, name: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let program = path_str(&env.bin().join(name));
    env.run_tool(env.tool_as_user(&program, args), stdin)
}

#[test]
fn keyring_answers_each_spelling_pip_and_uv_use() {
    let issuer = Issuer::new();
    let env = issuer.env("pypi", &["https://pkgs.example.com/simple"]);
    let bin = path_str(&env.bin());
    let out = env.run(&["install-helpers", "--dir", &bin, "--keyring"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let url = "https://pkgs.example.com/simple/";
    for (args, want) in [
        // pip 26
        (
            vec!["--mode=creds", "--output=json", "get", url],
            "{\"username\":\"__token__\",\"password\":\"tok-1\"}\n",
        ),
        (
            vec!["--mode=creds", "--output=json", "get", url, "me"],
            "{\"username\":\"me\",\"password\":\"tok-1\"}\n",
        ),
        // uv, with a user name and without
        (vec!["get", url, "me"], "tok-1\n"),
        (vec!["get", url, "--mode", "creds"], "__token__\ntok-1\n"),
    ] {
        let out = entry(&env, "keyring", &args, "");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), want, "{args:?}");
        assert_eq!(stderr(&out), "", "{args:?}");
    }
    // No profile for pip's second try (the bare host): nothing at all, exit 1.
    let out = entry(
        &env,
        "keyring",
        &["--mode=creds", "--output=json", "get", "pkgs.example.com"],
        "",
    );
    assert_eq!(
        (out.status.code(), stdout(&out), stderr(&out)),
        (Some(1), String::new(), String::new())
    );
    let out = entry(&env, "keyring", &["set", url, "me"], "password\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("tokex login"));
    assert_eq!(issuer.issued(), ["tok-1"]);
}

/// Go's `time.ParseDuration` for what tokex writes (`1h2m3s`, `59m0s`, `0s`).
fn go_seconds(d: &str) -> i64 {
    let (mut total, mut n) = (0, 0);
    for c in d.chars() {
        match c {
            '0'..='9' => n = n * 10 + c.to_digit(10).unwrap() as i64,
            'h' => (total, n) = (total + n * 3600, 0),
            'm' => (total, n) = (total + n * 60, 0),
            's' => (total, n) = (total + n, 0),
            _ => panic!("{d}"),
        }
    }
    total
}

#[test]
fn the_kubelet_gets_a_credential_provider_response_it_decodes_strictly() {
    let issuer = Issuer::new();
    let env = issuer.env("harbor", &["harbor.example.com:5000/team"]);
    env.install_helpers();
    let request = |image: &str| {
        format!(
            "{{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderRequest\",\"image\":\"{image}\"}}"
        )
    };
    let out = entry(
        &env,
        "kubelet-credential-tokex",
        &[],
        &request("harbor.example.com:5000/team/app:1.2"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let duration = v["cacheDuration"].as_str().unwrap().to_string();
    let left = go_seconds(&duration);
    assert!(
        (3500..=3540).contains(&left),
        "{duration}: the token's hour less a minute, at most"
    );
    assert_eq!(
        text,
        format!(
            "{{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderResponse\",\"cacheKeyType\":\"Registry\",\"cacheDuration\":\"{duration}\",\"auth\":{{\"harbor.example.com:5000\":{{\"username\":\"oauth2\",\"password\":\"tok-1\"}}}}}}\n"
        )
    );
    let out = entry(
        &env,
        "kubelet-credential-tokex",
        &[],
        &request("docker.io/library/nginx"),
    );
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderResponse\",\"cacheKeyType\":\"Registry\",\"auth\":{}}\n"
    );
    let out = entry(&env, "kubelet-credential-tokex", &[], "{\"image\":");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert_eq!(stdout(&out), "");
    assert_eq!(issuer.issued(), ["tok-1"]);
}

#[test]
fn goauth_prints_go_s_grammar_and_renews_after_a_401() {
    let issuer = Issuer::new();
    let env = issuer.env(
        "mods",
        &["https://go.example.com/mods/", "proxy.example.com"],
    );
    let first = env.ok(&["goauth", "mods"]);
    assert_eq!(
        first,
        "https://go.example.com/mods\nhttps://proxy.example.com\n\nAuthorization: Bearer tok-1\n\n"
    );
    // Go's second call, after a 4xx, with the response head on stdin.
    let url = "https://go.example.com/mods/m/@v/list";
    let out = env.run(
        &["goauth", "mods", url],
        "HTTP/1.1 404 Not Found\nContent-Length: 0\n\n",
    );
    assert!(out.status.success());
    assert_eq!(stdout(&out), "");
    assert_eq!(issuer.issued(), ["tok-1"]);
    let out = env.run(
        &["goauth", "mods", url],
        "HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: Bearer\r\n\r\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "https://go.example.com/mods\nhttps://proxy.example.com\n\nAuthorization: Bearer tok-2\n\n"
    );
    // The fresh token is the cached one now: the next first call exchanges nothing.
    assert_eq!(env.ok(&["goauth", "mods"]), stdout(&out));
    assert_eq!(issuer.issued(), ["tok-1", "tok-2"]);
}

/// Real google-auth runs `command` through its executable runner and returns the subject token.
fn google_auth(env: &Env, command: &str, output_file: Option<&str>) -> std::process::Output {
    let source = match output_file {
        Some(f) => format!(
            "{{\"executable\": {{\"command\": \"{command}\", \"timeout_millis\": 30000, \"output_file\": \"{f}\"}}}}"
        ),
        None => {
            format!("{{\"executable\": {{\"command\": \"{command}\", \"timeout_millis\": 30000}}}}")
        }
    };
    let script = format!(
        "import json\nfrom google.auth import pluggable\ninfo = {{\"type\": \"external_account\", \"audience\": \"//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/o\", \"subject_token_type\": \"urn:ietf:params:oauth:token-type:id_token\", \"token_url\": \"https://sts.googleapis.com/v1/token\", \"credential_source\": {source}}}\nprint(pluggable.Credentials.from_info(info).retrieve_subject_token(None))\n"
    );
    let python = path_str(&python_tools().join("python"));
    let mut c = env.tool_as_user(&python, &["-c", &script]);
    c.env("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES", "1");
    env.run_tool(c, "")
}

#[test]
fn google_auth_accepts_google_exec_with_and_without_an_output_file() {
    let issuer = Issuer::new();
    let env = issuer.env("corp", &[]);
    let tokex = env!("CARGO_BIN_EXE_tokex");
    let out = google_auth(&env, &format!("{tokex} google-exec corp"), None);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "tok-1\n");
    let direct = env.run(&["google-exec", "corp"], "");
    assert!(direct.status.success());
    assert_eq!(
        stderr(&direct),
        "",
        "the libraries read stderr as part of the answer"
    );

    let file = path_str(&env.bin().parent().unwrap().join("google-subject.json"));
    let out = google_auth(&env, &format!("{tokex} google-exec corp"), Some(&file));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "tok-1\n");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["id_token"], "tok-1");
    // While that answer is unexpired the library reads it instead of running the program.
    let out = google_auth(&env, "/nonexistent/tokex google-exec corp", Some(&file));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "tok-1\n");

    // A failure is the library's error with tokex's message, and no stray stderr line broke it.
    let out = google_auth(&env, &format!("{tokex} google-exec nosuch"), None);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("Executable exited with non-zero return code 1. Error: b'{\"version\":1,\"success\":false,\"code\":\"USAGE\",\"message\":\"tokex: nosuch: no such profile"), "{said}");
    assert_eq!(issuer.issued(), ["tok-1"]);
}

#[test]
fn install_helpers_makes_keyring_only_when_asked_and_never_over_someone_else_s() {
    let env = Env::with_store(vec![("TOKEX_STORE".into(), "keyutils".into())]);
    let bin = env.bin();
    let dir = path_str(&bin);
    env.ok(&["install-helpers", "--dir", &dir]);
    assert!(bin.join("kubelet-credential-tokex").exists());
    assert!(
        !bin.join("keyring").exists(),
        "keyring is Python keyring's name: only on request"
    );
    // pipx's keyring: a link into its virtualenv.
    let theirs = bin.parent().unwrap().join("pipx-keyring");
    std::fs::write(&theirs, "#!/bin/sh\necho python keyring\n").unwrap();
    std::os::unix::fs::symlink(&theirs, bin.join("keyring")).unwrap();
    let err = env.fail(&["install-helpers", "--dir", &dir, "--keyring"], "", 2);
    assert!(err.contains("keyring exists and is not tokex"), "{err}");
    assert_eq!(std::fs::read_link(bin.join("keyring")).unwrap(), theirs);
    std::fs::remove_file(bin.join("keyring")).unwrap();
    env.ok(&["install-helpers", "--dir", &dir, "--keyring"]);
    let out = entry(
        &env,
        "keyring",
        &["get", "https://nothing.example.com/"],
        "",
    );
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (Some(1), String::new()),
        "tokex's keyring answers"
    );
}

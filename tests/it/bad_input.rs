//! Bad input from callers and users: each is one line on stderr and a non-zero exit, never a
//! panic, never the secret.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;

const CANARY: &str = "canary-secret-0b9e44";

/// (case, tokex arguments, stdin, an environment variable, exit code, what stderr must say)
type Case<'a> = (
    &'a str,
    Vec<&'a str>,
    Vec<u8>,
    Option<(&'a str, &'a str)>,
    i32,
    &'a str,
);

#[test]
fn every_malformed_request_is_one_clear_line() {
    // A profile matching everything the callers ask about below, with an unreachable endpoint:
    // no case may get as far as an exchange.
    let mut env = env_with_secret(
        "p",
        "provider = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"ci\"\nmatch = [\"git.example.com\", \"reg.example.com\"]\ntimeout = 2",
        CANARY,
    );
    let huge = vec![b'a'; 2 * 1024 * 1024];
    let cases: Vec<Case> = vec![
        (
            "git line without =",
            vec!["git", "get"],
            b"protocol=https\nhost=git.example.com\nnonsense\n".to_vec(),
            None,
            2,
            "line 3 of git's request is not key=value",
        ),
        (
            "git NUL",
            vec!["git", "get"],
            b"protocol=https\nhost=git.exa\0mple.com\n".to_vec(),
            None,
            2,
            "NUL",
        ),
        (
            "git invalid UTF-8",
            vec!["git", "get"],
            b"protocol=https\nhost=\xff\xfe\n".to_vec(),
            None,
            2,
            "not UTF-8",
        ),
        (
            "git huge",
            vec!["git", "get"],
            huge.clone(),
            None,
            2,
            "larger than 1 MiB",
        ),
        (
            "git no host",
            vec!["git", "get"],
            b"protocol=https\n".to_vec(),
            None,
            2,
            "no protocol or host",
        ),
        (
            "git bad host",
            vec!["git", "get"],
            b"protocol=https\nhost=a b\n".to_vec(),
            None,
            2,
            "not a host or URL",
        ),
        (
            "kubectl non-JSON",
            vec!["kubectl", "p"],
            vec![],
            Some(("KUBERNETES_EXEC_INFO", "not json")),
            2,
            "KUBERNETES_EXEC_INFO is not valid JSON",
        ),
        (
            "kubectl v1alpha1",
            vec!["kubectl", "p"],
            vec![],
            Some((
                "KUBERNETES_EXEC_INFO",
                r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
            )),
            2,
            "is not supported",
        ),
        (
            "docker empty URL",
            vec!["docker", "get"],
            b"  ".to_vec(),
            None,
            2,
            "no credentials server URL",
        ),
        (
            "docker invalid UTF-8",
            vec!["docker", "get"],
            b"\xff".to_vec(),
            None,
            2,
            "not UTF-8",
        ),
        (
            "docker store not JSON",
            vec!["docker", "store"],
            CANARY.to_string().into_bytes(),
            None,
            2,
            "not a JSON object",
        ),
        (
            "docker huge",
            vec!["docker", "get"],
            huge.clone(),
            None,
            2,
            "larger than 1 MiB",
        ),
        (
            "terraform empty host",
            vec!["terraform", "get", ""],
            vec![],
            None,
            2,
            "is not a host name",
        ),
        (
            "terraform URL for host",
            vec!["terraform", "get", "https://app.example.com/"],
            vec![],
            None,
            2,
            "is not a host name",
        ),
        (
            "terraform bad port",
            vec!["terraform", "get", "app.example.com:http"],
            vec![],
            None,
            2,
            "bad port",
        ),
        (
            "terraform store not JSON",
            vec!["terraform", "store", "reg.example.com"],
            format!("token={CANARY}").into_bytes(),
            None,
            2,
            "not a JSON object",
        ),
        (
            "external not an object",
            vec!["external"],
            b"[\"p\"]".to_vec(),
            None,
            2,
            "JSON object of strings",
        ),
        (
            "external huge",
            vec!["external"],
            huge,
            None,
            2,
            "larger than 1 MiB",
        ),
        (
            "token unknown profile",
            vec!["token", "nope"],
            vec![],
            None,
            2,
            "no such profile",
        ),
        (
            "token bad duration",
            vec!["token", "p", "--min-valid", "soon"],
            vec![],
            None,
            2,
            "is not a duration",
        ),
    ];
    for (name, args, stdin, var, code, want) in cases {
        env.extra_env.retain(|(k, _)| k != "KUBERNETES_EXEC_INFO");
        if let Some((k, v)) = var {
            env.set(k, v);
        }
        let out = env.run_tool(env.cmd(&args), &stdin);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.starts_with("tokex: "), "{name}: {err}");
        assert!(err.contains(want), "{name}: wanted {want:?} in {err}");
        assert!(
            !err.contains(CANARY) && !stdout(&out).contains(CANARY),
            "{name} leaked"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn broken_or_hostile_config_is_reported_not_guessed() {
    let env = Env::keyutils();
    let loose = env.dir.path().join("secret");
    std::fs::write(&loose, CANARY).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let base =
        "provider = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"ci\"\n";
    for (name, config, want) in [
        (
            "unknown key",
            format!("[profiles.p]\n{base}colour = \"blue\"\n"),
            "unknown field `colour`",
        ),
        (
            "wrong type",
            format!("[profiles.p]\n{base}timeout = \"ten\"\n"),
            "line 5",
        ),
        ("not TOML", "[profiles.p\nprovider=".to_string(), "line 1"),
        (
            "bad match",
            format!("[profiles.p]\n{base}match = [\"https://a b\"]\n"),
            "`match`",
        ),
        (
            "loose secret_file",
            format!(
                "[profiles.p]\n{base}secret_file = \"{}\"\n",
                path_str(&loose)
            ),
            "0644",
        ),
    ] {
        env.write_config(&config);
        let out = env.run(&["token", "p"], "");
        let err = stderr(&out);
        assert_ne!(out.status.code(), Some(0), "{name}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(want), "{name}: wanted {want:?} in {err}");
        assert!(!err.contains(CANARY), "{name} leaked");
    }
}

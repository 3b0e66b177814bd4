//! The real kubectl against a cluster that authenticates with OIDC: it must receive the ID token
//! (not the access token) with the ID token's expiry, and a missing sign-in is started by the
//! exec plugin only when kubectl runs it at a terminal (`spec.interactive`, proven here with a
//! pseudo-terminal from `script`) and the profile allows it.

#![cfg(target_os = "linux")]

use crate::support::idp::{CLIENT_ID, Idp, USER_CODE};
use crate::support::kube::*;
use crate::support::tls::Tls;
use crate::support::*;
use base64::Engine;

/// An ID token from the fake IdP: a JWT naming it as issuer and the client as audience.
fn is_id_token(t: &str) -> bool {
    let payload = t.split('.').nth(1).unwrap_or("");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|c| {
            c.contains("\"iss\":\"idp\"") && c.contains(&format!("\"aud\":\"{CLIENT_ID}\""))
        })
}

fn setup(interactive: bool) -> (Idp, Env, String) {
    let idp = Idp::start();
    let env = Env::keyutils();
    let name = format!("k8s-{}", std::process::id());
    let extra: &[&str] = if interactive {
        &["--id-token", "--interactive"]
    } else {
        &["--id-token"]
    };
    let out = idp.add_profile(&env, &name, "device_code", extra);
    assert!(out.status.success(), "{}", stderr(&out));
    (idp, env, name)
}

fn run_kubectl(env: &Env, config: &str, pty: bool) -> std::process::Output {
    let line = format!("kubectl --kubeconfig {config} get --raw /version");
    let c = if pty {
        // util-linux script gives kubectl a pseudo-terminal as stdin, stdout and stderr.
        env.tool_as_user("script", &["-q", "-e", "-c", &line, "/dev/null"])
    } else {
        env.tool_as_user(
            "kubectl",
            &["--kubeconfig", config, "get", "--raw", "/version"],
        )
    };
    env.run_tool(c, "")
}

const IF_AVAILABLE: &str = "      interactiveMode: IfAvailable\n";

#[test]
fn kubectl_gets_the_id_token_with_its_expiry() {
    let (idp, env, name) = setup(false);
    assert!(env.run(&["login", &name], "").status.success());
    let tls = Tls::new();
    let api = ApiServer::start(&tls, is_id_token, None);
    let config = kubeconfig_for(&name, &env, &tls, &api, V1, NEVER);
    let out = run_kubectl(&env, &config, false);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !api.tokens().is_empty() && api.tokens().iter().all(|t| is_id_token(t)),
        "{:?}",
        api.tokens()
    );

    // The ExecCredential's expiry is the ID token's `exp` (600 s) less tokex's margin (60 s).
    let cred: serde_json::Value = serde_json::from_str(&env.ok(&["kubectl", &name])).unwrap();
    let token = cred["status"]["token"].as_str().unwrap();
    assert!(is_id_token(token), "{cred}");
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap())
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    let stamp = time::OffsetDateTime::parse(
        cred["status"]["expirationTimestamp"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp();
    assert!(
        (exp - 60 - stamp).abs() <= 2,
        "exp {exp}, expirationTimestamp {stamp}"
    );
    assert_eq!(idp.to("/token").len(), 1, "kubectl's runs were cache hits");
}

#[test]
fn the_plugin_signs_in_only_at_a_terminal_and_only_when_the_profile_allows() {
    let tls = Tls::new();
    // Allowed, but kubectl has no terminal: one line naming `tokex login`, no sign-in.
    let (idp, env, name) = setup(true);
    let api = ApiServer::start(&tls, is_id_token, None);
    let config = kubeconfig_for(&name, &env, &tls, &api, V1, IF_AVAILABLE);
    let out = run_kubectl(&env, &config, false);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("kubectl ran tokex without a terminal")
            && err.contains("kubectl's own stdin is not a terminal")
            && err.contains(&format!("tokex login {name}")),
        "{err}"
    );
    assert!(idp.to("/device").is_empty());

    // At a terminal: the plugin signs in on stderr (the device code), kubectl gets the ID token.
    let out = run_kubectl(&env, &config, true);
    let all = stdout(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains(&format!("enter the code {USER_CODE}")),
        "{all}"
    );
    assert!(all.contains("v1.32.0-tokex-fake"), "{all}");
    assert_eq!(idp.to("/device").len(), 1);
    assert!(api.tokens().iter().any(|t| is_id_token(t)));
    // Signed in once: the next kubectl is served from the cache.
    let out = run_kubectl(&env, &config, false);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(idp.to("/device").len(), 1);

    // Not allowed by the profile: even at a terminal, no sign-in.
    let (idp, env, name) = setup(false);
    let config = kubeconfig_for(&name, &env, &tls, &api, V1, IF_AVAILABLE);
    let out = run_kubectl(&env, &config, true);
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains(&format!("tokex login {name}")),
        "{}",
        stdout(&out)
    );
    assert!(idp.to("/device").is_empty());
}

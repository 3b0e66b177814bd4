//! The real kubectl judges `tokex kubectl`: a kubeconfig whose user runs tokex as its exec
//! credential plugin, against a loopback HTTPS fake API server that accepts only issued tokens
//! (kubectl applies exec credentials only over TLS).

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::kube::*;
use crate::support::tls::Tls;
use crate::support::*;
use std::time::Duration;

#[test]
fn kubectl_uses_the_token_and_tokex_caches_it_across_processes() {
    let tls = Tls::new();
    let issuer = Issuer::new();
    let env = issuer.env("cluster", &[]);
    let api = ApiServer::start(&tls, issuer.validator(), None);
    let config = kubeconfig(&env, &tls, &api, V1, NEVER);
    for _ in 0..2 {
        let out = kubectl(&env, &config, &["get", "--raw", "/version"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("v1.32.0-tokex-fake"));
    }
    // This kubectl (a version dispatcher) asks /version itself before the command's own
    // request: two requests per process, one plugin run.
    assert_eq!(
        plugin_runs(&env),
        2,
        "each kubectl process runs the plugin once"
    );
    assert_eq!(
        issuer.issued(),
        ["tok-1"],
        "the second run was a tokex cache hit"
    );
    let seen = api.seen.all();
    assert!(
        !seen.is_empty() && seen.iter().all(|(_, t)| t.as_deref() == Some("tok-1")),
        "{seen:?}"
    );
}

#[test]
fn kubectl_reuses_the_credential_until_it_expires_then_runs_the_plugin_again() {
    let tls = Tls::new();
    let issuer = Issuer::new();
    let env = issuer.env("cluster", &[]);
    // Long-lived: one plugin run serves every request of one kubectl process.
    let api = ApiServer::start(&tls, issuer.validator(), None);
    let config = kubeconfig(&env, &tls, &api, V1, NEVER);
    let out = kubectl(&env, &config, &["api-resources", "--cached=false"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("namespaces"), "{}", stdout(&out));
    let requests = api.tokens().len();
    assert!(requests >= 2, "api-resources made {requests} requests");
    assert_eq!(plugin_runs(&env), 1);

    // Short-lived (3 s, reported as expiring ~0.3 s earlier) and the first answer takes 4 s: by
    // the next request the credential has expired, so kubectl runs the plugin again and tokex,
    // whose cached token is about to expire too, exchanges anew.
    let tls2 = Tls::new();
    let issuer2 = Issuer::new();
    issuer2.set_expires_in(3);
    let env2 = issuer2.env("cluster", &[]);
    let slow = ApiServer::start(
        &tls2,
        issuer2.validator(),
        Some(("/api", Duration::from_secs(4))),
    );
    let config2 = kubeconfig(&env2, &tls2, &slow, V1, NEVER);
    let out = kubectl(&env2, &config2, &["api-resources", "--cached=false"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(plugin_runs(&env2) >= 2, "runs: {}", plugin_runs(&env2));
    let tokens = slow.tokens();
    assert_eq!(tokens.first().map(String::as_str), Some("tok-1"));
    assert!(tokens.iter().any(|t| t == "tok-2"), "{tokens:?}");
}

#[test]
fn v1beta1_is_answered_in_v1beta1() {
    let tls = Tls::new();
    let issuer = Issuer::new();
    let env = issuer.env("cluster", &[]);
    let api = ApiServer::start(&tls, issuer.validator(), None);
    // v1beta1 needs no interactiveMode.
    let config = kubeconfig(&env, &tls, &api, "client.authentication.k8s.io/v1beta1", "");
    let out = kubectl(&env, &config, &["get", "--raw", "/version"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        api.tokens().iter().all(|t| t == "tok-1"),
        "{:?}",
        api.tokens()
    );
    assert_eq!(issuer.issued(), ["tok-1"]);
    assert_eq!(plugin_runs(&env), 1);
}

#[test]
fn a_failing_exchange_reaches_the_user_through_kubectl() {
    let tls = Tls::new();
    let env = env_with_secret(
        "cluster",
        "provider = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"ci\"\ntimeout = 5",
        "client-secret",
    );
    let api = ApiServer::start(&tls, |_| true, None);
    let config = kubeconfig(&env, &tls, &api, V1, NEVER);
    let out = kubectl(&env, &config, &["get", "--raw", "/version"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("tokex: cluster: oauth2 token exchange:"),
        "{err}"
    );
    assert!(
        err.contains("getting credentials: exec: executable tokex-counted failed with exit code 1"),
        "{err}"
    );
    assert!(!err.contains("client-secret"));
    assert!(api.tokens().is_empty());
}

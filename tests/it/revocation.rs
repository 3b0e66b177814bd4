//! `tokex logout` revokes at an oauth2 profile's `revocation_url` (RFC 7009) before deleting;
//! if revoking fails nothing is deleted; providers without revocation say the tokens live on.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

fn server(revoke_status: Arc<AtomicU16>) -> Fake {
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    let server = Server::start(move |req| {
        seen.lock().unwrap().push(req.clone());
        match req.path() {
            "/token" => Response::json(
                200,
                r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#,
            ),
            "/revoke" => Response::json(revoke_status.load(Ordering::SeqCst), "{}"),
            _ => Response::json(404, "{}"),
        }
    })
    .unwrap();
    Fake { server, requests }
}

/// Kernel-store entries outlive a test: a name unique to this process and test.
fn name(test: &str) -> String {
    format!("rev-{test}-{}", std::process::id())
}

fn env_for(fake: &Fake, name: &str) -> Env {
    let env = Env::keyutils();
    env.write_config(&profile(
        name,
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{0}/token\"\nrevocation_url = \"{0}/revoke\"\ngrant = \"refresh_token\"\nclient_id = \"cli\"",
            fake.url()
        ),
    ));
    env.login(name, "rt-long-lived");
    env
}

#[test]
fn logout_revokes_the_refresh_token_and_the_cached_access_token_then_deletes() {
    let status = Arc::new(AtomicU16::new(200));
    let fake = server(status.clone());
    let name = name("revokes");
    let env = env_for(&fake, &name);

    // A revocation failure deletes nothing.
    status.store(400, Ordering::SeqCst);
    let out = env.run(&["logout", &name], "");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("revoking the refresh token: HTTP 400"),
        "{err}"
    );
    assert!(err.contains("nothing was deleted"), "{err}");
    assert!(!err.contains("rt-long-lived"));
    assert!(env.ok(&["status", &name]).contains("secret stored"));

    status.store(200, Ordering::SeqCst);
    let before = fake.count();
    let out = env.run(&["logout", &name], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("revoked at"), "{}", stderr(&out));
    let revocations: Vec<_> = (before..fake.count())
        .map(|i| fake.request(i))
        .filter(|r| r.path() == "/revoke")
        .collect();
    assert_eq!(revocations.len(), 2);
    assert_eq!(
        revocations[0].form_value("token").as_deref(),
        Some("rt-long-lived")
    );
    assert_eq!(
        revocations[0].form_value("token_type_hint").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        revocations[0].form_value("client_id").as_deref(),
        Some("cli")
    );
    assert_eq!(revocations[1].form_value("token").as_deref(), Some("at-1"));
    assert_eq!(
        revocations[1].form_value("token_type_hint").as_deref(),
        Some("access_token")
    );
    assert!(env.ok(&["status", &name]).contains("secret missing"));
}

#[test]
fn no_revoke_deletes_locally_and_other_providers_say_tokens_live_on() {
    let status = Arc::new(AtomicU16::new(503));
    let fake = server(status);
    let name = name("local");
    let env = env_for(&fake, &name);
    let out = env.run(&["logout", &name, "--no-revoke"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("stay valid"), "{}", stderr(&out));
    assert!(
        fake.requests
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.path() != "/revoke")
    );
    assert!(env.ok(&["status", &name]).contains("secret missing"));
}

//! Secrets in the real stores: the Secret Service (gnome-keyring on a private D-Bus session) and
//! the Linux kernel keyring. Each test reads the secret back through a fresh tokex process that
//! must present it to the fake endpoint.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;

const OK: &str = r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#;

fn round_trip(e: &Env, fake: &Fake, name: &str, store: &str) {
    e.write_config(&profile(
        name,
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
    ));
    let out = e.run(&["login", name, "--stdin"], "stored-secret-1\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("stored in {store}")),
        "{}",
        stderr(&out)
    );
    e.ok(&["cache", "clear", name]);
    assert_eq!(e.ok(&["token", name]), "at-1\n");
    assert_eq!(
        fake.request(1).form_value("api_token").as_deref(),
        Some("stored-secret-1")
    );
    // A second profile in the same store: the store is described once, not per profile.
    let second = format!("{name}-2");
    let body = format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url());
    e.write_config(&format!(
        "{}{}",
        profile(name, &body),
        profile(&second, &body)
    ));
    e.login(&second, "stored-secret-2");
    let status = e.ok(&["status"]);
    assert!(
        status.starts_with(&format!("secret store: {store}")),
        "{status}"
    );
    for n in [name, second.as_str()] {
        assert!(
            status.contains(&format!(
                "{n}: provider vmware-csp; secret stored in {store}; cached"
            )),
            "{status}"
        );
    }
    let described = format!("\nstore {store}: ");
    assert_eq!(status.matches(&described).count(), 1, "{status}");
    assert!(!status.contains("stored-secret-1"));
    e.ok(&["logout", &second]);
    e.ok(&["logout", name]);
    assert!(e.ok(&["status", name]).contains("secret missing"));
}

#[test]
fn secret_service_round_trip() {
    let ss = SecretService::start();
    let fake = Fake::ok(OK);
    round_trip(&ss.env(), &fake, "ss-profile", "secret-service");
}

#[test]
fn secret_service_is_the_default_with_a_session_bus() {
    let ss = SecretService::start();
    let mut e = ss.env();
    e.store_env.retain(|(k, _)| k != "TOKEX_STORE");
    e.store_env.push(("TOKEX_STORE".into(), String::new()));
    let status = e.ok(&["status"]);
    assert!(
        status
            .starts_with("secret store: secret-service (default: a D-Bus session bus is present)"),
        "{status}"
    );
}

#[test]
fn kernel_keyring_round_trip_and_the_key_is_really_there() {
    let e = Env::keyutils();
    let fake = Fake::ok(OK);
    e.write_config(&profile(
        "ku",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
    ));
    e.login("ku", "kernel-secret");
    let keys = e.kernel_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    // In the user keyring, readable by the user in any session, never by others.
    assert!(
        keys[0].contains(" perm 3f1b0000 ") && keys[0].ends_with("user      tokex:ku: 13"),
        "{keys:?}"
    );
    e.ok(&["cache", "clear", "ku"]);
    assert_eq!(e.ok(&["token", "ku"]), "at-1\n");
    assert_eq!(
        fake.request(1).form_value("api_token").as_deref(),
        Some("kernel-secret")
    );
    e.ok(&["logout", "ku"]);
    assert_eq!(
        e.kernel_keys(),
        Vec::<String>::new(),
        "logout left the key behind"
    );
}

#[test]
fn keyutils_is_the_default_without_a_session_bus() {
    let mut e = Env::keyutils();
    e.store_env.clear();
    let status = e.ok(&["status"]);
    assert!(
        status.starts_with("secret store: keyutils (default: no D-Bus session bus"),
        "{status}"
    );
}

#[test]
fn unknown_store_name_is_a_usage_error() {
    let mut e = Env::keyutils();
    e.write_config(&profile("p", "provider = \"vmware-csp\""));
    e.store_env = vec![("TOKEX_STORE".into(), "plaintext".into())];
    let out = e.run(&["token", "p"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("TOKEX_STORE=\"plaintext\" is not a store"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_locked_keyring_is_a_clear_error_not_a_prompt_or_a_hang() {
    let ss = SecretService::start_locked();
    let env = ss.env();
    env.write_config(&profile("locked", "provider = \"vmware-csp\""));
    let out = env.run(
        &["login", "locked", "--stdin", "--no-verify"],
        "typed-secret\n",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("locked?") && err.contains("TOKEX_STORE=keyutils"),
        "{err}"
    );
    assert!(!err.contains("typed-secret"));
}

/// A secret as long as a real identity provider's refresh token can be.
fn sixteen_kb() -> String {
    (0..16 * 1024)
        .map(|i| (b'a' + (i * 11 % 26) as u8) as char)
        .collect()
}

#[test]
fn a_16_kb_secret_reads_back_exactly_from_the_secret_service() {
    let ss = SecretService::start();
    let fake = Fake::ok(OK);
    let e = ss.env();
    e.write_config(&profile(
        "big",
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
    ));
    let secret = sixteen_kb();
    let out = e.run(&["login", "big", "--stdin"], &format!("{secret}\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    // A new process, no cache: the exchange presents exactly what was stored.
    e.ok(&["token", "big", "--refresh"]);
    let last = fake.request(fake.count() - 1);
    assert_eq!(
        last.form_value("api_token").as_deref(),
        Some(secret.as_str())
    );
    e.ok(&["logout", "big"]);
}

//! The Bazel credential-helper protocol as the EngFlow spec states it: `get` with `{"uri": …}`
//! on stdin; a JSON object with `headers` (name → list of values) and an RFC 3339 `expires` on
//! stdout; `{}` when the helper has nothing for the URI.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;

#[test]
fn get_answers_headers_and_expiry_for_a_matched_uri() {
    let issuer = Issuer::new();
    let env = issuer.env("cache", &["https://cache.example.com"]);
    env.install_helpers();
    let helper = path_str(&env.bin().join("bazel-credential-tokex"));
    let out = env.run_tool(
        env.tool(&helper, &["get"]),
        r#"{"uri":"https://cache.example.com/cas/0123abcd"}"#,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        v["headers"]["Authorization"],
        serde_json::json!(["Bearer tok-1"])
    );
    let expires = time::OffsetDateTime::parse(
        v["expires"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires > time::OffsetDateTime::now_utc() + time::Duration::minutes(50));
    assert_eq!(v.as_object().unwrap().len(), 2);

    let out = env.run_tool(
        env.tool(&helper, &["get"]),
        r#"{"uri":"https://elsewhere.example.com/"}"#,
    );
    assert!(out.status.success());
    assert_eq!(stdout(&out), "{}\n");

    let out = env.run_tool(
        env.tool(&helper, &["get"]),
        "uri=https://cache.example.com/",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert_eq!(issuer.issued(), ["tok-1"]);
}

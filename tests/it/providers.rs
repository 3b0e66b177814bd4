//! Each provider against a loopback fake that checks the exact request, and each answer shape.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;

fn form(r: &Request) -> Vec<(String, String)> {
    r.form()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const OK: &str = r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#;

/// An env whose profile `p` reads its secret from $SECRET.
fn env_with(body: &str, secret: &str) -> Env {
    env_with_secret("p", body, secret)
}

#[test]
fn vcd_tenant_request_is_exact() {
    let fake = Fake::ok(OK);
    let e = env_with(
        &format!(
            "provider = \"vcd\"\nurl = \"{}\"\ntenant = \"acme\"",
            fake.url()
        ),
        "api-tok-1",
    );
    assert_eq!(e.ok(&["token", "p"]), "at-1\n");
    let r = fake.request(0);
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/oauth/tenant/acme/token");
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        form(&r),
        pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "api-tok-1")
        ])
    );
}

#[test]
fn vcd_system_org_uses_the_provider_path() {
    let fake = Fake::ok(OK);
    let e = env_with(
        &format!(
            "provider = \"vcd\"\nurl = \"{}/prefix\"\ntenant = \"System\"",
            fake.url()
        ),
        "t",
    );
    e.ok(&["token", "p"]);
    assert_eq!(fake.request(0).target, "/prefix/oauth/provider/token");
}

#[test]
fn csp_request_and_header_format() {
    let fake = Fake::ok(
        r#"{"id_token":"i","token_type":"bearer","expires_in":1799,"scope":"ALL","access_token":"csp-at","refresh_token":"csp-api-token"}"#,
    );
    let e = env_with(
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
        "csp-api-token",
    );
    assert_eq!(
        e.ok(&["token", "p", "--format", "header"]),
        "csp-auth-token: csp-at\n"
    );
    let r = fake.request(0);
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/csp/gateway/am/api/auth/api-tokens/authorize")
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(form(&r), pairs(&[("api_token", "csp-api-token")]));
}

#[test]
fn virtana_client_credentials_in_the_form() {
    let fake = Fake::ok(
        r#"{"access_token":"v-at","refresh_token":"ignored","expires_in":43199,"scope":"Scope","token_type":"Bearer"}"#,
    );
    let e = env_with(
        &format!(
            "provider = \"virtana\"\nurl = \"{}\"\nclient_id = \"cid\"",
            fake.url()
        ),
        "c-secret&=",
    );
    assert_eq!(e.ok(&["token", "p"]), "v-at\n");
    let r = fake.request(0);
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/authorization/oauth/token")
    );
    assert_eq!(
        form(&r),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cid"),
            ("client_secret", "c-secret&=")
        ])
    );
}

#[test]
fn oneaccess_request_and_huawei_error_shape() {
    let fake = Fake::new(vec![Response::json(
        400,
        r#"{"error_code":"APP.0001","error_msg":"Application does not exist"}"#,
    )]);
    let e = env_with(
        &format!(
            "provider = \"huawei-oneaccess\"\nurl = \"{}\"\nclient_id = \"app1\"",
            fake.url()
        ),
        "oa-secret-canary",
    );
    let out = e.run(&["token", "p"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        err,
        "tokex: p: huawei-oneaccess token exchange: HTTP 400 Bad Request: APP.0001: Application does not exist\n"
    );
    assert_eq!(fake.count(), 1, "a 4xx is never retried");
    let r = fake.request(0);
    assert_eq!(r.target, "/api/v2/tenant/token");
    assert_eq!(
        form(&r),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "app1"),
            ("client_secret", "oa-secret-canary")
        ])
    );
}

#[test]
fn identity_center_request_is_signed_correctly() {
    let fake = Fake::new(vec![Response::json(
        201,
        r#"{"creation_time":1754278569275,"expiration_time":1785814569000,"token":"scim-tok","token_id":"tid"}"#,
    )]);
    let e = env_with(
        &format!(
            "provider = \"huawei-identity-center\"\nurl = \"{}\"\nidentity_store_id = \"d-123\"\ntenant_id = \"t-456\"\naccess_key_id = \"AKTEST\"",
            fake.url()
        ),
        "sk-canary-secret",
    );
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["token", "p", "--format", "json"])).unwrap();
    assert_eq!(json["access_token"], "scim-tok");
    let expires_in = json["expires_in"].as_i64().unwrap();
    assert!(
        (31_535_000..=31_536_000).contains(&expires_in),
        "{expires_in}"
    );
    let r = fake.request(0);
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        (
            "POST",
            "/v1/identity-stores/d-123/tenant/t-456/bearer-token"
        )
    );
    assert!(r.body.is_empty());
    let date = r.header("x-sdk-date").unwrap();
    assert!(
        date.len() == 16 && date.ends_with('Z') && date.as_bytes()[8] == b'T',
        "{date}"
    );
    // Recompute the signature from what the server received, as APIG does.
    let url = reqwest::Url::parse(&format!("{}{}", fake.url(), r.target)).unwrap();
    let signed = [
        ("content-type", r.header("content-type").unwrap()),
        ("host", r.header("host").unwrap()),
        ("x-sdk-date", date),
    ];
    let sk = tokex::sensitive::Secret::from("sk-canary-secret");
    let want =
        tokex::providers::huawei_sign::authorization("POST", &url, &signed, b"", "AKTEST", &sk);
    assert_eq!(r.header("authorization"), Some(want.as_str()));
    assert!(want.starts_with(
        "SDK-HMAC-SHA256 Access=AKTEST, SignedHeaders=content-type;host;x-sdk-date, Signature="
    ));
    assert_eq!(
        r.header("host"),
        Some(fake.server.addr().to_string().as_str())
    );
}

#[test]
fn identity_center_signature_failure_is_not_retried() {
    let fake = Fake::new(vec![Response::json(
        401,
        r#"{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIG.0301","request_id":"req-9"}"#,
    )]);
    let e = env_with(
        &format!(
            "provider = \"huawei-identity-center\"\nurl = \"{}\"\nidentity_store_id = \"d\"\ntenant_id = \"t\"\naccess_key_id = \"AK\"",
            fake.url()
        ),
        "sk",
    );
    let out = e.run(&["token", "p"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("HTTP 401 Unauthorized: APIG.0301: Incorrect IAM authentication information"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("request_id req-9"));
    assert_eq!(
        fake.count(),
        1,
        "five failed signatures lock the key: never retry"
    );
}

#[test]
fn oauth2_client_credentials_basic_auth() {
    let fake = Fake::ok(OK);
    let e = env_with(
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/oauth/token\"\nclient_id = \"my id\"\nscope = \"read write\"\naudience = \"https://api.example\"",
            fake.url()
        ),
        "s=cr%t",
    );
    e.ok(&["token", "p"]);
    let r = fake.request(0);
    assert_eq!(r.target, "/oauth/token");
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("my+id:s%3Dcr%25t");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        form(&r),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("scope", "read write"),
            ("audience", "https://api.example")
        ])
    );
}

#[test]
fn oauth2_client_secret_post() {
    let fake = Fake::ok(OK);
    let e = env_with(
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/t\"\nclient_id = \"cid\"\nclient_auth = \"client_secret_post\"",
            fake.url()
        ),
        "csec",
    );
    e.ok(&["token", "p"]);
    let r = fake.request(0);
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        form(&r),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cid"),
            ("client_secret", "csec")
        ])
    );
}

#[test]
fn oauth2_refresh_grant_rotation_rewrites_the_secret_file() {
    let fake = Fake::new(vec![
        Response::json(
            200,
            r#"{"access_token":"a1","expires_in":600,"refresh_token":"rt-2"}"#,
        ),
        Response::json(200, r#"{"access_token":"a2","expires_in":600}"#),
    ]);
    let e = Env::keyutils();
    let file = e.dir.path().join("rt");
    std::fs::write(&file, "rt-1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    e.write_config(&profile(
        "p",
        &format!("provider = \"oauth2\"\ntoken_url = \"{}/t\"\ngrant = \"refresh_token\"\nclient_id = \"pub\"\nsecret_file = \"{}\"", fake.url(), file.display()),
    ));
    assert_eq!(e.ok(&["token", "p"]), "a1\n");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "rt-2\n");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(e.ok(&["token", "p", "--refresh"]), "a2\n");
    assert_eq!(
        form(&fake.request(0)),
        pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
            ("client_id", "pub")
        ])
    );
    assert_eq!(
        fake.request(1).form_value("refresh_token").as_deref(),
        Some("rt-2")
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "rt-2\n",
        "no new refresh token: keep the old one"
    );
}

#[test]
fn vcd_rotation_is_stored_back_in_the_kernel_keyring() {
    let fake = Fake::new(vec![
        Response::json(
            200,
            r#"{"access_token":"a1","token_type":"Bearer","expires_in":3600,"refresh_token":"sa-2"}"#,
        ),
        Response::json(
            200,
            r#"{"access_token":"a2","token_type":"Bearer","expires_in":3600,"refresh_token":"sa-3"}"#,
        ),
        Response::json(
            200,
            r#"{"access_token":"a3","token_type":"Bearer","expires_in":3600,"refresh_token":"sa-4"}"#,
        ),
    ]);
    let e = Env::keyutils();
    e.write_config(&profile(
        "rot",
        &format!(
            "provider = \"vcd\"\nurl = \"{}\"\ntenant = \"t\"",
            fake.url()
        ),
    ));
    e.login("rot", "sa-1");
    assert_eq!(
        e.ok(&["token", "rot"]),
        "a1\n",
        "login's verified token is cached"
    );
    assert_eq!(e.ok(&["token", "rot", "--refresh"]), "a2\n");
    assert_eq!(e.ok(&["token", "rot", "--refresh"]), "a3\n");
    let sent: Vec<String> = (0..3)
        .map(|i| fake.request(i).form_value("refresh_token").unwrap())
        .collect();
    assert_eq!(sent, ["sa-1", "sa-2", "sa-3"]);
    e.ok(&["logout", "rot"]);
}

#[test]
fn error_shapes_of_vcd_and_csp_reach_the_user() {
    for (provider, extra, body, want) in [
        (
            "vcd",
            "tenant = \"t\"",
            r#"{"minorErrorCode":"invalid_grant","message":"Invalid refresh token","stackTrace":"..."}"#,
            "HTTP 400 Bad Request: invalid_grant: Invalid refresh token",
        ),
        (
            "vmware-csp",
            "",
            r#"{"moduleCode":340,"message":"invalid_grant: Invalid refresh token"}"#,
            "HTTP 400 Bad Request: 340: invalid_grant: Invalid refresh token",
        ),
    ] {
        let fake = Fake::new(vec![Response::json(400, body)]);
        let e = env_with(
            &format!(
                "provider = \"{provider}\"\nurl = \"{}\"\n{extra}",
                fake.url()
            ),
            "canary-secret-xyz",
        );
        let out = e.run(&["token", "p"], "");
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(err.contains(want), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("canary-secret-xyz"));
    }
}

#[test]
fn gateway_errors_are_retried_then_succeed() {
    let fake = Fake::new(vec![
        Response::json(503, "{}"),
        Response {
            status: 429,
            headers: vec![("Retry-After".into(), "1".into())],
            body: vec![],
        },
        Response::json(200, OK),
    ]);
    let e = env_with(
        &format!("provider = \"vmware-csp\"\nurl = \"{}\"", fake.url()),
        "t",
    );
    assert_eq!(e.ok(&["token", "p"]), "at-1\n");
    assert_eq!(fake.count(), 3);
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let e = env_with(
        "provider = \"vmware-csp\"\nurl = \"http://csp.example.com\"",
        "t",
    );
    let out = e.run(&["token", "p"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("http://, which is allowed only for loopback"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn expiry_from_a_jwt_when_the_answer_has_none() {
    use base64::Engine;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"iat":1000000000,"exp":1000001800}"#);
    let jwt = format!("eyJhbGciOiJub25lIn0.{claims}.sig");
    let fake = Fake::ok(&format!(
        r#"{{"access_token":"{jwt}","token_type":"Bearer"}}"#
    ));
    let e = env_with(
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/t\"\nclient_id = \"c\"",
            fake.url()
        ),
        "s",
    );
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["token", "p", "--format", "json"])).unwrap();
    let left = json["expires_in"].as_i64().unwrap();
    assert!(
        (1730..=1740).contains(&left),
        "30 minutes less a minute's margin: {left}"
    );
}

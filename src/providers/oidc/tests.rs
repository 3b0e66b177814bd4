use super::*;
use crate::config::Grant;

fn profile() -> OAuth2 {
    OAuth2 {
        grant: Some(Grant::AuthorizationCode),
        client_id: Some("kube login".into()),
        issuer: Some("https://idp.example/realms/r".into()),
        discovered: Some(Discovered {
            token_endpoint: "https://idp.example/token".into(),
            authorization_endpoint: Some("https://idp.example/auth?kc_idp_hint=corp".into()),
            device_authorization_endpoint: Some("https://idp.example/device".into()),
            revocation_endpoint: None,
        }),
        ..OAuth2::default()
    }
}

fn answer(status: u16, body: &str) -> Answer {
    Answer::new(status, "application/json", body.as_bytes().to_vec())
}

#[test]
fn discovery_url_and_document() {
    let r = discovery_request("https://idp.example/realms/r/").unwrap();
    assert_eq!(
        r.url.as_str(),
        "https://idp.example/realms/r/.well-known/openid-configuration"
    );
    assert_eq!(r.method, reqwest::Method::GET);
    let doc = br#"{"issuer":"https://idp.example/realms/r","token_endpoint":"https://idp.example/t","device_authorization_endpoint":"https://idp.example/d","jwks_uri":"https://idp.example/k"}"#;
    let d = parse_discovery(doc, "https://idp.example/realms/r/").unwrap();
    assert_eq!(d.token_endpoint, "https://idp.example/t");
    assert_eq!(
        d.device_authorization_endpoint.as_deref(),
        Some("https://idp.example/d")
    );
    assert_eq!(d.authorization_endpoint, None);
    assert!(discovery_request("http://idp.example").is_err());
}

#[test]
fn a_bad_discovery_document_is_one_line() {
    for (doc, want) in [
        (&b"<html>login</html>"[..], "HTML page"),
        (b"{}", "not valid JSON"),
        (
            br#"{"issuer":"https://evil.example","token_endpoint":"https://evil.example/t"}"#,
            "names issuer",
        ),
        (
            br#"{"issuer":"https://idp.example"}"#,
            "no `token_endpoint`",
        ),
        (
            br#"{"issuer":"https://idp.example","token_endpoint":"http://idp.example/t"}"#,
            "loopback",
        ),
    ] {
        let e = parse_discovery(doc, "https://idp.example")
            .unwrap_err()
            .to_string();
        assert!(e.contains(want) && !e.contains('\n'), "{e}");
    }
}

#[test]
fn authorization_url_keeps_the_endpoints_query_and_asks_for_s256() {
    let url = authorization_url(&profile(), "http://127.0.0.1:5000/", "st", "ch").unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let want = [
        ("kc_idp_hint", "corp"),
        ("response_type", "code"),
        ("client_id", "kube login"),
        ("redirect_uri", "http://127.0.0.1:5000/"),
        ("scope", "openid offline_access"),
        ("state", "st"),
        ("code_challenge", "ch"),
        ("code_challenge_method", "S256"),
        // offline_access is asked for: OIDC Core §11 wants the consent prompt with it.
        ("prompt", "consent"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(pairs, want);
    assert!(url.as_str().starts_with("https://idp.example/auth?"));
    let mut p = profile();
    p.consent_prompt = Some(false);
    let url = authorization_url(&p, "http://127.0.0.1:5000/", "st", "ch").unwrap();
    assert!(!url.as_str().contains("prompt="));
    p.consent_prompt = None;
    p.scope = Some("openid groups".into());
    let url = authorization_url(&p, "http://127.0.0.1:5000/", "st", "ch").unwrap();
    assert!(!url.as_str().contains("prompt="));
}

#[test]
fn exact_form_bodies() {
    let p = profile();
    let r = code_token_request(
        &p,
        &Secret::from("c 1"),
        "http://127.0.0.1:5000/",
        &Secret::from("v"),
    )
    .unwrap();
    assert_eq!(r.url.as_str(), "https://idp.example/token");
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        "grant_type=authorization_code&code=c+1&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2F&client_id=kube+login&code_verifier=v"
    );
    let r = device_token_request(&p, &Secret::from("dc")).unwrap();
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc&client_id=kube+login"
    );
    let r = device_authorization_request(&p).unwrap();
    assert_eq!(r.url.as_str(), "https://idp.example/device");
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        "client_id=kube+login&scope=openid+offline_access"
    );
    assert!(r.headers.iter().all(|(k, _)| k != "Authorization"));
}

#[test]
fn device_authorization_answers() {
    let d = DeviceAuthorization::parse(&answer(
        200,
        r#"{"device_code":"dc","user_code":"WDJB-MJHT","verification_url":"https://idp.example/device","expires_in":1800}"#,
    ))
    .unwrap();
    assert_eq!(d.verification_uri, "https://idp.example/device");
    assert_eq!((d.interval(), d.expires_in), (5, 1800));
    assert_eq!(d.device_code().expose(), "dc");
    for (status, body, want) in [
        (
            400,
            r#"{"error":"unauthorized_client"}"#,
            "refused: HTTP 400",
        ),
        (200, "<html>", "HTML page"),
        (200, r#"{"device_code":"dc"}"#, "not the RFC 8628 answer"),
        (
            200,
            r#"{"device_code":"d","user_code":"U","verification_uri":"javascript:alert(1)","expires_in":5}"#,
            "not a web address",
        ),
    ] {
        let e = DeviceAuthorization::parse(&answer(status, body))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(want), "{body}: {e}");
    }
}

#[test]
fn a_hostile_device_answer_is_bounded_and_shown_harmlessly() {
    let d = DeviceAuthorization::parse(&answer(
        200,
        r#"{"device_code":"d","user_code":"WDJB","verification_uri":"https://idp.example/\u001b]52;c;eA==\u0007\u202eevil","verification_uri_complete":"https://idp.example/d?c=\u001b[2K","expires_in":18446744073709551615,"interval":18446744073709551615}"#,
    ))
    .unwrap();
    assert_eq!(d.interval(), MAX_INTERVAL_SECS);
    let (uri, code, complete) = d.shown();
    assert_eq!(uri, "https://idp.example/%1B]52;c;eA==%07%E2%80%AEevil");
    assert_eq!(code, "WDJB");
    assert_eq!(complete.unwrap(), "https://idp.example/d?c=%1B[2K");
    let e = DeviceAuthorization::parse(&answer(
        200,
        r#"{"device_code":"d","user_code":"AB\u001b[2KCD","verification_uri":"https://idp.example/","expires_in":5}"#,
    ))
    .err()
    .unwrap();
    assert!(e.to_string().contains("user_code is unusable"), "{e}");
}

#[test]
fn polls_are_classified_by_their_error_code() {
    let poll = |s, b| poll_outcome(&answer(s, b), &[]);
    assert_eq!(poll(200, r#"{"access_token":"a"}"#), Poll::Granted);
    assert_eq!(
        poll(400, r#"{"error":"authorization_pending"}"#),
        Poll::Pending
    );
    assert_eq!(poll(400, r#"{"error":"slow_down"}"#), Poll::SlowDown);
    for (body, want) in [
        (r#"{"error":"access_denied"}"#, "denied"),
        (r#"{"error":"expired_token"}"#, "expired"),
        (
            r#"{"error":"invalid_client","error_description":"no"}"#,
            "invalid_client: no",
        ),
    ] {
        match poll(400, body) {
            Poll::Stop(line) => assert!(line.contains(want), "{line}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

//! Keyless profiles: each grant's exact request against a loopback fake, each subject source
//! (a fake GitHub Actions endpoint included), the failures that stop before an exchange, every
//! caller serving the token, and nothing written to a secret store.

#![cfg(target_os = "linux")]

use crate::support::*;
use base64::Engine;
use std::sync::{Arc, Mutex};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const TE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const STS_OK: &str = r#"{"access_token":"sts-at","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3600}"#;

/// A JWT-shaped subject expiring `secs` from now (unsigned: tokex only reads its `exp`).
fn jwt(sub: &str, secs: i64) -> String {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + secs;
    format!(
        "{}.{}.c2ln",
        B64.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        B64.encode(format!(r#"{{"sub":"{sub}","exp":{exp}}}"#))
    )
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Secrets would go to a real kernel keyring, which must stay empty.
fn keyless_env(body: &str) -> Env {
    let e = Env::keyutils();
    e.write_config(&profile("p", body));
    e
}

fn sts_profile(fake: &Fake, rest: &str) -> String {
    format!(
        "provider = \"oauth2\"\ntoken_url = \"{}/v1/token\"\ngrant = \"token_exchange\"\n{rest}",
        fake.url()
    )
}

#[test]
fn token_exchange_is_exact_needs_no_login_and_reads_the_subject_for_every_exchange() {
    let fake = Fake::ok(STS_OK);
    let mut e = keyless_env(&sts_profile(
        &fake,
        "subject = \"env:CI_JWT\"\naudience = \"//iam.googleapis.com/pool\"\nscope = \"cloud-platform\"\nrequested_token_type = \"urn:ietf:params:oauth:token-type:access_token\"",
    ));
    let first = jwt("job-1", 600);
    e.set("CI_JWT", &first);
    assert_eq!(e.ok(&["token", "p"]), "sts-at\n");
    let r = fake.request(0);
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/v1/token")
    );
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        r.form(),
        pairs(&[
            ("grant_type", TE),
            ("subject_token", &first),
            ("subject_token_type", JWT),
            ("requested_token_type", AT),
            ("scope", "cloud-platform"),
            ("audience", "//iam.googleapis.com/pool"),
        ])
    );
    // Cached like any token; --refresh reads the subject again.
    assert_eq!(e.ok(&["token", "p"]), "sts-at\n");
    assert_eq!(fake.count(), 1);
    let second = jwt("job-2", 600);
    e.extra_env.retain(|(k, _)| k != "CI_JWT");
    e.set("CI_JWT", &second);
    e.ok(&["token", "p", "--refresh"]);
    assert_eq!(
        fake.request(1).form_value("subject_token"),
        Some(second.clone())
    );
    assert_eq!(e.kernel_keys(), Vec::<String>::new(), "nothing stored");
    let cached = std::fs::read_dir(e.cache_dir()).unwrap();
    for f in cached {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(&second), "the subject is never cached");
    }
    // Said before a secret is asked for, with or without --stdin.
    for login in [&["login", "p", "--stdin"][..], &["login", "p"]] {
        let line = e.fail(login, "x\n", 2);
        assert!(
            line.contains("keyless") && line.contains("CI_JWT"),
            "{line}"
        );
    }
    let out = e.run(&["logout", "p"], "");
    assert!(
        stderr(&out).contains("cached token removed; a keyless profile stores nothing"),
        "{}",
        stderr(&out)
    );
    e.ok(&["token", "p"]);
    let status = e.ok(&["status", "p"]);
    assert!(
        status.contains("keyless, its proof is the token in the environment variable CI_JWT (there); nothing stored"),
        "{status}"
    );
}

#[test]
fn a_confidential_client_authenticates_the_exchange_with_its_stored_secret() {
    let fake = Fake::ok(STS_OK);
    let mut e = keyless_env(&sts_profile(
        &fake,
        "subject = \"env:CI_JWT\"\nclient_id = \"exchanger\"\nclient_auth = \"client_secret_post\"\nresource = \"https://api.example\"\nsubject_token_type = \"urn:ietf:params:oauth:token-type:id_token\"\nsecret_env = \"CS\"",
    ));
    let subject = jwt("job", 600);
    e.set("CI_JWT", &subject);
    e.set("CS", "client-secret");
    e.ok(&["token", "p"]);
    assert_eq!(
        fake.request(0).form(),
        pairs(&[
            ("grant_type", TE),
            ("subject_token", &subject),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token"
            ),
            ("resource", "https://api.example"),
            ("client_id", "exchanger"),
            ("client_secret", "client-secret"),
        ])
    );
}

#[test]
fn jwt_bearer_sends_the_subject_as_the_assertion() {
    let fake = Fake::ok(r#"{"access_token":"jb-at","token_type":"Bearer","expires_in":600}"#);
    let mut e = keyless_env(&format!(
        "provider = \"oauth2\"\ntoken_url = \"{}/oauth/token\"\ngrant = \"jwt_bearer\"\nsubject = \"env:CI_JWT\"\nscope = \"api\"",
        fake.url()
    ));
    let subject = jwt("job", 600);
    e.set("CI_JWT", &subject);
    assert_eq!(e.ok(&["token", "p"]), "jb-at\n");
    let r = fake.request(0);
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        r.form(),
        pairs(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &subject),
            ("scope", "api"),
        ])
    );
}

#[test]
fn a_client_assertion_from_a_rotated_token_file() {
    let fake = Fake::ok(r#"{"access_token":"entra-at","token_type":"Bearer","expires_in":3599}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("azure-identity-token");
    std::fs::write(&file, format!("{}\n", jwt("pod-1", 3600))).unwrap();
    let e = keyless_env(&format!(
        "provider = \"oauth2\"\ntoken_url = \"{}/tenant/oauth2/v2.0/token\"\nclient_id = \"app-id\"\nclient_auth = \"client_assertion\"\nsubject = \"file:{}\"\nscope = \"https://graph.microsoft.com/.default\"",
        fake.url(),
        file.display()
    ));
    assert_eq!(e.ok(&["token", "p"]), "entra-at\n");
    let r = fake.request(0);
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        r.form(),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "app-id"),
            ("client_assertion_type", ASSERTION),
            ("client_assertion", &jwt_in(&file)),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
    );
    // The kubelet rotates the file; the next exchange reads the new token.
    std::fs::write(&file, jwt("pod-2", 3600)).unwrap();
    e.ok(&["token", "p", "--refresh"]);
    assert_eq!(
        fake.request(1).form_value("client_assertion"),
        Some(jwt_in(&file))
    );
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
}

fn jwt_in(file: &std::path::Path) -> String {
    std::fs::read_to_string(file).unwrap().trim().to_string()
}

/// A GitHub Actions ID-token endpoint that checks the request token and records the query.
fn github(value: String) -> (Server, Arc<Mutex<Vec<Request>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = Server::start(move |req| {
        log.lock().unwrap().push(req.clone());
        if req.header("authorization") != Some("Bearer gh-request-token") {
            return Response::json(401, r#"{"message":"bad token"}"#);
        }
        Response::json(200, format!(r#"{{"count":1,"value":"{value}"}}"#))
    })
    .unwrap();
    (server, seen)
}

#[test]
fn the_github_actions_token_is_asked_for_with_its_audience() {
    let subject = jwt("repo:acme/app:ref:refs/heads/main", 300);
    let (gh, seen) = github(subject.clone());
    let fake = Fake::ok(STS_OK);
    let mut e = keyless_env(&sts_profile(
        &fake,
        "subject = \"github-actions\"\nsubject_audience = \"https://sts.example/pool\"",
    ));
    e.set(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        &format!("{}/_apis/token?api-version=2.0", gh.url()),
    );
    e.set("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token");
    assert_eq!(e.ok(&["token", "p"]), "sts-at\n");
    let asked = seen.lock().unwrap()[0].clone();
    assert_eq!(asked.method, "GET");
    assert_eq!(
        asked.target,
        "/_apis/token?api-version=2.0&audience=https%3A%2F%2Fsts.example%2Fpool"
    );
    assert_eq!(fake.request(0).form_value("subject_token"), Some(subject));
    let doctor = e.run(&["doctor", "p"], "");
    let text = stdout(&doctor);
    assert!(
        text.contains("the GitHub Actions OIDC token, audience https://sts.example/pool: read, not expired; nothing stored"),
        "{text}"
    );
    let posts = (0..fake.count()).filter(|i| fake.request(*i).method == "POST");
    assert_eq!(posts.count(), 1, "doctor exchanges nothing");
}

#[test]
fn a_source_that_is_not_there_is_one_line_and_no_exchange() {
    let fake = Fake::ok(STS_OK);
    let mut e = keyless_env(&sts_profile(&fake, "subject = \"github-actions\""));
    let line = e.fail(&["token", "p"], "", 2);
    assert!(
        line.contains("subject github-actions") && line.contains("permissions: id-token: write"),
        "{line}"
    );
    let (gh, _) = github(jwt("x", 300));
    e.set(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        &format!("{}/t?api-version=2.0", gh.url()),
    );
    e.set("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "wrong");
    let line = e.fail(&["token", "p"], "", 1);
    assert!(
        line.contains("subject github-actions") && line.contains("401"),
        "{line}"
    );
    assert!(!line.contains("wrong"), "{line}");

    e.write_config(&profile(
        "p",
        &sts_profile(&fake, "subject = \"env:CI_JWT\""),
    ));
    let line = e.fail(&["token", "p"], "", 2);
    assert!(
        line.contains("subject env:CI_JWT: the variable CI_JWT is not set"),
        "{line}"
    );
    e.set("CI_JWT", &jwt("old", -60));
    let line = e.fail(&["token", "p"], "", 2);
    assert!(
        line.contains("subject env:CI_JWT: the token expired at"),
        "{line}"
    );

    e.write_config(&profile(
        "p",
        &sts_profile(&fake, "subject = \"file:/nonexistent/token\""),
    ));
    let line = e.fail(&["token", "p"], "", 2);
    assert!(
        line.contains("subject file:/nonexistent/token: /nonexistent/token does not exist"),
        "{line}"
    );
    assert_eq!(fake.count(), 0);
}

#[test]
fn an_issued_token_of_another_type_is_refused() {
    let fake = Fake::ok(
        r#"{"access_token":"r","issued_token_type":"urn:ietf:params:oauth:token-type:refresh_token","token_type":"N_A","expires_in":60}"#,
    );
    let mut e = keyless_env(&sts_profile(&fake, "subject = \"env:CI_JWT\""));
    e.set("CI_JWT", &jwt("job", 600));
    let line = e.fail(&["token", "p"], "", 1);
    assert!(
        line.contains(
            "issued a urn:ietf:params:oauth:token-type:refresh_token, not an access token or a JWT"
        ),
        "{line}"
    );
}

#[test]
fn another_profile_s_token_is_the_subject_and_circles_are_refused() {
    let idp = Fake::ok(r#"{"access_token":"first-hop","token_type":"Bearer","expires_in":3600}"#);
    let fake = Fake::ok(STS_OK);
    let mut e = Env::keyutils();
    e.write_config(&format!(
        "{}{}",
        profile(
            "sso",
            &format!(
                "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nsecret_env = \"CS\"",
                idp.url()
            )
        ),
        profile("p", &sts_profile(&fake, "subject = \"profile:sso\""))
    ));
    e.set("CS", "s");
    assert_eq!(e.ok(&["token", "p"]), "sts-at\n");
    assert_eq!(
        fake.request(0).form_value("subject_token"),
        Some("first-hop".into())
    );

    e.write_config(&format!(
        "{}{}",
        profile("a", &sts_profile(&fake, "subject = \"profile:b\"")),
        profile("b", &sts_profile(&fake, "subject = \"profile:a\""))
    ));
    let line = e.fail(&["token", "a"], "", 2);
    assert!(line.contains("form a circle (a → b → a)"), "{line}");
}

#[test]
fn every_caller_serves_a_keyless_profile() {
    let fake = Fake::ok(STS_OK);
    let mut e = keyless_env(&sts_profile(
        &fake,
        "subject = \"env:CI_JWT\"\nmatch = [\"https://reg.example/\"]",
    ));
    e.set("CI_JWT", &jwt("job", 600));
    e.install_helpers();
    let run = |args: &[&str], stdin: &str| {
        let out = e.run(args, stdin);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let answers = [
        run(&["token", "p"], ""),
        run(&["kubectl", "p"], ""),
        run(&["git", "get"], "protocol=https\nhost=reg.example\n\n"),
        run(&["docker", "get"], "https://reg.example"),
        run(&["terraform", "get", "reg.example"], ""),
        run(&["bazel", "get"], r#"{"uri":"https://reg.example/blob"}"#),
        run(&["external"], r#"{"profile":"p"}"#),
        run(
            &["cargo", "--cargo-plugin"],
            "{\"v\":1,\"registry\":{\"index-url\":\"sparse+https://reg.example/index/\"},\"kind\":\"get\",\"operation\":\"read\"}\n",
        ),
        run(
            &[
                "exec",
                "p",
                "--",
                "sh",
                "-c",
                "test -n \"$TOKEX_TOKEN\" && echo sts-at",
            ],
            "",
        ),
    ];
    for (i, answer) in answers.iter().enumerate() {
        assert!(answer.contains("sts-at"), "caller {i}: {answer}");
    }
    // Real git, through the installed helper.
    let mut git = e.tool_as_user(
        "git",
        &["-c", "credential.helper=tokex", "credential", "fill"],
    );
    git.env("GIT_TERMINAL_PROMPT", "0");
    let out = e.run_tool(git, "protocol=https\nhost=reg.example\n\n");
    assert!(stdout(&out).contains("password=sts-at"), "{}", stderr(&out));
    assert_eq!(fake.count(), 1, "one exchange served them all");
    assert_eq!(e.kernel_keys(), Vec::<String>::new());
}

/// The JWS's claims, after checking its ES256 signature with `jwk`.
fn verified_claims(jws: &str, jwk: &serde_json::Value) -> serde_json::Value {
    use p256::ecdsa::signature::Verifier;
    let mut point = vec![4u8];
    point.extend(B64.decode(jwk["x"].as_str().unwrap()).unwrap());
    point.extend(B64.decode(jwk["y"].as_str().unwrap()).unwrap());
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap();
    let (input, sig) = jws.rsplit_once('.').unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&B64.decode(sig).unwrap()).unwrap();
    key.verify(input.as_bytes(), &sig)
        .expect("signed by the printed key");
    let header: serde_json::Value =
        serde_json::from_slice(&B64.decode(input.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("ES256"), jwk["kid"].as_str())
    );
    serde_json::from_slice(&B64.decode(input.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[test]
fn private_key_jwt_signs_with_the_generated_key_and_keeps_it_in_the_store() {
    let fake = Fake::ok(r#"{"access_token":"pk-at","token_type":"Bearer","expires_in":3600}"#);
    let token_url = format!("{}/oauth2/token", fake.url());
    let e = keyless_env(&format!(
        "provider = \"oauth2\"\ntoken_url = \"{token_url}\"\nclient_id = \"robot\"\nclient_auth = \"private_key_jwt\"\nscope = \"api\""
    ));
    let line = e.fail(&["token", "p"], "", 2);
    assert!(line.contains("tokex login p"), "{line}");
    let out = e.run(&["login", "p", "--generate-key"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let jwk: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut members: Vec<&str> = jwk
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort();
    assert_eq!(
        members,
        ["alg", "crv", "kid", "kty", "use", "x", "y"],
        "public members only"
    );
    assert!(
        stderr(&out).contains("register the public key"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.kernel_keys().len(), 1, "the private key is in the store");
    assert_eq!(e.ok(&["profile", "show", "p", "--jwk"]), stdout(&out));

    assert_eq!(e.ok(&["token", "p"]), "pk-at\n");
    e.ok(&["token", "p", "--refresh"]);
    let mut jtis = Vec::new();
    for i in 0..2 {
        let r = fake.request(i);
        assert_eq!(r.header("authorization"), None);
        let form = r.form();
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "grant_type",
                "client_id",
                "client_assertion_type",
                "client_assertion",
                "scope"
            ]
        );
        assert_eq!(
            r.form_value("client_assertion_type").as_deref(),
            Some(ASSERTION)
        );
        let claims = verified_claims(&r.form_value("client_assertion").unwrap(), &jwk);
        assert_eq!(claims["iss"], "robot");
        assert_eq!(claims["sub"], "robot");
        assert_eq!(claims["aud"], token_url.as_str());
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap(),
            claims["exp"].as_i64().unwrap(),
        );
        assert!(exp > iat && exp - iat <= 300, "{claims}");
        jtis.push(claims["jti"].as_str().unwrap().to_string());
    }
    assert_ne!(jtis[0], jtis[1], "a fresh jti per assertion");
    let config = std::fs::read_to_string(e.config()).unwrap();
    assert!(
        !config.contains("PRIVATE") && config.len() < 400,
        "{config}"
    );
}

#[test]
fn an_existing_pkcs8_key_is_imported_and_anything_else_refused() {
    let fake = Fake::ok(r#"{"access_token":"pk-at","token_type":"Bearer","expires_in":3600}"#);
    let e = keyless_env(&format!(
        "provider = \"oauth2\"\ntoken_url = \"{}/t\"\nclient_id = \"robot\"\nclient_auth = \"private_key_jwt\"\nassertion_audience = \"https://issuer.example\"",
        fake.url()
    ));
    // RFC 7517 appendix A.2's EC private key, as PKCS#8.
    let pem = tokex_pem();
    let out = e.run(&["login", "p", "--stdin"], &pem);
    assert!(out.status.success(), "{}", stderr(&out));
    let jwk: serde_json::Value =
        serde_json::from_str(&e.ok(&["profile", "show", "p", "--jwk"])).unwrap();
    assert_eq!(jwk["x"], "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4");
    let claims = verified_claims(
        &fake.request(0).form_value("client_assertion").unwrap(),
        &jwk,
    );
    assert_eq!(
        claims["aud"], "https://issuer.example",
        "verified by an exchange, to the audience set"
    );
    let line = e.fail(
        &["login", "p", "--stdin"],
        "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
        2,
    );
    assert!(
        line.contains("not PKCS#8") && !line.contains("MIIB"),
        "{line}"
    );
}

/// RFC 7517 A.2's P-256 key (d = 870MB6gf…), PKCS#8-encoded.
fn tokex_pem() -> String {
    use p256::pkcs8::EncodePrivateKey;
    let d = B64
        .decode("870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE")
        .unwrap();
    let key = p256::SecretKey::from_slice(&d).unwrap();
    key.to_pkcs8_pem(Default::default()).unwrap().to_string()
}

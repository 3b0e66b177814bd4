//! A loopback OpenID provider that checks what a public client must send: discovery, the
//! device flow's polling rules (RFC 8628), the authorization code flow with PKCE S256 (RFC 7636)
//! and an exact loopback redirect URI (RFC 8252), refresh with rotation, revocation (RFC 7009).
//! Every request is recorded; every rule broken is recorded as a violation the tests assert on.

use super::{Request, Response, Server};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub const CLIENT_ID: &str = "kubectl-cli";
pub const USER_CODE: &str = "WDJB-MJHT";

/// What the authorization endpoint sends the browser back with.
#[derive(Clone, Debug, PartialEq)]
pub enum Callback {
    Good,
    WrongState,
    NoState,
    Denied,
}

#[derive(Default)]
pub struct State {
    pub requests: Vec<Request>,
    /// Rules the client broke, in words.
    pub violations: Vec<String>,
    /// Answers to device polls in order: `pending`, `slow_down`, `access_denied`,
    /// `expired_token`, `ok`; the last repeats.
    pub polls: Vec<&'static str>,
    pub device_expires_in: u64,
    pub last_poll: Option<(Instant, u64)>,
    pub callback: Option<Callback>,
    pub challenge: Option<String>,
    /// The browser sign-in's grant of `offline_access`: as OpenID Connect Core §11 says, only
    /// when the request also carried `prompt=consent` (what panva's oidc-provider does).
    pub offline_granted: bool,
    pub redirect_uri: Option<String>,
    /// The refresh token the IdP accepts now; rotated on every use.
    pub refresh: u32,
    pub refresh_rejected: bool,
    /// Replaces the discovery document (an HTML page, one without an endpoint).
    pub discovery: Option<(String, String)>,
    /// This path answers with a login page instead (a proxy or a misconfigured IdP).
    pub html_at: Option<&'static str>,
}

pub struct Idp {
    pub server: Server,
    pub state: Arc<Mutex<State>>,
}

impl Idp {
    pub fn start() -> Idp {
        let state = Arc::new(Mutex::new(State {
            polls: vec!["ok"],
            device_expires_in: 600,
            callback: Some(Callback::Good),
            ..State::default()
        }));
        let s = state.clone();
        let base = Arc::new(Mutex::new(String::new()));
        let b = base.clone();
        let server = Server::start(move |req| {
            let mut st = s.lock().unwrap();
            st.requests.push(req.clone());
            let base = b.lock().unwrap().clone();
            answer(&mut st, &base, req)
        })
        .unwrap();
        *base.lock().unwrap() = server.url();
        Idp { server, state }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// The recorded requests to `path`.
    pub fn to(&self, path: &str) -> Vec<Request> {
        self.with(|s| {
            s.requests
                .iter()
                .filter(|r| r.path() == path)
                .cloned()
                .collect()
        })
    }

    pub fn violations(&self) -> Vec<String> {
        self.with(|s| s.violations.clone())
    }

    /// `tokex profile add NAME --provider oauth2 --issuer THIS --client-id … --grant GRANT
    /// [extra]` in `env`.
    pub fn add_profile(
        &self,
        env: &super::Env,
        name: &str,
        grant: &str,
        extra: &[&str],
    ) -> std::process::Output {
        let url = self.url();
        let mut args = vec![
            "profile",
            "add",
            name,
            "--provider",
            "oauth2",
            "--issuer",
            &url,
            "--client-id",
            CLIENT_ID,
            "--grant",
            grant,
        ];
        args.extend_from_slice(extra);
        env.run(&args, "")
    }
}

/// An unsigned JWT with `iat` now and `exp` in `secs`: all tokex reads of an ID token.
pub fn id_token(n: u32, secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.sig",
        b64(r#"{"alg":"RS256"}"#),
        b64(&format!(
            r#"{{"iss":"idp","aud":"{CLIENT_ID}","sub":"u{n}","iat":{now},"exp":{}}}"#,
            now + secs
        ))
    )
}

fn tokens(st: &mut State) -> Response {
    st.refresh += 1;
    let n = st.refresh;
    Response::json(
        200,
        format!(
            r#"{{"access_token":"at-{n}","token_type":"Bearer","expires_in":300,"id_token":"{}","refresh_token":"rt-{n}"}}"#,
            id_token(n, 600)
        ),
    )
}

fn oauth_error(code: &str) -> Response {
    Response::json(
        400,
        format!(r#"{{"error":"{code}","error_description":"{code} (fake)"}}"#),
    )
}

fn answer(st: &mut State, base: &str, req: &Request) -> Response {
    let form = |k: &str| req.form_value(k);
    let query = |k: &str| {
        let q = req.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    if st.html_at == Some(req.path()) {
        return Response {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<!doctype html><title>Sign in</title>".to_vec(),
        };
    }
    match (req.method.as_str(), req.path()) {
        ("GET", "/.well-known/openid-configuration") => match &st.discovery {
            Some((ctype, body)) => Response {
                status: 200,
                headers: vec![("Content-Type".into(), ctype.clone())],
                body: body.clone().into_bytes(),
            },
            None => Response::json(
                200,
                format!(
                    r#"{{"issuer":"{base}","token_endpoint":"{base}/token","authorization_endpoint":"{base}/auth","device_authorization_endpoint":"{base}/device","revocation_endpoint":"{base}/revoke","code_challenge_methods_supported":["S256"]}}"#
                ),
            ),
        },
        ("POST", "/device") => {
            if form("client_id").as_deref() != Some(CLIENT_ID) || form("client_secret").is_some() {
                st.violations
                    .push(format!("device request form {:?}", req.form()));
            }
            Response::json(
                200,
                format!(
                    r#"{{"device_code":"dev-code-1","user_code":"{USER_CODE}","verification_uri":"{base}/activate","verification_uri_complete":"{base}/activate?user_code={USER_CODE}","expires_in":{},"interval":1}}"#,
                    st.device_expires_in
                ),
            )
        }
        ("GET", "/auth") => authorize(st, req, &query),
        ("POST", "/token") => token(st, req),
        ("POST", "/revoke") => Response::json(200, "{}"),
        _ => Response::json(404, r#"{"error":"not_found"}"#),
    }
}

fn authorize(st: &mut State, _req: &Request, query: &dyn Fn(&str) -> Option<String>) -> Response {
    let redirect = query("redirect_uri").unwrap_or_default();
    let port_ok = redirect
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.strip_suffix('/'))
        .is_some_and(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    for (k, want) in [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("code_challenge_method", "S256"),
    ] {
        if query(k).as_deref() != Some(want) {
            st.violations
                .push(format!("authorize {k} = {:?}", query(k)));
        }
    }
    if !port_ok {
        st.violations.push(format!("redirect_uri {redirect:?}"));
    }
    let (Some(state), Some(challenge)) = (query("state"), query("code_challenge")) else {
        st.violations
            .push("authorize without state or code_challenge".into());
        return Response::json(400, "{}");
    };
    if state.len() < 16 || challenge.len() != 43 {
        st.violations
            .push(format!("weak state {state:?} or challenge {challenge:?}"));
    }
    st.challenge = Some(challenge);
    st.offline_granted = query("prompt").as_deref() == Some("consent")
        && query("scope").is_some_and(|s| s.split(' ').any(|s| s == "offline_access"));
    st.redirect_uri = Some(redirect.clone());
    let back = match st.callback.clone().unwrap_or(Callback::Good) {
        Callback::Good => format!("{redirect}?code=code-1&state={state}"),
        Callback::WrongState => format!("{redirect}?code=code-1&state=forged"),
        Callback::NoState => format!("{redirect}?code=code-1"),
        Callback::Denied => {
            format!("{redirect}?error=access_denied&error_description=User+said+no&state={state}")
        }
    };
    Response {
        status: 302,
        headers: vec![("Location".into(), back)],
        body: Vec::new(),
    }
}

fn token(st: &mut State, req: &Request) -> Response {
    let form = |k: &str| req.form_value(k);
    if form("client_id").as_deref() != Some(CLIENT_ID) || req.header("authorization").is_some() {
        st.violations.push(format!(
            "token request not as a public client: {:?}",
            req.form()
        ));
    }
    match form("grant_type").as_deref() {
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            if form("device_code").as_deref() != Some("dev-code-1") {
                st.violations.push("wrong device_code".into());
            }
            let now = Instant::now();
            if let Some((at, interval)) = st.last_poll
                && now.duration_since(at).as_millis() < u128::from(interval) * 1000
            {
                st.violations.push(format!(
                    "polled {:?} after the last poll (interval {interval}s)",
                    now.duration_since(at)
                ));
            }
            let next = if st.polls.len() > 1 {
                st.polls.remove(0)
            } else {
                st.polls[0]
            };
            let interval = st.last_poll.map(|(_, i)| i).unwrap_or(1);
            let interval = if next == "slow_down" {
                interval + 5
            } else {
                interval
            };
            st.last_poll = Some((now, interval));
            match next {
                "ok" => tokens(st),
                code => oauth_error(match code {
                    "pending" => "authorization_pending",
                    other => other,
                }),
            }
        }
        Some("authorization_code") => {
            let verifier = form("code_verifier").unwrap_or_default();
            let s256 = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if st.challenge.as_deref() != Some(s256.as_str()) {
                st.violations
                    .push("code_challenge is not S256(code_verifier)".into());
                return oauth_error("invalid_grant");
            }
            if form("redirect_uri") != st.redirect_uri || form("code").as_deref() != Some("code-1")
            {
                st.violations
                    .push(format!("code exchange form {:?}", req.form()));
                return oauth_error("invalid_grant");
            }
            if !st.offline_granted {
                st.refresh += 1;
                let n = st.refresh;
                return Response::json(
                    200,
                    format!(
                        r#"{{"access_token":"at-{n}","token_type":"Bearer","expires_in":300,"scope":"openid"}}"#
                    ),
                );
            }
            tokens(st)
        }
        Some("refresh_token") => {
            let want = format!("rt-{}", st.refresh);
            if st.refresh_rejected || form("refresh_token") != Some(want) {
                return oauth_error("invalid_grant");
            }
            tokens(st)
        }
        other => {
            st.violations.push(format!("grant_type {other:?}"));
            oauth_error("unsupported_grant_type")
        }
    }
}

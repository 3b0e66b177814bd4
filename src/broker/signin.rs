//! `tokex login` for profiles that sign the user in (grant `device_code` or
//! `authorization_code`); discovery is one of the shared rules (`rules.rs`). A sign-in ends
//! with a refresh token in the profile's store and its first token in the cache; from then on
//! the profile refreshes like `grant = refresh_token`. Nothing is stored unless the whole sign-in succeeded.

use super::rules::{http_for, key, resolved};
use super::{Broker, LoggedIn, Tokens, Want};
use crate::config::{Grant, OAuth2, Profile};
use crate::error::{Error, Result, ResultExt};
use crate::http::Http;
use crate::providers::oidc::{self, DeviceAuthorization, Poll};
use crate::providers::response::{granted_scope, parse_as};
use crate::signin::{browser, pkce, redirect};
use crate::stores::{Description, Store};
use crate::token::Token;
use std::io::Write;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long a browser sign-in may take when `--timeout` says nothing (kubelogin's default).
pub const DEFAULT_BROWSER_TIMEOUT: Duration = Duration::from_secs(180);
/// No device code is waited for longer than this, whatever its `expires_in` says.
const MAX_DEVICE_WAIT: Duration = Duration::from_secs(30 * 60);

/// How the user wants to be signed in.
#[derive(Debug, Clone, Copy)]
pub struct SignIn {
    /// Open the browser (else print the URL only): `login --no-browser` clears it.
    pub open_browser: bool,
    /// `login --timeout`: the longest wait for the user.
    pub timeout: Option<Duration>,
    /// A caller's sign-in: skip it when another process signed in meanwhile.
    pub unless_signed_in: bool,
}

pub(super) fn sign_in(
    broker: &Broker,
    name: &str,
    how: SignIn,
    say: &mut dyn Write,
) -> Result<LoggedIn> {
    let profile = broker.config().get(name)?;
    let refused = || {
        Error::usage(
            "this profile does not sign in (that takes provider oauth2 with grant device_code or authorization_code); store its secret with `tokex login NAME` or `--stdin`",
        )
        .for_profile(name)
    };
    if !profile.signs_in() {
        return Err(refused());
    }
    let (store, source) = super::account::vault(
        broker,
        name,
        profile,
        "a sign-in needs a secret store to keep the refresh token in",
    )?;
    let _lock = broker.cache.signin_lock(name).for_profile(name)?;
    // Another caller may have signed in while this one waited for the lock.
    if let Some(Ok(issued)) = how
        .unless_signed_in
        .then(|| broker.token(name, Want::default()))
    {
        return Ok(LoggedIn {
            store: source,
            valid_until: Some(issued.token.reported_expiry()),
        });
    }
    let p = resolved(profile).for_profile(name)?;
    let http = http_for(&p).for_profile(name)?;
    let o = p.oauth2().ok_or_else(refused)?;
    let mut tell = |line: &str| {
        let _ = writeln!(say, "tokex: {name}: {line}");
    };
    let token = match o.grant() {
        Grant::DeviceCode => device(&http, o, how, &mut tell),
        Grant::AuthorizationCode => browser_code(&http, o, how, &mut tell),
        Grant::ClientCredentials
        | Grant::RefreshToken
        | Grant::TokenExchange
        | Grant::JwtBearer => Err(refused()),
    }
    .map_err(|e| e.then("nothing was stored").for_profile(name))?;
    keep(
        broker,
        name,
        profile,
        o.signin_scope(),
        (&*store, source),
        token,
    )
}

/// Stores the refresh token (the store reads it back) and caches the token that came with it.
fn keep(
    broker: &Broker,
    name: &str,
    profile: &Profile,
    asked: &str,
    (store, source): (&dyn Store, Description),
    (mut token, granted): (Token, Option<String>),
) -> Result<LoggedIn> {
    let refresh = token.refresh_token.take().ok_or_else(|| {
        let granted = granted
            .as_deref()
            .map_or("did not say which scope it granted".to_string(), |g| {
                format!("granted \"{}\"", crate::printable::printable(g, crate::printable::LINE))
            });
        let hint = if asked.split_ascii_whitespace().any(|s| s == "offline_access") {
            "allow refresh tokens (offline access) for this client at the provider"
        } else {
            "add `offline_access` to the profile's `scope`"
        };
        Error::op(format!(
            "the identity provider issued no refresh token, so tokex could not renew the sign-in: asked for scope \"{}\", it {granted}; {hint}; nothing was stored",
            crate::printable::printable(asked, crate::printable::LINE)
        ))
        .for_profile(name)
    })?;
    store.set(name, &refresh).for_profile(name)?;
    broker.cache.remove(name).for_profile(name)?;
    broker.cache.write(name, &key(name, profile), &token);
    Ok(LoggedIn {
        store: source,
        valid_until: Some(token.reported_expiry()),
    })
}

/// RFC 8628: show the code, then poll at the server's pace until the user is done.
fn device(
    http: &Http,
    p: &OAuth2,
    how: SignIn,
    tell: &mut dyn FnMut(&str),
) -> Result<(Token, Option<String>)> {
    let answer = http.send_answer(&oidc::device_authorization_request(p)?, &[])?;
    let auth = DeviceAuthorization::parse(&answer)?;
    let (uri, user_code, complete) = auth.shown();
    tell(&format!(
        "to sign in, open {uri} and enter the code {user_code}"
    ));
    if let Some(complete) = complete {
        tell(&format!("or open {complete}"));
    }
    let mut wait = Duration::from_secs(auth.expires_in).min(MAX_DEVICE_WAIT);
    if let Some(t) = how.timeout {
        wait = wait.min(t);
    }
    tell(&format!(
        "waiting for the sign-in (up to {})",
        crate::duration::show(time::Duration::seconds(wait.as_secs() as i64))
    ));
    let deadline = Instant::now() + wait;
    let device_code = auth.device_code();
    // Bounded: clamped above, and slow_down below, so every sum with an Instant fits.
    let mut interval = auth.interval();
    loop {
        let pause = Duration::from_secs(interval);
        if Instant::now() + pause > deadline {
            return Err(Error::op(
                "the device code ran out before the sign-in was completed",
            ));
        }
        std::thread::sleep(pause);
        let req = oidc::device_token_request(p, &device_code)?;
        let answer = http.send_answer(&req, &[&device_code])?;
        let received = OffsetDateTime::now_utc();
        match oidc::poll_outcome(&answer, &[&device_code]) {
            Poll::Granted => {
                let token = parse_as(&answer.body, received, &[&device_code], p.use_id_token)?;
                return Ok((token, granted_scope(&answer.body)));
            }
            Poll::Pending => {}
            Poll::SlowDown => {
                interval = (interval + oidc::SLOW_DOWN_SECS).min(oidc::MAX_INTERVAL_SECS);
                crate::log::debug(|| format!("slow_down: polling every {interval}s"));
            }
            Poll::Stop(line) => return Err(Error::op(line)),
        }
    }
}

/// RFC 6749 §4.1 + RFC 7636 + RFC 8252: the browser signs in and is redirected to a listener
/// on this machine with the code, which is exchanged with the PKCE verifier.
fn browser_code(
    http: &Http,
    p: &OAuth2,
    how: SignIn,
    tell: &mut dyn FnMut(&str),
) -> Result<(Token, Option<String>)> {
    let listener = redirect::Listener::bind()?;
    let redirect_uri = listener.redirect_uri();
    let proof = pkce::new()?;
    let state = pkce::state()?;
    let url = oidc::authorization_url(p, &redirect_uri, &state, &proof.challenge)?;
    let wait = how.timeout.unwrap_or(DEFAULT_BROWSER_TIMEOUT);
    let deadline = Instant::now() + wait;
    if how.open_browser {
        match browser::open(url.as_str()) {
            browser::Opened::With(program) => tell(&format!(
                "opened the sign-in page with {program}; if no browser appeared, open {url}"
            )),
            browser::Opened::NotOpened(why) => tell(&format!(
                "{why}: open {url} in a browser on this machine (or use grant device_code)"
            )),
        }
    } else {
        tell(&format!("open {url} in a browser on this machine"));
    }
    tell(&format!(
        "waiting up to {}s for the browser",
        wait.as_secs()
    ));
    let code = listener.wait(&state, deadline)?;
    let req = oidc::code_token_request(p, &code, &redirect_uri, &proof.verifier)?;
    let secrets = [&code, &proof.verifier];
    let answer = http.send_answer(&req, &secrets)?;
    let received = OffsetDateTime::now_utc();
    if !answer.is_success() {
        return Err(Error::op(format!(
            "the token endpoint refused the authorization code: {}",
            answer.describe(&secrets)
        )));
    }
    let token = parse_as(&answer.body, received, &secrets, p.use_id_token)?;
    Ok((token, granted_scope(&answer.body)))
}

//! The one place that builds the HTTP client and sends a token request: bounded timeouts, a few
//! retries where retrying is right, no redirects (a secret is never forwarded), a cap on what
//! is read; [`error_body`] turns every provider's error shape into one line.

pub mod error_body;

use crate::error::{Error, Result};
use crate::sensitive::Secret;
use crate::urlpolicy::{check_url, host};
use error_body::{describe_error, error_code, retry_after};
use std::io::Read;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_ATTEMPTS: u32 = 3;
const MAX_BODY: u64 = 1024 * 1024;

/// A token request, built by a provider, sent by [`Http::send`].
pub struct Request {
    pub method: reqwest::Method,
    pub url: reqwest::Url,
    /// Headers in the order given; values may be secret (an AK/SK signature is not, a Basic
    /// credential is), so the whole request is never logged.
    pub headers: Vec<(String, String)>,
    pub body: Zeroizing<Vec<u8>>,
}

pub struct Http {
    client: reqwest::blocking::Client,
    timeout: Duration,
}

/// What a profile says about its transport.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings<'a> {
    /// Seconds for one token request, retries included; bounded when the profile is loaded.
    pub timeout: Option<u64>,
    /// A PEM bundle of extra CAs to trust.
    pub ca_file: Option<&'a str>,
    /// Every request goes to plain `http://` on loopback: no trust store is loaded, and any
    /// `https://` request would fail, trusting no certificate.
    pub plain_http_only: bool,
}

impl Http {
    pub fn new(settings: Settings) -> Result<Http> {
        let timeout = settings
            .timeout
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TIMEOUT);
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(concat!("tokex/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .https_only(false)
            // Only https goes through a proxy (HTTPS_PROXY, honouring NO_PROXY), where the proxy
            // sees a CONNECT tunnel; plain http is loopback-only and must not hand a secret to
            // a proxy in clear text, so HTTP_PROXY and ALL_PROXY are not used.
            .no_proxy()
            // `localhost` is loopback by definition (RFC 6761 §6.3), never a name to look up:
            // where /etc/hosts lacks it, NSS or DNS could send a plain-http secret elsewhere.
            .resolve_to_addrs(
                "localhost",
                &[
                    (std::net::Ipv4Addr::LOCALHOST, 0).into(),
                    (std::net::Ipv6Addr::LOCALHOST, 0).into(),
                ],
            );
        if let Some(proxy) = https_proxy()? {
            builder = builder.proxy(proxy);
        }
        if settings.plain_http_only {
            builder = builder.tls_certs_only(std::iter::empty());
        }
        if let Some(path) = settings.ca_file {
            // It decides whom a secret is sent to: trusted only as the config is.
            let pem = crate::fsutil::open_trusted(path.as_ref(), crate::fsutil::Owner::UserOrAdmin)
                .and_then(|f| crate::fsutil::read_limited(f, MAX_BODY))
                .map_err(|e| Error::usage(format!("ca_file {path}: {e}")))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::usage(format!("ca_file {path}: not a PEM bundle: {e}")))?;
            if certs.is_empty() {
                return Err(Error::usage(format!(
                    "ca_file {path}: no certificate in it"
                )));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| Error::op(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Http { client, timeout })
    }

    /// One `GET` of `url` with no credentials and no retry, for `tokex doctor`: any HTTP status
    /// proves DNS, the connection and TLS work.
    pub fn probe(&self, url: &reqwest::Url) -> Result<u16> {
        check_url(url.as_str())?;
        match self.client.get(url.clone()).send() {
            Ok(r) => Ok(r.status().as_u16()),
            Err(e) => Err(Error::op(describe_transport(&e, url, self.timeout))),
        }
    }

    /// Sends `req`, retrying connection failures, 429 and 502-504 a few times within the
    /// profile's timeout; returns the body of a 2xx answer. `secrets` are scrubbed from anything
    /// the server says back before it reaches a message.
    pub fn send(&self, req: &Request, secrets: &[&Secret]) -> Result<Zeroizing<Vec<u8>>> {
        self.send_inner(req, secrets, false)
            .map(|mut a| std::mem::take(&mut a.body))
    }

    /// Like [`Http::send`], but a 4xx answer (except 429) is returned rather than turned into an
    /// error: for protocols whose refusals carry meaning (RFC 8628's `authorization_pending`, an
    /// `invalid_grant` that means "sign in again").
    pub fn send_answer(&self, req: &Request, secrets: &[&Secret]) -> Result<Answer> {
        self.send_inner(req, secrets, true)
    }

    fn send_inner(&self, req: &Request, secrets: &[&Secret], refusals: bool) -> Result<Answer> {
        // Refuse plain http to anything but loopback here too, whatever built the request.
        check_url(req.url.as_str())?;
        let deadline = Instant::now() + self.timeout;
        let mut attempt = 1;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let outcome = self.attempt(req, remaining, secrets, refusals);
            let retry_after = match &outcome {
                Attempt::Done(_) => None,
                Attempt::Retry(_, wait) => Some(*wait),
            };
            let wait = match retry_after {
                Some(w) if attempt < MAX_ATTEMPTS => w,
                _ => return outcome.into_result(),
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            if wait >= remaining {
                return outcome.into_result();
            }
            crate::log::debug(|| {
                format!(
                    "attempt {attempt} failed ({}); retrying in {wait:?}",
                    outcome.message()
                )
            });
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn attempt(
        &self,
        req: &Request,
        remaining: Duration,
        secrets: &[&Secret],
        refusals: bool,
    ) -> Attempt {
        let backoff = Duration::from_millis(300);
        if remaining.is_zero() {
            return Attempt::Done(Err(Error::op(format!(
                "no answer from {} within {}s",
                host(&req.url),
                self.timeout.as_secs()
            ))));
        }
        let mut builder = self
            .client
            .request(req.method.clone(), req.url.clone())
            .timeout(remaining)
            .body(req.body.to_vec());
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        crate::log::debug(|| format!("{} {} (attempt)", req.method, req.url));
        let response = match builder.send() {
            Ok(r) => r,
            Err(e) => {
                let msg = describe_transport(&e, &req.url, self.timeout);
                // A timeout already spent the budget; anything else (refused, reset) may pass.
                return if e.is_timeout() {
                    Attempt::Done(Err(Error::op(msg)))
                } else {
                    Attempt::Retry(Error::op(msg), backoff)
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut body = Vec::new();
        let read = response.take(MAX_BODY + 1).read_to_end(&mut body);
        if let Err(e) = read {
            let msg = format!("reading the answer from {}: {}", host(&req.url), plain(&e));
            return Attempt::Retry(Error::op(msg), backoff);
        }
        if body.len() as u64 > MAX_BODY {
            return Attempt::Done(Err(Error::op(format!(
                "HTTP {}: answer larger than {} bytes, refused",
                status.as_u16(),
                MAX_BODY
            ))));
        }
        if status.is_success() || (refusals && status.is_client_error() && status.as_u16() != 429) {
            return Attempt::Done(Ok(Answer {
                status: status.as_u16(),
                content_type,
                body: body.into(),
                sent: scrub_list(req, &[]),
            }));
        }
        if status.is_redirection() {
            let to = location
                .as_deref()
                .and_then(|l| req.url.join(l).ok())
                .map(|u| host(&u))
                .unwrap_or_else(|| "elsewhere".into());
            return Attempt::Done(Err(Error::op(format!(
                "HTTP {}: redirect to {to} refused (tokex never sends a secret to another address; fix the profile's URL)",
                status.as_u16()
            ))));
        }
        let scrub = scrub_list(req, secrets);
        let msg = describe_error(
            status,
            &content_type,
            &body,
            &scrub.iter().collect::<Vec<_>>(),
        );
        let error = Error::op(msg).with_server(status.as_u16(), error_code(&body));
        match status.as_u16() {
            429 | 502..=504 => Attempt::Retry(error, retry_after.unwrap_or(backoff)),
            _ => Attempt::Done(Err(error)),
        }
    }
}

/// What a refusal must not echo: the profile's secrets and the credentials of the request's
/// `Authorization` header (a Basic one is `base64(client_id:secret)`, which a server may echo).
fn scrub_list(req: &Request, secrets: &[&Secret]) -> Vec<Secret> {
    let mut all: Vec<Secret> = secrets.iter().map(|s| (*s).clone()).collect();
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("authorization") {
            let credentials = value.split_once(' ').map_or(value.as_str(), |(_, c)| c);
            all.push(Secret::from(credentials));
        }
    }
    all
}

/// An answer [`Http::send_answer`] hands back: a success or a refusal, with its body.
pub struct Answer {
    pub status: u16,
    /// Lower-cased.
    pub content_type: String,
    /// It may hold tokens: wiped on drop.
    pub body: Zeroizing<Vec<u8>>,
    /// The request's own credentials, scrubbed from any description of the answer.
    sent: Vec<Secret>,
}

impl Answer {
    /// An answer as a server could send it, for tests and fuzzing.
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Answer {
        Answer {
            status,
            content_type: content_type.to_ascii_lowercase(),
            body: body.into(),
            sent: Vec::new(),
        }
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The one-line description of a refusal, as [`Http::send`] would give it.
    pub fn describe(&self, secrets: &[&Secret]) -> String {
        let status =
            reqwest::StatusCode::from_u16(self.status).unwrap_or(reqwest::StatusCode::BAD_REQUEST);
        let mut all: Vec<&Secret> = secrets.to_vec();
        all.extend(self.sent.iter());
        describe_error(status, &self.content_type, &self.body, &all)
    }
}

enum Attempt {
    Done(Result<Answer>),
    Retry(Error, Duration),
}

impl Attempt {
    fn into_result(self) -> Result<Answer> {
        match self {
            Attempt::Done(r) => r,
            Attempt::Retry(e, _) => Err(e),
        }
    }
    fn message(&self) -> String {
        match self {
            Attempt::Done(Ok(_)) => "ok".into(),
            Attempt::Done(Err(e)) | Attempt::Retry(e, _) => e.to_string(),
        }
    }
}

/// The proxy for https requests from `HTTPS_PROXY` (or `https_proxy`), minus `NO_PROXY` hosts.
fn https_proxy() -> Result<Option<reqwest::Proxy>> {
    let var = ["HTTPS_PROXY", "https_proxy"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    let Some(url) = var else { return Ok(None) };
    // The URL may carry proxy credentials: never echo it.
    let proxy = reqwest::Proxy::https(url.trim()).map_err(|_| {
        Error::usage("HTTPS_PROXY is not a proxy URL (expected e.g. http://proxy.example.com:3128)")
    })?;
    Ok(Some(proxy.no_proxy(reqwest::NoProxy::from_env())))
}

/// The innermost cause, which is what a user can act on ("connection refused", "certificate").
fn plain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        last = s.to_string();
        cur = s.source();
    }
    last
}

fn describe_transport(e: &reqwest::Error, url: &reqwest::Url, timeout: Duration) -> String {
    let cause = plain(e);
    let h = host(url);
    if e.is_timeout() {
        format!(
            "no answer from {h} within {}s (profile `timeout`)",
            timeout.as_secs()
        )
    } else if cause.contains("InvalidContentType") {
        // rustls's words for a first answer that is no TLS record at all.
        format!(
            "TLS to {h}: the server answered in plain HTTP, not TLS (a plain-http port? https is needed for any host but loopback)"
        )
    } else if cause.to_ascii_lowercase().contains("certificate") {
        format!("TLS to {h}: {cause} (a private CA? name its PEM file in the profile's `ca_file`)")
    } else if e.is_connect() {
        format!("cannot connect to {h}: {cause}")
    } else {
        format!("request to {h} failed: {cause}")
    }
}

//! git credential helper (`git-credential-tokex get|store|erase|capability`).
//!
//! git writes `key=value` lines and closes stdin; for `get` it reads the same format back. When
//! git announces `capability[]=authtype` and the server accepts Bearer, the answer is a pre-encoded
//! `credential` so git sends `Authorization: Bearer …`; otherwise the token is the password of
//! HTTP Basic. No matching profile means no output: git then asks its next helper. git ignores a
//! helper's exit status, so errors only go to stderr.
//!
//! The codec ([`parse`], [`write`]) is one pair of exact inverses, and both refuse NUL, CR and
//! LF inside a key or value, so nothing a server, a config or a request says can inject a line.

use super::{DEFAULT_USERNAME, read_input, write as emit, write_secret};
use crate::broker::{Tokens, Want};
use crate::error::{Error, Result};
use crate::matching::Target;
use crate::sensitive::Secret;
use std::io::{Read, Write};

/// git's own limit for one line.
const MAX_LINE: usize = 65535;

/// The operation git names in argv; git's rule: a helper ignores operations it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Get,
    Store,
    Erase,
    Capability,
    Unknown(String),
}

impl Op {
    /// clap's value parser for the operation argument: every word is an operation.
    pub fn parse(op: &str) -> Result<Op, std::convert::Infallible> {
        Ok(match op {
            "get" => Op::Get,
            "store" => Op::Store,
            "erase" => Op::Erase,
            "capability" => Op::Capability,
            other => Op::Unknown(other.to_string()),
        })
    }
}

/// `key=value` lines up to an empty line or the end. A trailing CR ends a line as LF does (git
/// reads lines that way); anywhere else NUL, CR and LF are refused.
pub fn parse(input: &[u8]) -> Result<Vec<(String, String)>> {
    let text =
        std::str::from_utf8(input).map_err(|_| Error::usage("git's request is not UTF-8"))?;
    let mut pairs = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let at = |why: &str| Error::usage(format!("line {} of git's request {why}", n + 1));
        if line.len() > MAX_LINE {
            return Err(at(&format!("is longer than {MAX_LINE} bytes")));
        }
        if line.contains('\0') {
            return Err(at("contains a NUL byte"));
        }
        if line.contains('\r') {
            return Err(at("contains a carriage return"));
        }
        let (key, value) = line.split_once('=').ok_or_else(|| at("is not key=value"))?;
        pairs.push((key.to_string(), value.to_string()));
    }
    Ok(pairs)
}

/// The inverse of [`parse`]: one `key=value` line per pair.
pub fn write(pairs: &[(&str, &str)]) -> Result<String> {
    let mut out = String::new();
    for (key, value) in pairs {
        if key.is_empty() || key.contains(['=', '\0', '\r', '\n']) {
            return Err(Error::usage(format!(
                "{key:?} cannot be a git credential key"
            )));
        }
        if value.contains(['\0', '\r', '\n']) {
            return Err(Error::usage(format!(
                "the `{key}` for git contains a NUL byte or a line break"
            )));
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
        out.push('\n');
    }
    Ok(out)
}

#[derive(Debug, Default)]
pub struct Request {
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub credential: Option<Secret>,
    pub capabilities: Vec<String>,
    pub wwwauth: Vec<String>,
}

impl Request {
    pub fn parse(input: &[u8]) -> Result<Request> {
        let mut req = Request::default();
        for (key, value) in parse(input)? {
            match key.as_str() {
                "protocol" => req.protocol = Some(value),
                "host" => req.host = Some(value),
                "path" => req.path = Some(value),
                "username" => req.username = Some(value),
                "password" => req.password = Some(Secret::new(value)),
                "credential" => req.credential = Some(Secret::new(value)),
                // `key[]=` with an empty value clears the list (git 2.41+).
                "capability[]" if value.is_empty() => req.capabilities.clear(),
                "capability[]" => req.capabilities.push(value),
                "wwwauth[]" if value.is_empty() => req.wwwauth.clear(),
                "wwwauth[]" => req.wwwauth.push(value),
                _ => {} // git's rule: unknown attributes are ignored.
            }
        }
        Ok(req)
    }

    fn target(&self) -> Result<Target> {
        let (Some(protocol), Some(host)) = (&self.protocol, &self.host) else {
            return Err(Error::usage(
                "git's request has no protocol or host (run by git, or pass `protocol=` and `host=` lines)",
            ));
        };
        Target::from_git(
            protocol,
            host,
            self.path.as_deref(),
            self.username.as_deref(),
        )
    }

    /// Bearer only when git can carry it and the server did not ask for something else.
    fn wants_bearer(&self) -> bool {
        self.capabilities.iter().any(|c| c == "authtype")
            && (self.wwwauth.is_empty()
                || self.wwwauth.iter().any(|w| {
                    w.split_whitespace()
                        .next()
                        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
                }))
    }
}

/// The answer to `get`.
pub enum Answer<'a> {
    /// `Authorization: SCHEME CREDENTIAL`, sent as is by git 2.46+.
    Bearer {
        scheme: &'a str,
        credential: &'a str,
        expiry: i64,
    },
    /// HTTP Basic with the token as the password.
    Basic {
        username: &'a str,
        password: &'a str,
        expiry: i64,
    },
}

impl Answer<'_> {
    pub fn encode(&self) -> Result<String> {
        match self {
            Answer::Bearer {
                scheme,
                credential,
                expiry,
            } => write(&[
                ("capability[]", "authtype"),
                ("authtype", scheme),
                ("credential", credential),
                ("ephemeral", "true"),
                ("password_expiry_utc", &expiry.to_string()),
            ]),
            Answer::Basic {
                username,
                password,
                expiry,
            } => write(&[
                ("username", username),
                ("password", password),
                ("password_expiry_utc", &expiry.to_string()),
            ]),
        }
    }
}

pub fn serve(
    op: Op,
    profile: Option<&str>,
    tokens: &dyn Tokens,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<()> {
    match op {
        Op::Capability => return emit(out, "version 0\ncapability authtype\n"),
        // git's rule: a helper ignores operations it does not know; future ones will come.
        Op::Unknown(_) => return Ok(()),
        Op::Get | Op::Store | Op::Erase => {}
    }
    let mut buf = read_input(input, "git's request")?;
    let req = Request::parse(&buf);
    zeroize::Zeroize::zeroize(&mut buf);
    let req = req?;
    let Some(profile) = tokens.choose(profile, &|| req.target())? else {
        crate::log::debug(|| format!("git: no profile matches {:?}", req.target().ok()));
        return Ok(());
    };
    let name = profile.name.as_str();
    match op {
        Op::Get => {
            let issued = tokens.token(name, Want::default())?;
            let token = &issued.token;
            let expiry = token.reported_expiry().unix_timestamp();
            let answer = if req.wants_bearer() {
                Answer::Bearer {
                    scheme: token.scheme(),
                    credential: token.access_token.expose(),
                    expiry,
                }
            } else {
                Answer::Basic {
                    username: req
                        .username
                        .as_deref()
                        .or(profile.username.as_deref())
                        .unwrap_or(DEFAULT_USERNAME),
                    password: token.access_token.expose(),
                    expiry,
                }
            };
            write_secret(out, answer.encode()?)
        }
        Op::Erase => {
            let rejected = req.credential.as_ref().or(req.password.as_ref());
            tokens.forget(name, rejected).map(|_| ())
        }
        // The token is tokex's to mint; there is nothing for git to hand back.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;

//! git credential helper (`git-credential-tokex get|store|erase|capability`).
//!
//! git writes `key=value` lines and closes stdin; for `get` it reads the same format back. When
//! git announces `capability[]=authtype` and the server accepts Bearer, the answer is a pre-encoded
//! `credential` so git sends `Authorization: Bearer …`; otherwise the token is the password of
//! HTTP Basic. No matching profile means no output: git then asks its next helper. git ignores a
//! helper's exit status, so errors only go to stderr.

use super::{DEFAULT_USERNAME, read_input, write, write_secret};
use crate::broker::{self, Want};
use crate::cache::Cache;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::matching::{self, Target};
use crate::sensitive::Secret;
use crate::token::Token;
use std::io::{Read, Write};

/// git's own limit for one line.
const MAX_LINE: usize = 65535;

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
        let text =
            std::str::from_utf8(input).map_err(|_| Error::usage("git's request is not UTF-8"))?;
        let mut req = Request::default();
        for (n, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                break;
            }
            if line.len() > MAX_LINE {
                return Err(Error::usage(format!(
                    "line {} of git's request is longer than {MAX_LINE} bytes",
                    n + 1
                )));
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(Error::usage(format!(
                    "line {} of git's request is not key=value",
                    n + 1
                )));
            };
            if line.contains('\0') {
                return Err(Error::usage(format!(
                    "line {} of git's request contains a NUL byte",
                    n + 1
                )));
            }
            let value = value.to_string();
            match key {
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

    fn has_capability(&self, cap: &str) -> bool {
        self.capabilities.iter().any(|c| c == cap)
    }

    /// Bearer only when git can carry it and the server did not ask for something else.
    fn wants_bearer(&self) -> bool {
        self.has_capability("authtype")
            && (self.wwwauth.is_empty()
                || self.wwwauth.iter().any(|w| {
                    w.split_whitespace()
                        .next()
                        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
                }))
    }
}

/// The answer to `get`.
pub fn answer(req: &Request, token: &Token, username: Option<&str>) -> String {
    let expiry = token.reported_expiry().unix_timestamp();
    let value = token.access_token.expose();
    if req.wants_bearer() {
        format!(
            "capability[]=authtype\nauthtype={}\ncredential={value}\nephemeral=true\npassword_expiry_utc={expiry}\n",
            token.scheme()
        )
    } else {
        let user = req
            .username
            .as_deref()
            .or(username)
            .unwrap_or(DEFAULT_USERNAME);
        format!("username={user}\npassword={value}\npassword_expiry_utc={expiry}\n")
    }
}

pub fn run(
    op: &str,
    profile: Option<&str>,
    config: &Config,
    cache: &Cache,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<()> {
    if op == "capability" {
        return write(out, "version 0\ncapability authtype\n");
    }
    if !matches!(op, "get" | "store" | "erase") {
        // git's rule: a helper ignores operations it does not know; future ones will come.
        return Ok(());
    }
    let mut buf = read_input(input, "git's request")?;
    let req = Request::parse(&buf);
    zeroize::Zeroize::zeroize(&mut buf);
    let req = req?;
    let chosen = match profile {
        Some(name) => Some((name, config.get(name)?)),
        None => matching::select(config, &req.target()?)?,
    };
    let Some((name, profile)) = chosen else {
        crate::log::debug(|| format!("git: no profile matches {:?}", req.target().ok()));
        return Ok(());
    };
    match op {
        "get" => {
            let token = broker::token(cache, name, profile, Want::default())?;
            write_secret(out, answer(&req, &token, profile.username.as_deref()))
        }
        "erase" => {
            let rejected = req.credential.as_ref().or(req.password.as_ref());
            broker::forget(cache, name, profile, rejected).map(|_| ())
        }
        // The token is tokex's to mint; there is nothing for git to hand back.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token::sample("tok", time::Duration::hours(1))
    }

    #[test]
    fn parses_what_git_sends() {
        let r = Request::parse(
            b"capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=git.example.com:8443\nwwwauth[]=Bearer realm=\"x\"\nwwwauth[]=Basic realm=\"x\"\nfuture=1\n\nafter=ignored\n",
        )
        .unwrap();
        assert_eq!(r.capabilities, ["authtype", "state"]);
        assert_eq!(r.host.as_deref(), Some("git.example.com:8443"));
        assert_eq!(r.wwwauth.len(), 2);
        assert!(r.wants_bearer());
        let r = Request::parse(b"capability[]=authtype\ncapability[]=\nprotocol=https").unwrap();
        assert!(r.capabilities.is_empty());
    }

    #[test]
    fn malformed_lines_are_errors() {
        for (bad, want) in [
            (
                &b"protocol=https\nnoequals\n"[..],
                "line 2 of git's request is not key=value",
            ),
            (b"host=a\0b\n", "NUL"),
            (b"host=\xff\n", "not UTF-8"),
        ] {
            let e = Request::parse(bad).unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
        let long = format!("host={}\n", "a".repeat(MAX_LINE));
        assert!(Request::parse(long.as_bytes()).is_err());
    }

    #[test]
    fn bearer_when_git_and_the_server_allow_it() {
        let expiry = "password_expiry_utc=1795431540\n"; // 10:59:00Z, a minute early
        let r = Request::parse(b"capability[]=authtype\nprotocol=https\nhost=h\n").unwrap();
        assert_eq!(
            answer(&r, &token(), None),
            format!(
                "capability[]=authtype\nauthtype=Bearer\ncredential=tok\nephemeral=true\n{expiry}"
            )
        );
        // The server asked for Basic only: the token goes as the password.
        let r = Request::parse(
            b"capability[]=authtype\nprotocol=https\nhost=h\nwwwauth[]=Basic realm=\"r\"\n",
        )
        .unwrap();
        assert_eq!(
            answer(&r, &token(), Some("svc")),
            format!("username=svc\npassword=tok\n{expiry}")
        );
        // An older git, or `git credential fill` without the capability line.
        let r = Request::parse(b"protocol=https\nhost=h\nusername=me\n").unwrap();
        assert_eq!(
            answer(&r, &token(), Some("svc")),
            format!("username=me\npassword=tok\n{expiry}")
        );
    }
}

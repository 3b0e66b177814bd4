//! The client: a [`Tokens`] whose every answer comes from an agent over its socket. It needs no
//! config, store or cache here; the agent matches URLs and hosts against its own profiles.

use super::wire::{self, Received, Reply, Request};
use crate::broker::{Chosen, Issued, Listed, Tokens, Want};
use crate::error::{Error, Result};
use crate::matching::Target;
use crate::sensitive::Secret;
use crate::token::Token;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

/// An agent that is alive answers the hello at once; one that is not (stopped, or a forwarded
/// socket with nothing behind it) must not hold the caller up.
const HELLO_WAIT: Duration = Duration::from_secs(3);
/// A token may need an exchange with the provider first, which has its own timeout.
const ANSWER_WAIT: Duration = Duration::from_secs(120);

pub struct Remote {
    path: PathBuf,
    conn: RefCell<crate::platform::ipc::Conn>,
}

impl Remote {
    /// Connects and says hello; `caller` is the entry point, for the agent's log.
    pub fn connect(path: &Path, caller: &str) -> Result<Remote> {
        let down = |why: String| {
            Error::op(format!(
                "the tokex agent at {} (TOKEX_AGENT) is not answering: {why}",
                path.display()
            ))
        };
        let conn = crate::platform::ipc::connect(path).map_err(|e| down(e.to_string()))?;
        conn.set_timeout(Some(HELLO_WAIT))
            .map_err(|e| down(e.to_string()))?;
        let remote = Remote {
            path: path.to_path_buf(),
            conn: RefCell::new(conn),
        };
        let hello = Request::Hello {
            version: wire::VERSION,
            caller: caller.to_string(),
        };
        match remote
            .exchange(&hello)
            .map_err(|e| down(e.message().to_string()))?
        {
            Reply::Hello { version } if version == wire::VERSION => {}
            Reply::Hello { version } => {
                return Err(Error::op(format!(
                    "the tokex agent at {} speaks protocol {version}, this tokex {}",
                    path.display(),
                    wire::VERSION
                )));
            }
            other => return Err(remote.unexpected(other)),
        }
        remote
            .conn
            .borrow()
            .set_timeout(Some(ANSWER_WAIT))
            .map_err(|e| down(e.to_string()))?;
        Ok(remote)
    }

    fn exchange(&self, request: &Request) -> Result<Reply> {
        let mut conn = self.conn.borrow_mut();
        wire::send(&mut *conn, request).map_err(|e| Error::op(e.to_string()))?;
        match wire::receive(&mut *conn)? {
            Received::Message(reply) => Ok(reply),
            Received::Closed => Err(Error::op("it closed the connection")),
        }
    }

    /// One request and its reply; the agent's refusal becomes this process's error.
    fn call(&self, request: &Request) -> Result<Reply> {
        let reply = self.exchange(request).map_err(|e| {
            Error::op(format!(
                "the tokex agent at {} (TOKEX_AGENT): {}",
                self.path.display(),
                e.message()
            ))
        })?;
        match reply {
            Reply::Failed { kind, message } => Err(kind.error(format!(
                "agent: {}",
                crate::printable::printable(&message, crate::printable::LINE)
            ))),
            other => Ok(other),
        }
    }

    fn unexpected(&self, reply: Reply) -> Error {
        match reply {
            Reply::Failed { kind, message } => kind.error(format!(
                "the tokex agent at {} refused: {}",
                self.path.display(),
                crate::printable::printable(&message, crate::printable::LINE)
            )),
            _ => Error::op(format!(
                "the tokex agent at {} answered out of turn",
                self.path.display()
            )),
        }
    }

    /// The profile names this agent serves and their `match` entries (for `tokex status`).
    pub fn profiles(&self) -> Result<(Vec<String>, Vec<Listed>)> {
        match self.call(&Request::Profiles {})? {
            Reply::Profiles { profiles, names } => Ok((names, profiles)),
            other => Err(self.unexpected(other)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Tokens for Remote {
    fn choose(
        &self,
        named: Option<&str>,
        target: &dyn Fn() -> Result<Target>,
    ) -> Result<Option<Chosen>> {
        let request = Request::Choose {
            profile: named.map(str::to_string),
            target: match named {
                Some(_) => None,
                None => Some(target()?),
            },
        };
        match self.call(&request)? {
            Reply::Chosen { profile } => Ok(profile),
            other => Err(self.unexpected(other)),
        }
    }

    fn listing(&self) -> Result<Vec<Listed>> {
        self.profiles().map(|(_, listed)| listed)
    }

    fn token(&self, name: &str, want: Want) -> Result<Issued> {
        let request = Request::Token {
            profile: name.to_string(),
            min_valid: want.min_valid.whole_seconds(),
            refresh: want.refresh,
        };
        let issued = match self.call(&request)? {
            Reply::Token { token } => token,
            other => return Err(self.unexpected(other)),
        };
        // Bounded as any server's numbers are: a lifetime of up to a year.
        let bounded = |s: i64| time::Duration::seconds(s.clamp(0, 366 * 86_400));
        let (lifetime, remaining) = (bounded(issued.lifetime), bounded(issued.remaining));
        // It becomes the scheme of an `Authorization` header: one word, nothing else.
        let scheme = &issued.token_type;
        if scheme.is_empty()
            || scheme.len() > 32
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::op(format!(
                "the agent's token type {:?} is not a scheme",
                crate::printable::printable(scheme, crate::printable::SHORT)
            ))
            .for_profile(name));
        }
        let now = OffsetDateTime::now_utc();
        let token = Token {
            access_token: issued.access_token,
            token_type: issued.token_type,
            obtained_at: now + remaining.min(lifetime) - lifetime,
            expires_at: now + remaining.min(lifetime),
            refresh_token: None,
        };
        Issued::carried(token, issued.header.as_deref()).map_err(|e| e.for_profile(name))
    }

    fn forget(&self, name: &str, rejected: Option<&Secret>) -> Result<bool> {
        let request = Request::Forget {
            profile: name.to_string(),
            rejected: rejected.cloned(),
        };
        match self.call(&request)? {
            Reply::Forgot { dropped } => Ok(dropped),
            other => Err(self.unexpected(other)),
        }
    }
}

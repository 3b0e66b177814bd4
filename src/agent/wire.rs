//! The agent's protocol: length-prefixed JSON frames (a 4-byte big-endian length, then that many
//! bytes of one message), each at most [`MAX_FRAME`]. A client opens with [`Request::Hello`] and
//! its version; an agent that speaks another answers [`Reply::Failed`] and closes. Every message
//! is a typed struct: what crosses is exactly what these types hold, and no type here has room
//! for a long-lived secret, a refresh token or a key.

use crate::broker::{Chosen, Listed};
use crate::error::{Error, Kind, Result};
use crate::matching::Target;
use crate::sensitive::Secret;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use zeroize::Zeroizing;

pub const VERSION: u32 = 1;

/// Every message is far smaller: a token and a few names.
pub const MAX_FRAME: usize = 64 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// The first message. `caller` is the client's entry point (`git`, `token`, …), for the log.
    Hello {
        version: u32,
        caller: String,
    },
    Choose {
        profile: Option<String>,
        target: Option<Target>,
    },
    Token {
        profile: String,
        /// Seconds the token must stay valid.
        min_valid: i64,
        refresh: bool,
    },
    Forget {
        profile: String,
        /// What the caller sent and its server refused (git's `erase`): an issued token.
        rejected: Option<Secret>,
    },
    Profiles {},
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "re", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Reply {
    Hello {
        version: u32,
    },
    Chosen {
        profile: Option<Chosen>,
    },
    Token {
        token: Issued,
    },
    Forgot {
        dropped: bool,
    },
    Profiles {
        profiles: Vec<Listed>,
        names: Vec<String>,
    },
    Failed {
        kind: Failure,
        message: String,
    },
}

/// An issued token as it crosses: its lifetime and what is left of it rather than instants, so
/// the client's clock, not the agent's, decides when it expires.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issued {
    pub access_token: Secret,
    pub token_type: String,
    /// A provider's own header (CSP's `csp-auth-token`); absent for `Authorization`.
    pub header: Option<String>,
    pub lifetime: i64,
    pub remaining: i64,
}

/// An error's kind, so a client exits as the agent would have (and "not found" stays an answer
/// for docker and cargo).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    Usage,
    NotFound,
    Operational,
}

impl Failure {
    pub fn of(e: &Error) -> Failure {
        match e.kind() {
            Kind::Usage => Failure::Usage,
            Kind::NotFound => Failure::NotFound,
            Kind::Operational | Kind::CannotRun => Failure::Operational,
        }
    }

    pub fn error(self, message: String) -> Error {
        match self {
            Failure::Usage => Error::usage(message),
            Failure::NotFound => Error::not_found(message),
            Failure::Operational => Error::op(message),
        }
    }
}

/// Writes one message as one frame.
pub fn send(out: &mut dyn Write, message: &impl Serialize) -> std::io::Result<()> {
    let body = Zeroizing::new(serde_json::to_vec(message).map_err(std::io::Error::other)?);
    if body.len() > MAX_FRAME {
        return Err(std::io::Error::other(
            "message larger than the agent's limit",
        ));
    }
    let mut frame = Zeroizing::new(Vec::with_capacity(4 + body.len()));
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    out.write_all(&frame)?;
    out.flush()
}

/// What reading a frame found.
pub enum Received<T> {
    Message(T),
    /// The other side closed before a frame began.
    Closed,
}

/// Reads one frame and decodes it; a frame over [`MAX_FRAME`] is refused before it is read.
pub fn receive<T: serde::de::DeserializeOwned>(input: &mut dyn Read) -> Result<Received<T>> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match input.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(Received::Closed),
            Ok(0) => return Err(Error::op("the connection closed inside a frame")),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(&e)),
        }
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(Error::usage(format!(
            "a frame of {len} bytes is over the limit of {MAX_FRAME}"
        )));
    }
    let mut body = Zeroizing::new(vec![0u8; len]);
    input.read_exact(&mut body).map_err(|e| io_error(&e))?;
    // serde's own text may quote a value it rejected (a token in a misplaced field): only
    // what kind of error, and where, is said.
    serde_json::from_slice(&body)
        .map(Received::Message)
        .map_err(|e| {
            Error::usage(format!(
                "a message that is not tokex's protocol ({:?} error at byte {} of {len})",
                e.classify(),
                e.column()
            ))
        })
}

fn io_error(e: &std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            Error::op("no answer in time")
        }
        std::io::ErrorKind::UnexpectedEof => Error::op("the connection closed inside a frame"),
        _ => Error::op(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(r: &Request) -> Request {
        let mut buf = Vec::new();
        send(&mut buf, r).unwrap();
        assert_eq!(
            u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize,
            buf.len() - 4
        );
        match receive(&mut &buf[..]).unwrap() {
            Received::Message(m) => m,
            Received::Closed => panic!("closed"),
        }
    }

    #[test]
    fn frames_are_exact_inverses_and_spelled_as_documented() {
        let hello = Request::Hello {
            version: 1,
            caller: "git".into(),
        };
        let mut buf = Vec::new();
        send(&mut buf, &hello).unwrap();
        assert_eq!(&buf[4..], br#"{"op":"hello","version":1,"caller":"git"}"#);
        let target = Target::parse("https://Git.Example.com:8443/org/repo").unwrap();
        let choose = Request::Choose {
            profile: None,
            target: Some(target.clone()),
        };
        match round_trip(&choose) {
            Request::Choose {
                profile: None,
                target: Some(t),
            } => assert_eq!(t, target),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn oversized_truncated_and_foreign_frames_are_refused() {
        let mut big = (MAX_FRAME as u32 + 1).to_be_bytes().to_vec();
        big.extend(std::iter::repeat_n(b' ', 16));
        let e = receive::<Request>(&mut &big[..]).err().unwrap();
        assert!(e.message().contains("over the limit"), "{e}");
        let short = [0, 0, 0, 10, b'{'];
        assert!(receive::<Request>(&mut &short[..]).is_err());
        assert!(matches!(
            receive::<Request>(&mut &[][..]).unwrap(),
            Received::Closed
        ));
        let mut unknown = Vec::new();
        send(
            &mut unknown,
            &serde_json::json!({"op": "secret", "name": "p"}),
        )
        .unwrap();
        assert!(receive::<Request>(&mut &unknown[..]).is_err());
        // A value serde rejects is not quoted back: it may be a token.
        let mut misplaced = Vec::new();
        send(
            &mut misplaced,
            &serde_json::json!({"op": "token", "profile": "p", "min_valid": "tok-SECRET", "refresh": false}),
        )
        .unwrap();
        let e = receive::<Request>(&mut &misplaced[..]).err().unwrap();
        assert!(!e.message().contains("tok-SECRET"), "{e}");
        assert!(e.message().contains("Data error at byte"), "{e}");
        let mut extra = Vec::new();
        send(
            &mut extra,
            &serde_json::json!({"op": "profiles", "refresh_token": "x"}),
        )
        .unwrap();
        assert!(receive::<Request>(&mut &extra[..]).is_err());
    }
}

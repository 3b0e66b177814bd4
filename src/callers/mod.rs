//! One module per calling tool's protocol. A caller parses its request into typed data, asks the
//! broker's [`Tokens`](crate::broker::Tokens) door, and writes its answer with an exact codec. It
//! knows profiles and matching, never the cache, a store, a provider or HTTP; each takes its
//! streams as parameters, so unit tests drive it with byte buffers and a fake broker.

pub mod bazel;
pub mod cargo;
pub mod docker;
pub mod exec;
pub mod external;
pub mod git;
pub mod goauth;
pub mod google;
pub mod keyring;
pub mod kubectl;
pub mod kubelet;
pub mod plain;
pub mod terraform;

use crate::error::{Error, Result};
use std::io::{Read, Write};

/// The username reported with a token where a protocol needs one (git's Basic, docker) and
/// neither the caller nor the profile names one; services that take a bearer token as a Basic
/// password (GitLab, Gitea, Google's registries) accept it.
pub const DEFAULT_USERNAME: &str = "oauth2";

/// Callers' requests are a few hundred bytes; anything near this is not a caller.
pub const MAX_INPUT: u64 = 1024 * 1024;

/// Reads a caller's whole request, bounded.
fn read_input(input: &mut dyn Read, what: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    input
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::op(format!("reading {what}: {e}")))?;
    if buf.len() as u64 > MAX_INPUT {
        zeroize::Zeroize::zeroize(&mut buf);
        return Err(Error::usage(format!("{what} is larger than 1 MiB")));
    }
    Ok(buf)
}

/// Writes a caller's answer; a reader that went away (a closed pipe) is a normal end.
pub fn write(out: &mut dyn Write, text: &str) -> Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::op(format!("writing to stdout: {e}"))),
    }
}

/// Writes an answer that carries a token, then wipes it from memory.
pub fn write_secret(out: &mut dyn Write, mut text: String) -> Result<()> {
    let written = write(out, &text);
    zeroize::Zeroize::zeroize(&mut text);
    written
}

/// A JSON answer and its newline, serialised from a typed message.
fn json_line(message: &impl serde::Serialize) -> Result<String> {
    let mut text =
        serde_json::to_string(message).map_err(|e| Error::op(format!("encoding JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// Text from a request, cut short for a message.
fn clip(s: &str) -> String {
    crate::printable::printable(s, crate::printable::SHORT)
}

#[cfg(test)]
pub mod fake;

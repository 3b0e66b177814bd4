//! Bazel credential helper (`tokex bazel get`), the protocol of the EngFlow credential-helper
//! spec that Bazel's `--credential_helper`, uv and others speak: `{"uri": …}` on stdin, the
//! headers for that URI (and when they expire) on stdout, `{}` when tokex has none for it.

use super::{clip, json_line, read_input, write, write_secret};
use crate::broker::{Tokens, Want};
use crate::error::{Error, Result};
use crate::matching::Target;
use crate::token::rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Get,
}

impl Command {
    pub fn parse(command: &str) -> Result<Command> {
        match command {
            "get" => Ok(Command::Get),
            other => Err(Error::usage(format!(
                "unknown command `{}` (the credential-helper protocol has `get`)",
                clip(other)
            ))),
        }
    }
}

#[derive(Deserialize)]
pub struct GetRequest {
    pub uri: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Headers {
        headers: BTreeMap<&'static str, Vec<String>>,
        expires: String,
    },
    None {},
}

pub fn serve(
    command: Command,
    tokens: &dyn Tokens,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<()> {
    let Command::Get = command;
    let raw = read_input(input, "the credential request")?;
    let req: GetRequest = serde_json::from_slice(&raw).map_err(|_| {
        Error::usage("the request on stdin must be a JSON object with a string `uri`")
    })?;
    let target = Target::parse(&req.uri)?;
    let Some(chosen) = tokens.choose(None, &|| Ok(target.clone()))? else {
        return write(out, &json_line(&Answer::None {})?);
    };
    let issued = tokens.token(&chosen.name, Want::default())?;
    let mut headers = BTreeMap::new();
    headers.insert(issued.header_name(), vec![issued.header_value()]);
    let answer = Answer::Headers {
        headers,
        expires: rfc3339(issued.token.reported_expiry()),
    };
    let text = json_line(&answer);
    if let Answer::Headers { mut headers, .. } = answer {
        headers
            .values_mut()
            .flatten()
            .for_each(zeroize::Zeroize::zeroize);
    }
    write_secret(out, text?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callers::fake::Fake;

    fn go(config: &str, command: &str, input: &str) -> (Result<()>, String) {
        let fake = Fake::new(config);
        let mut out = Vec::new();
        let r =
            Command::parse(command).and_then(|c| serve(c, &fake, &mut input.as_bytes(), &mut out));
        (r, String::from_utf8(out).unwrap())
    }

    const CSP: &str =
        "[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"https://cache.example.com\"]\n";

    #[test]
    fn exact_headers_for_each_header_kind() {
        let (r, out) = go(CSP, "get", r#"{"uri":"https://cache.example.com/x"}"#);
        assert!(r.is_ok());
        assert_eq!(
            out,
            "{\"headers\":{\"csp-auth-token\":[\"tok\"]},\"expires\":\"2026-11-23T10:59:00Z\"}\n"
        );
        let vcd = "[profiles.p]\nprovider = \"vcd\"\nurl = \"https://vcd.example.com\"\ntenant = \"t\"\nmatch = [\"https://cache.example.com\"]\n";
        let (_, out) = go(vcd, "get", r#"{"uri":"https://cache.example.com/x"}"#);
        assert_eq!(
            out,
            "{\"headers\":{\"Authorization\":[\"Bearer tok\"]},\"expires\":\"2026-11-23T10:59:00Z\"}\n"
        );
    }

    #[test]
    fn no_match_is_an_empty_object_and_bad_requests_are_errors() {
        let (r, out) = go(CSP, "get", r#"{"uri":"https://other.example.com/x"}"#);
        assert!(r.is_ok());
        assert_eq!(out, "{}\n");
        for (cmd, input, want) in [
            ("get", "not json", "JSON object with a string `uri`"),
            ("get", r#"{"url":"https://x"}"#, "`uri`"),
            ("put", "{}", "unknown command `put`"),
            ("get", r#"{"uri":"https://a b/"}"#, "not a host or URL"),
        ] {
            let e = go(CSP, cmd, input).0.unwrap_err().to_string();
            assert!(e.contains(want), "{input}: {e}");
        }
    }
}

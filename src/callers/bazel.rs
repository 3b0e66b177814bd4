//! Bazel credential helper (`tokex bazel get`), the protocol of the EngFlow credential-helper
//! spec that Bazel's `--credential_helper`, uv and others speak: `{"uri": …}` on stdin, the
//! headers for that URI (and when they expire) on stdout, `{}` when tokex has none for it.

use super::{read_input, write, write_secret};
use crate::broker::{self, Want};
use crate::cache::Cache;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::matching::{self, Target};
use crate::token::rfc3339;
use serde::Deserialize;
use std::io::{Read, Write};

#[derive(Deserialize)]
struct GetRequest {
    uri: String,
}

pub fn run(
    command: &str,
    config: &Config,
    cache: &Cache,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<()> {
    if command != "get" {
        return Err(Error::usage(format!(
            "unknown command `{}` (the credential-helper protocol has `get`)",
            command.chars().take(40).collect::<String>()
        )));
    }
    let raw = read_input(input, "the credential request")?;
    let req: GetRequest = serde_json::from_slice(&raw).map_err(|_| {
        Error::usage("the request on stdin must be a JSON object with a string `uri`")
    })?;
    let Some((name, profile)) = matching::select(config, &Target::parse(&req.uri)?)? else {
        return write(out, "{}\n");
    };
    let token = broker::token(cache, name, profile, Want::default())?;
    let header = crate::providers::header_name(profile);
    let value = if header.eq_ignore_ascii_case("authorization") {
        format!("{} {}", token.scheme(), token.access_token.expose())
    } else {
        token.access_token.expose().to_string()
    };
    let mut headers = serde_json::Map::new();
    headers.insert(header.to_string(), serde_json::json!([value]));
    let text = serde_json::json!({
        "headers": headers,
        "expires": rfc3339(token.reported_expiry()),
    })
    .to_string();
    write_secret(out, text + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(command: &str, input: &str) -> (Result<()>, String) {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse(
            std::path::Path::new("t.toml"),
            "[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"https://cache.example.com\"]\n",
        )
        .unwrap();
        let mut out = Vec::new();
        let r = run(
            command,
            &config,
            &Cache::at(dir.path()),
            &mut input.as_bytes(),
            &mut out,
        );
        (r, String::from_utf8(out).unwrap())
    }

    #[test]
    fn no_match_is_an_empty_object_and_bad_requests_are_errors() {
        let (r, out) = go("get", r#"{"uri":"https://other.example.com/x"}"#);
        assert!(r.is_ok());
        assert_eq!(out, "{}\n");
        for (cmd, input, want) in [
            ("get", "not json", "JSON object with a string `uri`"),
            ("get", r#"{"url":"https://x"}"#, "`uri`"),
            ("put", "{}", "unknown command `put`"),
            ("get", r#"{"uri":"https://a b/"}"#, "not a host or URL"),
        ] {
            let e = go(cmd, input).0.unwrap_err().to_string();
            assert!(e.contains(want), "{input}: {e}");
        }
    }
}

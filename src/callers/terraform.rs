//! Terraform: the credentials helper (`terraform-credentials-tokex get|store|forget HOST`, which
//! terraform looks for only in `~/.terraform.d/plugins`) and the `external` data source
//! (`program = ["tokex", "external"]`).
//!
//! Terraform asks its helper once per host per run and keeps the answer for the whole run,
//! however long an apply takes, so the token handed out must outlast a run: `MIN_VALID`.

use super::{read_input, write, write_secret};
use crate::broker::{self, Want};
use crate::cache::Cache;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::matching::{self, Target};
use crate::token::rfc3339;
use std::collections::BTreeMap;
use std::io::{Read, Write};

pub const MIN_VALID: time::Duration = time::Duration::minutes(10);

pub fn run(
    verb: &str,
    host: Option<&str>,
    profile: Option<&str>,
    config: &Config,
    cache: &Cache,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<()> {
    if !matches!(verb, "get" | "store" | "forget") {
        return Err(Error::usage(format!(
            "unknown verb `{}` (terraform sends get, store or forget)",
            verb.chars().take(40).collect::<String>()
        )));
    }
    let host = host.ok_or_else(|| Error::usage(format!("`{verb}` needs a HOST")))?;
    let target = parse_host(host)?;
    let chosen = match profile {
        Some(name) => Some((name, config.get(name)?)),
        None => matching::select(config, &target)?,
    };
    match verb {
        "get" => match chosen {
            Some((name, profile)) => {
                let want = Want {
                    min_valid: MIN_VALID,
                    refresh: false,
                };
                let token = broker::token(cache, name, profile, want)?;
                let text = serde_json::json!({ "token": token.access_token.expose() }).to_string();
                write_secret(out, text + "\n")
            }
            // `{}` means "definitely no credentials": terraform goes on without.
            None => write(out, "{}\n"),
        },
        "store" => {
            // The protocol: read all of stdin, even when refusing.
            let mut raw = read_input(input, "terraform's credentials")?;
            let is_object = serde_json::from_slice::<serde_json::Value>(&raw)
                .map(|v| v.is_object())
                .unwrap_or(false);
            zeroize::Zeroize::zeroize(&mut raw);
            if !is_object {
                return Err(Error::usage(
                    "terraform's credentials are not a JSON object",
                ));
            }
            match chosen {
                Some((name, _)) => {
                    eprintln!(
                        "tokex: {name}: terraform login for {host} noted; tokex mints this host's tokens itself and did not keep the token"
                    );
                    Ok(())
                }
                None => Err(Error::usage(format!(
                    "no tokex profile matches {host}; tokex keeps no tokens of its own (add the host to a profile's `match`)"
                ))),
            }
        }
        _ => {
            if let Some((name, profile)) = chosen {
                broker::forget(cache, name, profile, None)?;
            }
            Ok(())
        }
    }
}

/// Terraform sends a bare host name, with a port when the service has one.
fn parse_host(host: &str) -> Result<Target> {
    if host.is_empty() || host.contains(['/', '@']) || host.trim() != host {
        return Err(Error::usage(format!(
            "{:?} is not a host name (terraform sends `example.com` or `example.com:8443`)",
            host.chars().take(100).collect::<String>()
        )));
    }
    Target::parse(host)
}

/// The `external` data source: `query = { profile = "NAME" }` arrives as a JSON object of strings
/// on stdin; the answer is a JSON object of strings.
pub fn external(
    config: &Config,
    cache: &Cache,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<()> {
    let raw = read_input(input, "the external data source's query")?;
    let query: BTreeMap<String, String> = serde_json::from_slice(&raw).map_err(|_| {
        Error::usage(
            "the query on stdin must be a JSON object of strings, e.g. {\"profile\":\"acme-vcd\"}",
        )
    })?;
    let mut want = Want {
        min_valid: MIN_VALID,
        refresh: false,
    };
    let mut name = None;
    for (key, value) in &query {
        match key.as_str() {
            "profile" => name = Some(value.as_str()),
            "min_valid" => {
                want.min_valid = crate::cli::parse_duration(value)
                    .map_err(|e| Error::usage(format!("query `min_valid`: {e}")))?
            }
            other => {
                return Err(Error::usage(format!(
                    "query key `{}` is not known (use profile, min_valid)",
                    other.chars().take(40).collect::<String>()
                )));
            }
        }
    }
    let name = name.ok_or_else(|| Error::usage("the query has no `profile`"))?;
    let token = broker::token(cache, name, config.get(name)?, want)?;
    let mut text = serde_json::json!({
        "token": token.access_token.expose(),
        "token_type": token.scheme(),
        "expires_at": rfc3339(token.reported_expiry()),
    })
    .to_string();
    text.push('\n');
    write_secret(out, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(
            std::path::Path::new("t.toml"),
            "[profiles.tf]\nprovider = \"vmware-csp\"\nmatch = [\"app.example.com\"]\n",
        )
        .unwrap()
    }

    fn go(verb: &str, host: Option<&str>, input: &str) -> (Result<()>, String) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let mut out = Vec::new();
        let r = run(
            verb,
            host,
            None,
            &config(),
            &cache,
            &mut input.as_bytes(),
            &mut out,
        );
        (r, String::from_utf8(out).unwrap())
    }

    #[test]
    fn no_match_is_an_empty_object_and_forget_always_succeeds() {
        let (r, out) = go("get", Some("other.example.com"), "");
        assert!(r.is_ok());
        assert_eq!(out, "{}\n");
        assert!(go("forget", Some("app.example.com"), "").0.is_ok());
        assert!(go("forget", Some("other.example.com"), "").0.is_ok());
        assert!(
            go("store", Some("app.example.com"), r#"{"token":"t"}"#)
                .0
                .is_ok()
        );
    }

    #[test]
    fn bad_requests_are_errors() {
        for (verb, host, input, want) in [
            (
                "get",
                Some("https://app.example.com"),
                "",
                "is not a host name",
            ),
            ("get", Some(""), "", "is not a host name"),
            ("get", None, "", "needs a HOST"),
            ("frob", Some("h"), "", "unknown verb `frob`"),
            ("store", Some("app.example.com"), "tok", "not a JSON object"),
            (
                "store",
                Some("other.example.com"),
                "{}",
                "no tokex profile matches",
            ),
        ] {
            let e = go(verb, host, input).0.unwrap_err().to_string();
            assert!(e.contains(want), "{verb} {host:?}: {e}");
        }
    }

    #[test]
    fn external_query_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        for (input, want) in [
            ("[]", "JSON object of strings"),
            (r#"{"profile":1}"#, "JSON object of strings"),
            (r#"{"profle":"tf"}"#, "query key `profle` is not known"),
            (r#"{}"#, "no `profile`"),
            (r#"{"profile":"nope"}"#, "nope"),
        ] {
            let e = external(&config(), &cache, &mut input.as_bytes(), &mut Vec::new())
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{input}: {e}");
        }
    }
}

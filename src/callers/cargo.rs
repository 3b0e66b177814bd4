//! Cargo credential provider (`cargo-credential-tokex`, run by cargo as `PATH --cargo-plugin`).
//!
//! One JSON object per line: tokex says hello (`{"v":[1]}`), then answers each request cargo
//! sends until cargo closes stdin. `get` for a registry whose index URL a profile matches
//! answers the token with its expiry; for other registries `url-not-supported`, so cargo asks
//! its next provider. `login` stores the registry's secret (checked by a real exchange first),
//! `logout` deletes it.

use super::write;
use crate::broker::{self, Want};
use crate::cache::Cache;
use crate::config::{CargoAuth, Config, Profile};
use crate::error::{Error, Result};
use crate::matching::{self, Target};
use crate::secrets::{self, Source};
use crate::sensitive::Secret;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::{BufRead, Write};

/// A request is a few hundred bytes; the 401's headers may add some.
const MAX_LINE: u64 = 1024 * 1024;

#[derive(Deserialize)]
struct Request {
    v: u32,
    registry: Registry,
    kind: String,
    #[serde(default)]
    token: Option<String>,
}

#[derive(Deserialize)]
struct Registry {
    #[serde(rename = "index-url")]
    index_url: String,
}

pub fn run(
    config: &Config,
    cache: &Cache,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    write(out, "{\"v\":[1]}\n")?;
    for _ in 0..1000 {
        let mut line = Vec::new();
        let n = std::io::Read::take(&mut *input, MAX_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::op(format!("reading cargo's request: {e}")))?;
        if n == 0 {
            return Ok(()); // cargo closed stdin: done
        }
        let mut answer = answer(config, cache, &line).to_string();
        zeroize::Zeroize::zeroize(&mut line);
        answer.push('\n');
        super::write_secret(out, answer)?;
    }
    Ok(())
}

/// The `{"Ok":…}` or `{"Err":…}` line for one request.
fn answer(config: &Config, cache: &Cache, line: &[u8]) -> Value {
    let req: Request = match serde_json::from_slice(line) {
        Ok(r) => r,
        Err(_) => return other("cargo's request is not the JSON tokex expects"),
    };
    if req.v != 1 {
        return other(&format!(
            "protocol version {} is not supported (tokex speaks 1)",
            req.v
        ));
    }
    let index = req.registry.index_url.trim_start_matches("sparse+");
    let chosen = match Target::parse(index).and_then(|t| matching::select(config, &t)) {
        Ok(Some(c)) => c,
        Ok(None) => return err("url-not-supported"),
        Err(e) => return other(&e.to_string()),
    };
    let (name, profile) = chosen;
    let result = match req.kind.as_str() {
        "get" => get(cache, name, profile),
        "login" => login(cache, name, profile, req.token.map(Secret::new)),
        "logout" => logout(cache, name, profile),
        _ => return err("operation-not-supported"),
    };
    result.unwrap_or_else(|e| {
        // No secret yet is "not found": cargo may try its next provider.
        let missing = matches!(Source::of(profile), Source::Store)
            && secrets::store_has(name).ok() == Some(false)
            && req.kind == "get";
        if missing {
            err("not-found")
        } else {
            other(&e.to_string())
        }
    })
}

fn get(cache: &Cache, name: &str, profile: &Profile) -> Result<Value> {
    // cargo reuses a token while `now + 1 minute < expiration`; keep a margin beyond that.
    let token = broker::token(
        cache,
        name,
        profile,
        Want {
            min_valid: time::Duration::minutes(5),
            refresh: false,
        },
    )?;
    let value = match profile.cargo_auth.unwrap_or(CargoAuth::Bearer) {
        CargoAuth::Bearer => format!("{} {}", token.scheme(), token.access_token.expose()),
        CargoAuth::Raw => token.access_token.expose().to_string(),
    };
    Ok(json!({"Ok": {
        "kind": "get",
        "token": value,
        "cache": "expires",
        "expiration": token.reported_expiry().unix_timestamp(),
        "operation_independent": true,
    }}))
}

fn login(cache: &Cache, name: &str, profile: &Profile, token: Option<Secret>) -> Result<Value> {
    if !matches!(Source::of(profile), Source::Store) {
        return Err(Error::usage(format!(
            "profile {name} reads its secret from {}; there is nothing for cargo login to store",
            Source::of(profile)
        )));
    }
    let secret = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::usage("cargo passed no token: run `cargo login --registry NAME` and paste the long-lived secret"))?;
    // Checked with a real exchange first, as `tokex login` does; a rotating server's new
    // refresh token is what gets stored.
    let mut verified = broker::exchange_with(name, profile, &secret)?;
    let stored = match verified.refresh_token.take() {
        Some(rotated) if crate::providers::rotates(profile) => rotated,
        _ => secret,
    };
    secrets::write(name, profile, &stored)?;
    cache.remove(name)?;
    cache.write(name, &crate::cache::key(name, profile), &verified);
    Ok(json!({"Ok": {"kind": "login"}}))
}

fn logout(cache: &Cache, name: &str, profile: &Profile) -> Result<Value> {
    cache.remove(name)?;
    if matches!(Source::of(profile), Source::Store) && !secrets::store_delete(name)? {
        return Ok(err("not-found"));
    }
    Ok(json!({"Ok": {"kind": "logout"}}))
}

fn err(kind: &str) -> Value {
    json!({"Err": {"kind": kind}})
}

fn other(message: &str) -> Value {
    json!({"Err": {"kind": "other", "message": format!("tokex: {message}")}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(input: &str) -> Vec<Value> {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse(
            std::path::Path::new("t.toml"),
            "[profiles.reg]\nprovider = \"vmware-csp\"\nmatch = [\"https://crates.example.com/index/\"]\nsecret_env = \"TOKEX_TEST_UNSET_VAR\"\n",
        )
        .unwrap();
        let mut out = Vec::new();
        run(
            &config,
            &Cache::at(dir.path()),
            &mut input.as_bytes(),
            &mut out,
        )
        .unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn hello_then_one_answer_per_request() {
        let lines = session(concat!(
            r#"{"v":1,"registry":{"index-url":"sparse+https://other.example.com/index/"},"kind":"get","operation":"read"}"#,
            "\n",
            "garbage\n",
            r#"{"v":2,"registry":{"index-url":"x"},"kind":"get"}"#,
            "\n",
            r#"{"v":1,"registry":{"index-url":"sparse+https://crates.example.com/index/"},"kind":"frob"}"#,
            "\n",
        ));
        assert_eq!(lines[0], json!({"v": [1]}));
        assert_eq!(lines[1], json!({"Err": {"kind": "url-not-supported"}}));
        assert_eq!(lines[2]["Err"]["kind"], "other");
        assert!(
            lines[3]["Err"]["message"]
                .as_str()
                .unwrap()
                .contains("version 2")
        );
        assert_eq!(
            lines[4],
            json!({"Err": {"kind": "operation-not-supported"}})
        );
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn a_matched_registry_s_failure_is_other_with_the_reason() {
        let lines = session(concat!(
            r#"{"v":1,"registry":{"index-url":"sparse+https://crates.example.com/index/"},"kind":"get","operation":"read"}"#,
            "\n"
        ));
        assert_eq!(lines[1]["Err"]["kind"], "other");
        assert!(
            lines[1]["Err"]["message"]
                .as_str()
                .unwrap()
                .contains("TOKEX_TEST_UNSET_VAR")
        );
    }
}

//! Cargo credential provider (`cargo-credential-tokex`, run by cargo as `PATH --cargo-plugin`).
//!
//! One JSON object per line: tokex says hello (`{"v":[1]}`), then answers each request cargo
//! sends until cargo closes stdin. `get` for a registry whose index URL a profile matches
//! answers the token with its expiry; for other registries `url-not-supported`, so cargo asks
//! its next provider. `login` stores the registry's secret (checked by a real exchange first),
//! `logout` deletes it. The messages are cargo-credential's, typed here.

use super::{json_line, write};
use crate::broker::{Accounts, Chosen, SecretGone, Tokens, Want};
use crate::config::CargoAuth;
use crate::error::{Error, Result};
use crate::matching::Target;
use crate::sensitive::Secret;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

/// A request is a few hundred bytes; the 401's headers may add some.
const MAX_LINE: u64 = 1024 * 1024;
/// cargo reuses a token while `now + 1 minute < expiration`; keep a margin beyond that.
const MIN_VALID: time::Duration = time::Duration::minutes(5);

#[derive(Serialize)]
struct Hello {
    v: [u32; 1],
}

#[derive(Deserialize)]
pub struct Request {
    v: u32,
    registry: Registry,
    #[serde(flatten)]
    action: Action,
}

#[derive(Deserialize)]
struct Registry {
    #[serde(rename = "index-url")]
    index_url: String,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Action {
    Get,
    Login {
        #[serde(default)]
        token: Option<String>,
    },
    Logout,
    #[serde(other)]
    Unknown,
}

/// `{"Ok": …}` or `{"Err": …}`.
#[derive(Serialize)]
enum Reply {
    Ok(Success),
    Err(Failure),
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Success {
    Get {
        token: Secret,
        cache: &'static str,
        expiration: i64,
        operation_independent: bool,
    },
    Login,
    Logout,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Failure {
    UrlNotSupported,
    NotFound,
    OperationNotSupported,
    Other { message: String },
}

pub fn serve(tokens: &dyn Tokens, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    write(out, &json_line(&Hello { v: [1] })?)?;
    for _ in 0..1000 {
        let mut line = Vec::new();
        let n = std::io::Read::take(&mut *input, MAX_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::op(format!("reading cargo's request: {e}")))?;
        if n == 0 {
            return Ok(()); // cargo closed stdin: done
        }
        let reply = answer(tokens, &line);
        zeroize::Zeroize::zeroize(&mut line);
        super::write_secret(out, json_line(&reply)?)?;
    }
    Ok(())
}

fn answer(tokens: &dyn Tokens, line: &[u8]) -> Reply {
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
    let chosen = Target::parse(index).and_then(|t| tokens.choose(None, &|| Ok(t.clone())));
    let profile = match chosen {
        Ok(Some(profile)) => profile,
        Ok(None) => return Reply::Err(Failure::UrlNotSupported),
        Err(e) => return other(&e.to_string()),
    };
    let name = profile.name.as_str();
    let result = match req.action {
        Action::Get => get(tokens, &profile),
        Action::Login { token } => {
            accounts(tokens).and_then(|a| login(a, name, token.map(Secret::new)))
        }
        Action::Logout => accounts(tokens).and_then(|a| logout(a, name)),
        Action::Unknown => return Reply::Err(Failure::OperationNotSupported),
    };
    match result {
        Ok(reply) => reply,
        // No secret yet is "not found": cargo may try its next provider.
        Err(e) if e.is_not_found() => Reply::Err(Failure::NotFound),
        Err(e) => other(&e.to_string()),
    }
}

fn get(tokens: &dyn Tokens, profile: &Chosen) -> Result<Reply> {
    let issued = tokens.token(&profile.name, Want::lasting(MIN_VALID))?;
    let token = match profile.cargo_auth.unwrap_or(CargoAuth::Bearer) {
        CargoAuth::Bearer => issued.authorization(),
        CargoAuth::Raw => issued.access_token().to_string(),
    };
    Ok(Reply::Ok(Success::Get {
        token: Secret::new(token),
        cache: "expires",
        expiration: issued.token.reported_expiry().unix_timestamp(),
        operation_independent: true,
    }))
}

fn login(tokens: &dyn Accounts, name: &str, token: Option<Secret>) -> Result<Reply> {
    let secret = token.filter(|t| !t.is_empty()).ok_or_else(|| {
        Error::usage(
            "cargo passed no token: run `cargo login --registry NAME` and paste the long-lived secret",
        )
    })?;
    tokens.login(name, secret, true)?;
    Ok(Reply::Ok(Success::Login))
}

fn logout(tokens: &dyn Accounts, name: &str) -> Result<Reply> {
    Ok(match tokens.logout(name, true)?.secret {
        SecretGone::NothingStored => Reply::Err(Failure::NotFound),
        SecretGone::Deleted | SecretGone::LeftAlone | SecretGone::Keyless => {
            Reply::Ok(Success::Logout)
        }
    })
}

/// An agent's client has no store: a secret is stored where the agent runs.
fn accounts(tokens: &dyn Tokens) -> Result<&dyn Accounts> {
    tokens.accounts().ok_or_else(|| {
        Error::usage(
            "TOKEX_AGENT is set: log in and out on the agent's machine (`tokex login NAME` there)",
        )
    })
}

fn other(message: &str) -> Reply {
    Reply::Err(Failure::Other {
        message: format!("tokex: {message}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callers::fake::Fake;

    const CONFIG: &str = "[profiles.reg]\nprovider = \"vcd\"\nurl = \"https://vcd.example.com\"\ntenant = \"t\"\nmatch = [\"https://crates.example.com/index/\"]\n";

    fn session(fake: &Fake, input: &str) -> Vec<String> {
        let mut out = Vec::new();
        serve(fake, &mut input.as_bytes(), &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn request(index: &str, rest: &str) -> String {
        format!("{{\"v\":1,\"registry\":{{\"index-url\":\"{index}\",\"name\":\"r\"}},{rest}}}\n")
    }

    const MINE: &str = "sparse+https://crates.example.com/index/";

    #[test]
    fn exact_lines_for_every_answer() {
        let fake = Fake::new(CONFIG);
        let input = [
            request(MINE, r#""kind":"get","operation":"read","future":1"#),
            request("sparse+https://other.example.com/index/", r#""kind":"get""#),
            "garbage\n".to_string(),
            r#"{"v":2,"registry":{"index-url":"x"},"kind":"get"}"#.to_string() + "\n",
            request(MINE, r#""kind":"frob""#),
            request(MINE, r#""kind":"login""#),
        ]
        .concat();
        assert_eq!(
            session(&fake, &input),
            [
                r#"{"v":[1]}"#,
                r#"{"Ok":{"kind":"get","token":"Bearer tok","cache":"expires","expiration":1795431540,"operation_independent":true}}"#,
                r#"{"Err":{"kind":"url-not-supported"}}"#,
                r#"{"Err":{"kind":"other","message":"tokex: cargo's request is not the JSON tokex expects"}}"#,
                r#"{"Err":{"kind":"other","message":"tokex: protocol version 2 is not supported (tokex speaks 1)"}}"#,
                r#"{"Err":{"kind":"operation-not-supported"}}"#,
                r#"{"Err":{"kind":"other","message":"tokex: cargo passed no token: run `cargo login --registry NAME` and paste the long-lived secret"}}"#,
            ]
        );
        assert_eq!(fake.asked(), ["token reg 300"]);
    }

    #[test]
    fn no_secret_yet_is_not_found_and_raw_auth_is_the_bare_token() {
        let mut fake = Fake::new(CONFIG);
        fake.token = None;
        let lines = session(&fake, &request(MINE, r#""kind":"get""#));
        assert_eq!(lines[1], r#"{"Err":{"kind":"not-found"}}"#);
        let raw = Fake::new(&format!("{CONFIG}cargo_auth = \"raw\"\n"));
        let lines = session(&raw, &request(MINE, r#""kind":"get""#));
        assert!(lines[1].contains(r#""token":"tok""#), "{}", lines[1]);
    }
}

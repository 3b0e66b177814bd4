//! Terraform's credentials helper (`terraform-credentials-tokex get|store|forget HOST`, which
//! terraform looks for only in `~/.terraform.d/plugins`).
//!
//! Terraform asks its helper once per host per run and keeps the answer for the whole run,
//! however long an apply takes, so the token handed out must outlast a run: [`MIN_VALID`].

use super::{clip, json_line, read_input, write, write_secret};
use crate::broker::{Tokens, Want};
use crate::error::{Error, Result};
use crate::matching::Target;
use serde::Serialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;
use std::io::{Read, Write};

pub const MIN_VALID: time::Duration = time::Duration::minutes(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Store,
    Forget,
}

impl Verb {
    /// Terraform's protocol has three verbs; anything else is a mistake worth a message.
    pub fn parse(verb: &str) -> Result<Verb> {
        match verb {
            "get" => Ok(Verb::Get),
            "store" => Ok(Verb::Store),
            "forget" => Ok(Verb::Forget),
            other => Err(Error::usage(format!(
                "unknown verb `{}` (terraform sends get, store or forget)",
                clip(other)
            ))),
        }
    }
}

/// `get`'s answer: the token, or `{}` for "definitely no credentials" (terraform goes on).
#[derive(Serialize)]
#[serde(untagged)]
enum Answer<'a> {
    Token { token: &'a str },
    None {},
}

pub fn serve(
    verb: Verb,
    host: &str,
    profile: Option<&str>,
    tokens: &dyn Tokens,
    input: &mut dyn Read,
    out: &mut dyn Write,
    notes: &mut dyn Write,
) -> Result<()> {
    let target = parse_host(host)?;
    let chosen = tokens
        .choose(profile, &|| Ok(target.clone()))?
        .map(|c| c.name);
    match verb {
        Verb::Get => match chosen {
            Some(name) => {
                let issued = tokens.token(&name, Want::lasting(MIN_VALID))?;
                let answer = Answer::Token {
                    token: issued.access_token(),
                };
                write_secret(out, json_line(&answer)?)
            }
            None => write(out, &json_line(&Answer::None {})?),
        },
        Verb::Store => {
            // The protocol: read all of stdin, even when refusing.
            let mut raw = read_input(input, "terraform's credentials")?;
            let is_object = serde_json::from_slice::<BTreeMap<String, IgnoredAny>>(&raw).is_ok();
            zeroize::Zeroize::zeroize(&mut raw);
            if !is_object {
                return Err(Error::usage(
                    "terraform's credentials are not a JSON object",
                ));
            }
            match chosen {
                Some(name) => {
                    // A note the user may miss costs nothing: the login itself succeeded.
                    let _ = writeln!(
                        notes,
                        "tokex: {name}: terraform login for {host} noted; tokex mints this host's tokens itself and did not keep the token"
                    );
                    Ok(())
                }
                None => Err(Error::usage(format!(
                    "no tokex profile matches {host}; tokex keeps no tokens of its own (add the host to a profile's `match`)"
                ))),
            }
        }
        Verb::Forget => {
            if let Some(name) = chosen {
                tokens.forget(&name, None)?;
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
            crate::printable::printable(host, crate::printable::SHORT)
        )));
    }
    Target::parse(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callers::fake::Fake;

    const CONFIG: &str =
        "[profiles.tf]\nprovider = \"vmware-csp\"\nmatch = [\"app.example.com\"]\n";

    fn go(fake: &Fake, verb: &str, host: &str, input: &str) -> (Result<()>, String) {
        let (r, out, _) = go_noting(fake, verb, host, input);
        (r, out)
    }

    /// Also what was said on the notes stream (stderr).
    fn go_noting(fake: &Fake, verb: &str, host: &str, input: &str) -> (Result<()>, String, String) {
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        let r = Verb::parse(verb).and_then(|v| {
            serve(
                v,
                host,
                None,
                fake,
                &mut input.as_bytes(),
                &mut out,
                &mut notes,
            )
        });
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (r, text(out), text(notes))
    }

    #[test]
    fn get_answers_the_exact_json_with_ten_minutes_left_at_least() {
        let fake = Fake::new(CONFIG);
        let (r, out) = go(&fake, "get", "app.example.com", "");
        assert!(r.is_ok());
        assert_eq!(out, "{\"token\":\"tok\"}\n");
        assert_eq!(fake.asked(), ["token tf 600"]);
    }

    #[test]
    fn no_match_is_an_empty_object_and_forget_always_succeeds() {
        let fake = Fake::new(CONFIG);
        let (r, out) = go(&fake, "get", "other.example.com", "");
        assert!(r.is_ok());
        assert_eq!(out, "{}\n");
        assert!(go(&fake, "forget", "app.example.com", "").0.is_ok());
        assert!(go(&fake, "forget", "other.example.com", "").0.is_ok());
        let (r, out, notes) = go_noting(&fake, "store", "app.example.com", r#"{"token":"t"}"#);
        assert!(r.is_ok());
        assert_eq!(out, "");
        assert_eq!(
            notes,
            "tokex: tf: terraform login for app.example.com noted; tokex mints this host's tokens itself and did not keep the token\n"
        );
        assert_eq!(fake.asked(), ["forget tf -"]);
    }

    #[test]
    fn bad_requests_are_errors() {
        let fake = Fake::new(CONFIG);
        for (verb, host, input, want) in [
            ("get", "https://app.example.com", "", "is not a host name"),
            ("get", "", "", "is not a host name"),
            ("frob", "h", "", "unknown verb `frob`"),
            ("store", "app.example.com", "tok", "not a JSON object"),
            (
                "store",
                "other.example.com",
                "{}",
                "no tokex profile matches",
            ),
        ] {
            let e = go(&fake, verb, host, input).0.unwrap_err().to_string();
            assert!(e.contains(want), "{verb} {host:?}: {e}");
        }
    }
}

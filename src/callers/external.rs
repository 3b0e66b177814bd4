//! Terraform's `external` data source (`program = ["tokex", "external"]`): the query arrives as
//! a JSON object of strings on stdin; the answer is a JSON object of strings.

use super::{clip, json_line, read_input, write_secret};
use crate::broker::{Tokens, Want};
use crate::callers::terraform::MIN_VALID;
use crate::error::{Error, Result};
use crate::token::rfc3339;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{Read, Write};

struct Query {
    profile: String,
    min_valid: time::Duration,
}

impl Query {
    fn parse(raw: &[u8]) -> Result<Query> {
        let fields: BTreeMap<String, String> = serde_json::from_slice(raw).map_err(|_| {
            Error::usage(
                "the query on stdin must be a JSON object of strings, e.g. {\"profile\":\"acme-vcd\"}",
            )
        })?;
        let mut profile = None;
        let mut min_valid = MIN_VALID;
        for (key, value) in fields {
            match key.as_str() {
                "profile" => profile = Some(value),
                "min_valid" => {
                    min_valid = crate::duration::parse(&value)
                        .map_err(|e| Error::usage(format!("query `min_valid`: {e}")))?
                }
                other => {
                    return Err(Error::usage(format!(
                        "query key `{}` is not known (use profile, min_valid)",
                        clip(other)
                    )));
                }
            }
        }
        let profile = profile.ok_or_else(|| Error::usage("the query has no `profile`"))?;
        Ok(Query { profile, min_valid })
    }
}

#[derive(Serialize)]
struct Answer<'a> {
    token: &'a str,
    token_type: &'a str,
    expires_at: String,
}

pub fn serve(tokens: &dyn Tokens, input: &mut dyn Read, out: &mut dyn Write) -> Result<()> {
    let raw = read_input(input, "the external data source's query")?;
    let query = Query::parse(&raw)?;
    let issued = tokens.token(&query.profile, Want::lasting(query.min_valid))?;
    let answer = Answer {
        token: issued.access_token(),
        token_type: issued.token.scheme(),
        expires_at: rfc3339(issued.token.reported_expiry()),
    };
    write_secret(out, json_line(&answer)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callers::fake::Fake;

    const CONFIG: &str = "[profiles.tf]\nprovider = \"vmware-csp\"\n";

    fn run(fake: &Fake, input: &str) -> Result<String> {
        let mut out = Vec::new();
        serve(fake, &mut input.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn exact_answer_and_min_valid() {
        let fake = Fake::new(CONFIG);
        assert_eq!(
            run(&fake, r#"{"profile":"tf","min_valid":"30m"}"#).unwrap(),
            "{\"token\":\"tok\",\"token_type\":\"Bearer\",\"expires_at\":\"2026-11-23T10:59:00Z\"}\n"
        );
        assert_eq!(fake.asked(), ["token tf 1800"]);
    }

    #[test]
    fn the_query_is_checked() {
        let fake = Fake::new(CONFIG);
        for (input, want) in [
            ("[]", "JSON object of strings"),
            (r#"{"profile":1}"#, "JSON object of strings"),
            (r#"{"profle":"tf"}"#, "query key `profle` is not known"),
            (r#"{}"#, "no `profile`"),
            (r#"{"profile":"nope"}"#, "nope"),
            (
                r#"{"profile":"tf","min_valid":"2562047788015216h"}"#,
                "400 days",
            ),
        ] {
            let e = run(&fake, input).unwrap_err().to_string();
            assert!(e.contains(want), "{input}: {e}");
        }
    }
}

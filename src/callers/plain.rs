//! `tokex token`: the token for scripts and `token_command`-style hooks, as a bare line, an HTTP
//! header, JSON, or shell variable assignments.

use crate::token::{Token, rfc3339};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The token and a newline, nothing else.
    Bare,
    /// `Authorization: Bearer …` (`csp-auth-token: …` for vmware-csp).
    Header,
    /// `{"access_token","token_type","expires_at","expires_in"}`.
    Json,
    /// `export TOKEX_TOKEN='…'` lines for `eval`.
    Env,
}

#[derive(Serialize)]
struct Json<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_at: String,
    expires_in: i64,
}

pub fn render(format: Format, token: &Token, header: &str, now: OffsetDateTime) -> String {
    let value = token.access_token.expose();
    match format {
        Format::Bare => format!("{value}\n"),
        Format::Header if header.eq_ignore_ascii_case("authorization") => {
            format!("Authorization: {} {value}\n", token.scheme())
        }
        Format::Header => format!("{header}: {value}\n"),
        Format::Json => {
            let j = Json {
                access_token: value,
                token_type: token.scheme(),
                expires_at: rfc3339(token.reported_expiry()),
                expires_in: token.reported_expires_in(now),
            };
            let mut s = serde_json::to_string(&j).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Env => format!(
            "export TOKEX_TOKEN={}\nexport TOKEX_TOKEN_TYPE={}\nexport TOKEX_TOKEN_EXPIRES_AT={}\n",
            shell_quote(value),
            shell_quote(token.scheme()),
            shell_quote(&rfc3339(token.reported_expiry()))
        ),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn t() -> Token {
        Token::sample("abc.def", time::Duration::hours(1))
    }

    #[test]
    fn every_format_exactly() {
        let now = datetime!(2026-11-23 10:00:00 UTC);
        assert_eq!(
            render(Format::Bare, &t(), "Authorization", now),
            "abc.def\n"
        );
        assert_eq!(
            render(Format::Header, &t(), "Authorization", now),
            "Authorization: Bearer abc.def\n"
        );
        assert_eq!(
            render(Format::Header, &t(), "csp-auth-token", now),
            "csp-auth-token: abc.def\n"
        );
        assert_eq!(
            render(Format::Json, &t(), "Authorization", now),
            "{\"access_token\":\"abc.def\",\"token_type\":\"Bearer\",\"expires_at\":\"2026-11-23T10:59:00Z\",\"expires_in\":3540}\n"
        );
        assert_eq!(
            render(Format::Env, &t(), "Authorization", now),
            "export TOKEX_TOKEN='abc.def'\nexport TOKEX_TOKEN_TYPE='Bearer'\nexport TOKEX_TOKEN_EXPIRES_AT='2026-11-23T10:59:00Z'\n"
        );
    }

    #[test]
    fn env_quoting_is_eval_safe() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}

//! `tokex token`: the token for scripts and `token_command`-style hooks, as a bare line, an HTTP
//! header or its value (pnpm's `tokenHelper`), JSON, or shell variable assignments.

use super::{json_line, write_secret};
use crate::broker::{Issued, Tokens, Want};
use crate::error::Result;
use crate::token::rfc3339;
use serde::Serialize;
use std::io::Write;
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
    /// `Bearer …`: an Authorization header's value, as pnpm's `tokenHelper` wants it (old pnpm
    /// sends the helper's output as is; new pnpm adds `Bearer ` only when no scheme is there).
    Bearer,
}

#[derive(Serialize)]
struct Json<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_at: String,
    expires_in: i64,
}

/// `tokex token NAME`.
pub fn serve(
    format: Format,
    name: &str,
    want: Want,
    tokens: &dyn Tokens,
    out: &mut dyn Write,
) -> Result<()> {
    let issued = tokens.token(name, want)?;
    write_secret(out, render(format, &issued, OffsetDateTime::now_utc())?)
}

pub fn render(format: Format, issued: &Issued, now: OffsetDateTime) -> Result<String> {
    let token = &issued.token;
    let value = token.access_token.expose();
    Ok(match format {
        Format::Bare => format!("{value}\n"),
        Format::Header => {
            let mut header = issued.header_value();
            let line = format!("{}: {header}\n", issued.header_name());
            zeroize::Zeroize::zeroize(&mut header);
            line
        }
        Format::Bearer => format!("Bearer {value}\n"),
        Format::Json => json_line(&Json {
            access_token: value,
            token_type: token.scheme(),
            expires_at: rfc3339(token.reported_expiry()),
            expires_in: token.reported_expires_in(now),
        })?,
        Format::Env => format!(
            "export TOKEX_TOKEN={}\nexport TOKEX_TOKEN_TYPE={}\nexport TOKEX_TOKEN_EXPIRES_AT={}\n",
            shell_quote(value),
            shell_quote(token.scheme()),
            shell_quote(&rfc3339(token.reported_expiry()))
        ),
    })
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Profile, ProviderId};
    use crate::token::Token;
    use time::macros::datetime;

    fn t(provider: ProviderId) -> Issued {
        let token = Token::sample("abc.def", time::Duration::hours(1));
        Issued::new(&Profile::sample(provider), token)
    }

    #[test]
    fn every_format_exactly() {
        let now = datetime!(2026-11-23 10:00:00 UTC);
        let vcd = t(ProviderId::Vcd);
        let r = |f| render(f, &vcd, now).unwrap();
        assert_eq!(r(Format::Bare), "abc.def\n");
        assert_eq!(r(Format::Header), "Authorization: Bearer abc.def\n");
        assert_eq!(r(Format::Bearer), "Bearer abc.def\n");
        assert_eq!(
            render(Format::Header, &t(ProviderId::VmwareCsp), now).unwrap(),
            "csp-auth-token: abc.def\n"
        );
        assert_eq!(
            r(Format::Json),
            "{\"access_token\":\"abc.def\",\"token_type\":\"Bearer\",\"expires_at\":\"2026-11-23T10:59:00Z\",\"expires_in\":3540}\n"
        );
        assert_eq!(
            r(Format::Env),
            "export TOKEX_TOKEN='abc.def'\nexport TOKEX_TOKEN_TYPE='Bearer'\nexport TOKEX_TOKEN_EXPIRES_AT='2026-11-23T10:59:00Z'\n"
        );
    }

    #[test]
    fn env_quoting_is_eval_safe() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}

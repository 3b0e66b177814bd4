//! pip's and uv's `keyring` subprocess provider: an executable named `keyring` on PATH, run as
//! Python keyring's command line. tokex answers `get`, with the token of the profile whose
//! `match` fits the index URL or `host[:port]` (pip and uv try both, in that order), and refuses
//! `set` and `del`.
//!
//! What each tool runs (pip/_internal/network/auth.py `KeyRingCliProvider` in pip 26, uv's
//! `uv-auth` `keyring.rs` in 0.13):
//! - pip: `keyring --mode=creds --output=json get SERVICE [USERNAME]`, reading
//!   `{"username": …, "password": …}`;
//! - uv with a username: `keyring get SERVICE USERNAME`, reading the password's line;
//! - uv without one: `keyring get SERVICE --mode creds`, reading two lines, user then password.
//!
//! These are Python keyring's outputs (keyring/cli.py): `--mode password` is the password alone,
//! `--mode creds` adds the user; `--output json` is the same fields as an object. No profile
//! matches: nothing on stdout, exit 1, as keyring does when it has no credential.

use super::{clip, json_line, write_secret};
use crate::broker::{Tokens, Want};
use crate::error::{Error, Result};
use crate::matching::Target;
use serde::Serialize;
use std::io::Write;

/// The user name reported with a token when neither pip or uv nor the profile names one: the
/// name package indexes conventionally take with an API token (PyPI, Artifactory, GitLab).
pub const TOKEN_USERNAME: &str = "__token__";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Get,
    Set,
    Del,
}

impl Op {
    pub fn parse(op: &str) -> Result<Op> {
        match op {
            "get" => Ok(Op::Get),
            "set" => Ok(Op::Set),
            "del" => Ok(Op::Del),
            other => Err(Error::usage(format!(
                "unknown operation `{}` (keyring's are get, set and del)",
                clip(other)
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The token alone.
    Password,
    /// The user name and the token.
    Creds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// One value per line.
    Plain,
    /// One JSON object.
    Json,
}

#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub op: Op,
    pub service: &'a str,
    pub username: Option<&'a str>,
    pub mode: Mode,
    pub output: Output,
}

#[derive(Serialize)]
struct Answer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    password: &'a str,
}

pub fn serve(req: Request, tokens: &dyn Tokens, out: &mut dyn Write) -> Result<()> {
    if req.op != Op::Get {
        return Err(Error::op(
            "tokex makes these tokens from a profile's secret and stores nothing given here: use `tokex login NAME` or `tokex logout NAME`",
        ));
    }
    let target = Target::parse(req.service)?.for_user(req.username);
    let Some(chosen) = tokens.choose(None, &|| Ok(target.clone()))? else {
        // keyring's "no such credential": the tool goes on without one, and says nothing of ours.
        return Err(Error::op("no profile matches").reported());
    };
    let issued = tokens.token(&chosen.name, Want::default())?;
    let password = issued.token.access_token.expose();
    let username = match req.mode {
        Mode::Password => None,
        Mode::Creds => Some(
            req.username
                .or(chosen.username.as_deref())
                .unwrap_or(TOKEN_USERNAME),
        ),
    };
    let text = match req.output {
        Output::Json => json_line(&Answer { username, password })?,
        Output::Plain => match username {
            Some(user) => format!("{user}\n{password}\n"),
            None => format!("{password}\n"),
        },
    };
    write_secret(out, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callers::fake::Fake;

    const CONFIG: &str = "[profiles.pypi]\nprovider = \"vmware-csp\"\nmatch = [\"https://pkgs.example.com/simple\"]\n\n[profiles.robot]\nprovider = \"vmware-csp\"\nmatch = [\"pkgs.example.com:8443\"]\nusername = \"robot\"\n";

    fn go(
        fake: &Fake,
        op: &str,
        service: &str,
        user: Option<&str>,
        mode: Mode,
        output: Output,
    ) -> (Result<()>, String) {
        let mut out = Vec::new();
        let r = Op::parse(op).and_then(|op| {
            let req = Request {
                op,
                service,
                username: user,
                mode,
                output,
            };
            serve(req, fake, &mut out)
        });
        (r, String::from_utf8(out).unwrap())
    }

    #[test]
    fn each_tool_s_question_gets_keyring_s_exact_answer() {
        let fake = Fake::new(CONFIG);
        let url = "https://pkgs.example.com/simple/";
        // pip 26, with and without a user name.
        let (r, out) = go(&fake, "get", url, None, Mode::Creds, Output::Json);
        assert!(r.is_ok());
        assert_eq!(out, "{\"username\":\"__token__\",\"password\":\"tok\"}\n");
        let (_, out) = go(&fake, "get", url, Some("ci"), Mode::Creds, Output::Json);
        assert_eq!(out, "{\"username\":\"ci\",\"password\":\"tok\"}\n");
        // uv, with a user name, then without.
        let (_, out) = go(&fake, "get", url, Some("ci"), Mode::Password, Output::Plain);
        assert_eq!(out, "tok\n");
        let (_, out) = go(
            &fake,
            "get",
            "pkgs.example.com:8443",
            None,
            Mode::Creds,
            Output::Plain,
        );
        assert_eq!(out, "robot\ntok\n");
        let (_, out) = go(&fake, "get", url, None, Mode::Password, Output::Json);
        assert_eq!(out, "{\"password\":\"tok\"}\n");
    }

    #[test]
    fn no_match_and_another_user_say_nothing_and_fail() {
        let fake = Fake::new(CONFIG);
        for (service, user) in [
            ("https://other.example.com/simple/", None),
            // pip's second try, the bare host: the profile for /simple does not cover it.
            ("pkgs.example.com", None),
            ("pkgs.example.com:8443", Some("someone-else")),
        ] {
            let (r, out) = go(&fake, "get", service, user, Mode::Creds, Output::Json);
            let e = r.unwrap_err();
            assert!(e.is_reported() && e.exit_code() == 1, "{service}");
            assert_eq!(out, "", "{service}");
        }
        assert!(fake.asked().is_empty());
    }

    #[test]
    fn set_and_del_are_refused_and_bad_input_is_one_line() {
        let fake = Fake::new(CONFIG);
        for op in ["set", "del"] {
            let e = go(
                &fake,
                op,
                "pkgs.example.com",
                Some("u"),
                Mode::Password,
                Output::Plain,
            )
            .0
            .unwrap_err();
            assert!(e.to_string().contains("tokex login"), "{e}");
            assert_eq!(e.exit_code(), 1);
        }
        let e = go(&fake, "list", "x", None, Mode::Password, Output::Plain)
            .0
            .unwrap_err();
        assert!(e.to_string().contains("unknown operation `list`"));
        let e = go(
            &fake,
            "get",
            "https://a b/",
            None,
            Mode::Password,
            Output::Plain,
        )
        .0
        .unwrap_err();
        assert!(e.to_string().contains("not a host or URL"), "{e}");
    }
}

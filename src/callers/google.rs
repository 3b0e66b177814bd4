//! Google's executable-sourced credentials (AIP-4117; google-auth's `pluggable.py`): workload
//! and workforce identity federation run `tokex google-exec NAME` and exchange the OIDC token it
//! prints at Google's STS. The answer is one JSON object on stdout, success or failure, and
//! nothing on stderr: the libraries read the program's stderr together with its stdout, so any
//! other line there breaks the parse.

use super::{json_line, write};
use crate::broker::{Tokens, Want};
use crate::error::{Error, Kind, Result};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
pub const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// What the library passes the program (pluggable.py `_inject_env_variables`).
pub const TOKEN_TYPE_ENV: &str = "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE";
pub const OUTPUT_FILE_ENV: &str = "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE";

#[derive(Serialize)]
#[serde(untagged)]
enum Response<'a> {
    Success {
        version: u8,
        success: bool,
        token_type: &'a str,
        id_token: &'a str,
        expiration_time: i64,
    },
    Failure {
        version: u8,
        success: bool,
        code: &'static str,
        message: String,
    },
}

/// What the library asked for: the token types tokex can answer with (an OIDC token is both).
pub struct Asked<'a> {
    pub token_type: Option<&'a str>,
    pub output_file: Option<&'a Path>,
}

/// `tokex google-exec NAME` over `tokens` (itself a failure when no broker could be opened).
pub fn serve(
    name: &str,
    asked: &Asked,
    tokens: Result<&dyn Tokens>,
    out: &mut dyn Write,
) -> Result<()> {
    match answer(name, asked, tokens) {
        Ok(mut text) => {
            let written = write(out, &text);
            zeroize::Zeroize::zeroize(&mut text);
            written
        }
        Err(e) => {
            write(out, &failure(&e)?)?;
            // AIP-4117's failure is exit 1, whatever the kind; the answer carries the kind.
            Err(Error::op(e.to_string()).reported())
        }
    }
}

fn answer(name: &str, asked: &Asked, tokens: Result<&dyn Tokens>) -> Result<String> {
    let token_type = match asked.token_type {
        None | Some(ID_TOKEN) => ID_TOKEN,
        Some(JWT) => JWT,
        Some(other) => {
            return Err(Error::usage(format!(
                "the credential configuration asks for a {} subject token; tokex answers with an OIDC token ({ID_TOKEN} or {JWT})",
                super::clip(other)
            )));
        }
    };
    let tokens = tokens?;
    let issued = tokens.token(name, Want::default())?;
    let token = &issued.token;
    let text = json_line(&Response::Success {
        version: 1,
        success: true,
        token_type,
        id_token: token.access_token.expose(),
        expiration_time: token.reported_expiry().unix_timestamp(),
    })?;
    if let Some(path) = asked.output_file {
        // The library reads it back while unexpired instead of running tokex again.
        crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|e| {
            Error::op(format!(
                "writing {}={}: {e}",
                OUTPUT_FILE_ENV,
                path.display()
            ))
        })?;
    }
    Ok(text)
}

fn failure(e: &Error) -> Result<String> {
    let code = match e.kind() {
        Kind::Usage => "USAGE",
        Kind::NotFound => "NOT_LOGGED_IN",
        Kind::Operational | Kind::CannotRun => "UNAVAILABLE",
    };
    json_line(&Response::Failure {
        version: 1,
        success: false,
        code,
        message: format!("tokex: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callers::fake::Fake;

    const CONFIG: &str = "[profiles.corp]\nprovider = \"vmware-csp\"\n";

    fn go(fake: &Fake, name: &str, asked: &Asked) -> (Result<()>, String) {
        let mut out = Vec::new();
        let r = serve(name, asked, Ok(fake), &mut out);
        (r, String::from_utf8(out).unwrap())
    }

    const NONE: Asked = Asked {
        token_type: None,
        output_file: None,
    };

    #[test]
    fn success_is_aip_4117_s_exact_object_in_the_type_asked_for() {
        let fake = Fake::new(CONFIG);
        let (r, out) = go(&fake, "corp", &NONE);
        assert!(r.is_ok());
        // Token::sample: obtained 2026-11-23 10:00 UTC, one hour; reported a minute early.
        assert_eq!(
            out,
            "{\"version\":1,\"success\":true,\"token_type\":\"urn:ietf:params:oauth:token-type:id_token\",\"id_token\":\"tok\",\"expiration_time\":1795431540}\n"
        );
        let jwt = Asked {
            token_type: Some(JWT),
            output_file: None,
        };
        assert!(
            go(&fake, "corp", &jwt)
                .1
                .contains("\"token_type\":\"urn:ietf:params:oauth:token-type:jwt\"")
        );
    }

    #[test]
    fn failures_are_the_failure_object_and_exit_1_without_stderr() {
        let mut fake = Fake::new(CONFIG);
        fake.token = None;
        let (r, out) = go(&fake, "corp", &NONE);
        let e = r.unwrap_err();
        assert!(e.is_reported() && e.exit_code() == 1);
        assert_eq!(
            out,
            "{\"version\":1,\"success\":false,\"code\":\"NOT_LOGGED_IN\",\"message\":\"tokex: corp: no secret yet\"}\n"
        );
        let saml = Asked {
            token_type: Some("urn:ietf:params:oauth:token-type:saml2"),
            output_file: None,
        };
        let (r, out) = go(&fake, "corp", &saml);
        assert!(
            r.is_err() && out.contains("\"code\":\"USAGE\"") && out.contains("saml2"),
            "{out}"
        );
        let mut out = Vec::new();
        let broken = serve(
            "corp",
            &NONE,
            Err(Error::usage("config.toml line 3: bad")),
            &mut out,
        );
        assert!(broken.unwrap_err().is_reported());
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("\"message\":\"tokex: config.toml line 3: bad\"")
        );
    }

    #[test]
    fn the_output_file_holds_the_same_answer_privately() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("google.json");
        let fake = Fake::new(CONFIG);
        let (r, out) = go(
            &fake,
            "corp",
            &Asked {
                token_type: None,
                output_file: Some(&path),
            },
        );
        assert!(r.is_ok());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), out);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

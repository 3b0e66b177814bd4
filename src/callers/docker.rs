//! docker credential helper (`docker-credential-tokex get|store|erase|list|version`), named in
//! docker's `config.json` under `credHelpers` for the registries a profile matches.
//!
//! The docker CLI reads a helper's errors from stdout, not stderr, and treats exactly
//! [`NOT_FOUND`] as "no credentials here".

use super::{DEFAULT_USERNAME, clip, json_line, read_input, write, write_secret};
use crate::broker::{Chosen, Tokens, Want};
use crate::error::{Error, Result};
use crate::matching::Target;
use crate::sensitive::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// The answer docker-credential-helpers' `credentials.IsErrCredentialsNotFound` matches.
pub const NOT_FOUND: &str = "credentials not found in native keychain";
/// docker-credential-helpers' `credentials.IsErrCredentialsMissingServerURL` message.
pub const NO_SERVER_URL: &str = "no credentials server URL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Get,
    Store,
    Erase,
    List,
    Version,
    Unknown(String),
}

impl Action {
    /// clap's value parser for the action argument: an unknown one is docker's to hear about
    /// (on stdout), so it parses too.
    pub fn parse(action: &str) -> Result<Action, std::convert::Infallible> {
        Ok(match action {
            "get" => Action::Get,
            "store" => Action::Store,
            "erase" => Action::Erase,
            "list" => Action::List,
            "version" | "--version" | "-v" => Action::Version,
            other => Action::Unknown(other.to_string()),
        })
    }
}

/// docker's `credentials.Credentials`, in and out.
#[derive(Serialize, Deserialize)]
struct Credentials {
    #[serde(rename = "ServerURL")]
    server_url: String,
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: Secret,
}

/// What went wrong, for docker (stdout) and for the user (stderr).
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    /// "Not found" is an answer, not a failure worth a line on the user's terminal.
    pub quiet: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            quiet: false,
        }
    }
}

/// docker's "no credentials here", with exit status 1 as docker-credential-helpers' own helpers.
fn not_found() -> Failure {
    Failure {
        error: Error::op(NOT_FOUND),
        quiet: true,
    }
}

pub fn serve(
    action: Action,
    tokens: &dyn Tokens,
    input: &mut dyn Read,
    out: &mut dyn Write,
    notes: &mut dyn Write,
) -> Result<(), Failure> {
    match action {
        Action::Get => {
            let server = server_url(input)?;
            let profile = find(tokens, &server)?.ok_or_else(not_found)?;
            let issued = tokens.token(&profile.name, Want::default())?;
            let creds = Credentials {
                server_url: server,
                username: username(profile.username.as_deref()).to_string(),
                secret: issued.token.access_token.clone(),
            };
            Ok(write_secret(out, json_line(&creds)?)?)
        }
        Action::Store => {
            let mut raw = read_input(input, "docker's credentials")?;
            let parsed: std::result::Result<Credentials, _> = serde_json::from_slice(&raw);
            zeroize::Zeroize::zeroize(&mut raw);
            let creds = parsed.map_err(|_| {
                Error::usage(
                    "docker's credentials are not a JSON object with ServerURL, Username and Secret",
                )
            })?;
            if creds.server_url.trim().is_empty() {
                return Err(Error::usage(NO_SERVER_URL).into());
            }
            match find(tokens, &creds.server_url)? {
                Some(Chosen { name, .. }) => {
                    // `docker login` checked the password with the registry; the tokens docker
                    // gets from here on are minted by the profile, so there is nothing to keep.
                    // A note the user may miss costs nothing: the login itself succeeded.
                    let _ = writeln!(
                        notes,
                        "tokex: {name}: docker login for {} noted; tokex mints this registry's tokens itself and did not keep the password",
                        clip(&creds.server_url)
                    );
                    Ok(())
                }
                None => Err(Error::usage(format!(
                    "no tokex profile matches {}; tokex keeps no passwords of its own (add the registry to a profile's `match`, or remove it from credHelpers)",
                    creds.server_url
                ))
                .into()),
            }
        }
        Action::Erase => {
            let server = server_url(input)?;
            // docker logout erases several spellings of one registry: each must succeed.
            if let Some(profile) = find(tokens, &server)? {
                tokens.forget(&profile.name, None)?;
            }
            Ok(())
        }
        Action::List => {
            read_input(input, "docker's list request")?;
            let mut map = BTreeMap::new();
            let listing = tokens.listing()?;
            for l in &listing {
                map.insert(l.pattern.as_str(), username(l.username.as_deref()));
            }
            Ok(write(out, &json_line(&map)?)?)
        }
        Action::Version => Ok(write(
            out,
            &format!(
                "docker-credential-tokex (tokex {})\n",
                env!("CARGO_PKG_VERSION")
            ),
        )?),
        Action::Unknown(other) => Err(Error::usage(format!(
            "unknown credential action `{}` (use get, store, erase, list or version)",
            clip(&other)
        ))
        .into()),
    }
}

/// Ends a docker session: a failure goes to stdout, where docker reads it; it reaches the
/// user's terminal too (`docker pull` shows only "unauthorized"), unless it is "not found".
pub fn report(served: Result<(), Failure>, out: &mut dyn Write) -> Result<()> {
    match served {
        Ok(()) => Ok(()),
        Err(f) => {
            write(out, &format!("{}\n", f.error))?;
            Err(if f.quiet { f.error.reported() } else { f.error })
        }
    }
}

fn server_url(input: &mut dyn Read) -> Result<String> {
    let raw = read_input(input, "docker's server URL")?;
    let text =
        String::from_utf8(raw).map_err(|_| Error::usage("docker's server URL is not UTF-8"))?;
    let url = text.trim();
    if url.is_empty() {
        return Err(Error::usage(NO_SERVER_URL));
    }
    Ok(url.to_string())
}

fn find(tokens: &dyn Tokens, server: &str) -> Result<Option<Chosen>> {
    let target = Target::parse(server)?;
    tokens.choose(None, &|| Ok(target.clone()))
}

fn username(configured: Option<&str>) -> &str {
    configured.unwrap_or(DEFAULT_USERNAME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callers::fake::Fake;

    const CONFIG: &str = "[profiles.reg]\nprovider = \"vmware-csp\"\nmatch = [\"registry.example.com\"]\nusername = \"robot\"\n";

    fn run(fake: &Fake, action: &str, input: &str) -> (Result<(), Failure>, String) {
        let (r, out, _) = run_noting(fake, action, input);
        (r, out)
    }

    /// Also what was said on the notes stream (stderr).
    fn run_noting(fake: &Fake, action: &str, input: &str) -> (Result<(), Failure>, String, String) {
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        let r = serve(
            Action::parse(action).unwrap_or_else(|never| match never {}),
            fake,
            &mut input.as_bytes(),
            &mut out,
            &mut notes,
        );
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (r, text(out), text(notes))
    }

    #[test]
    fn get_answers_docker_s_exact_json() {
        let fake = Fake::new(CONFIG);
        let (r, out) = run(&fake, "get", "https://registry.example.com\n");
        assert!(r.is_ok());
        assert_eq!(
            out,
            "{\"ServerURL\":\"https://registry.example.com\",\"Username\":\"robot\",\"Secret\":\"tok\"}\n"
        );
    }

    #[test]
    fn not_found_is_docker_s_exact_quiet_message() {
        let fake = Fake::new(CONFIG);
        let (r, out) = run(&fake, "get", "other.example.com");
        let f = r.unwrap_err();
        assert!(f.quiet && f.error.exit_code() == 1);
        assert_eq!(f.error.to_string(), NOT_FOUND);
        assert_eq!(out, "");
        let (r, _) = run(&fake, "get", "  \n");
        assert_eq!(r.unwrap_err().error.to_string(), NO_SERVER_URL);
        // No secret yet for a matched registry is a failure the user must see, not "not found".
        let mut none = Fake::new(CONFIG);
        none.token = None;
        let f = run(&none, "get", "registry.example.com").0.unwrap_err();
        assert!(!f.quiet, "{}", f.error);
    }

    #[test]
    fn list_store_erase_version() {
        let fake = Fake::new(CONFIG);
        let (r, out) = run(&fake, "list", "unused");
        assert!(r.is_ok());
        assert_eq!(out, "{\"registry.example.com\":\"robot\"}\n");
        let store = r#"{"ServerURL":"registry.example.com","Username":"robot","Secret":"s3cr3t"}"#;
        let (r, out, notes) = run_noting(&fake, "store", store);
        assert!(r.is_ok());
        assert_eq!(out, "");
        assert_eq!(
            notes,
            "tokex: reg: docker login for registry.example.com noted; tokex mints this registry's tokens itself and did not keep the password\n"
        );
        let other = r#"{"ServerURL":"other.example.com","Username":"u","Secret":"s3cr3t"}"#;
        let e = run(&fake, "store", other).0.unwrap_err().error;
        assert!(
            e.to_string()
                .contains("no tokex profile matches other.example.com")
        );
        assert!(!e.to_string().contains("s3cr3t"));
        let e = run(&fake, "store", "s3cr3t").0.unwrap_err().error;
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert!(run(&fake, "erase", "registry.example.com").0.is_ok());
        assert!(run(&fake, "erase", "other.example.com").0.is_ok());
        assert_eq!(fake.asked(), ["forget reg -"]);
        assert!(run(&fake, "version", "").1.contains("tokex"));
        let e = run(&fake, "frob", "").0.unwrap_err().error;
        assert!(e.to_string().contains("unknown credential action `frob`"));
    }
}

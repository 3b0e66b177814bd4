//! docker credential helper (`docker-credential-tokex get|store|erase|list|version`), named in
//! docker's `config.json` under `credHelpers` for the registries a profile matches.
//!
//! The docker CLI reads a helper's errors from stdout, not stderr, and treats exactly
//! "credentials not found in native keychain" as "no credentials here".

use super::{DEFAULT_USERNAME, read_input, write, write_secret};
use crate::broker::{self, Want};
use crate::cache::Cache;
use crate::config::{Config, Profile};
use crate::error::{Error, Result};
use crate::matching::{self, Target};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};

pub const NOT_FOUND: &str = "credentials not found in native keychain";
const NO_SERVER_URL: &str = "no credentials server URL";

#[derive(Serialize, Deserialize)]
struct Credentials {
    #[serde(rename = "ServerURL")]
    server_url: String,
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

impl Drop for Credentials {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

/// What went wrong, for docker (stdout) and for the user (stderr).
pub struct Failure {
    pub error: Error,
    /// "Not found" is an answer, not a failure worth a line on the user's terminal.
    pub quiet: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let quiet = error.message() == NOT_FOUND;
        Failure { error, quiet }
    }
}

pub fn run(
    action: &str,
    config: &Config,
    cache: &Cache,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    match action {
        "get" => {
            let server = server_url(input)?;
            let (name, profile) = find(config, &server)?.ok_or_else(|| Error::op(NOT_FOUND))?;
            let token = broker::token(cache, name, profile, Want::default())?;
            let creds = Credentials {
                server_url: server,
                username: username(profile).to_string(),
                secret: token.access_token.expose().to_string(),
            };
            let mut text = serde_json::to_string(&creds).map_err(|e| Error::op(e.to_string()))?;
            text.push('\n');
            Ok(write_secret(out, text)?)
        }
        "store" => {
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
            match find(config, &creds.server_url)? {
                Some((name, _)) => {
                    // `docker login` checked the password with the registry; the tokens docker
                    // gets from here on are minted by the profile, so there is nothing to keep.
                    eprintln!(
                        "tokex: {name}: docker login for {} noted; tokex mints this registry's tokens itself and did not keep the password",
                        creds.server_url
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
        "erase" => {
            let server = server_url(input)?;
            // docker logout erases several spellings of one registry: each must succeed.
            if let Some((name, profile)) = find(config, &server)? {
                broker::forget(cache, name, profile, None)?;
            }
            Ok(())
        }
        "list" => {
            read_input(input, "docker's list request")?;
            let mut map = BTreeMap::new();
            for profile in config.profiles.values() {
                for m in &profile.matches {
                    map.insert(m.as_str(), username(profile));
                }
            }
            let text = serde_json::to_string(&map).map_err(|e| Error::op(e.to_string()))?;
            Ok(write(out, &(text + "\n"))?)
        }
        "version" | "--version" | "-v" => Ok(write(
            out,
            &format!(
                "docker-credential-tokex (tokex {})\n",
                env!("CARGO_PKG_VERSION")
            ),
        )?),
        other => Err(Error::usage(format!(
            "unknown credential action `{}` (use get, store, erase, list or version)",
            other.chars().take(40).collect::<String>()
        ))
        .into()),
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

fn find<'a>(config: &'a Config, server: &str) -> Result<Option<(&'a str, &'a Profile)>> {
    matching::select(config, &Target::parse(server)?)
}

fn username(profile: &Profile) -> &str {
    profile.username.as_deref().unwrap_or(DEFAULT_USERNAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_str(action: &str, config: &Config, input: &str) -> (Result<(), Failure>, String) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let mut out = Vec::new();
        let r = run(action, config, &cache, &mut input.as_bytes(), &mut out);
        (r, String::from_utf8(out).unwrap())
    }

    fn config() -> Config {
        Config::parse(
            std::path::Path::new("t.toml"),
            "[profiles.reg]\nprovider = \"vmware-csp\"\nmatch = [\"registry.example.com\"]\nusername = \"robot\"\n",
        )
        .unwrap()
    }

    #[test]
    fn not_found_is_docker_s_exact_quiet_message() {
        let (r, out) = run_str("get", &config(), "other.example.com");
        let f = r.err().unwrap();
        assert!(f.quiet);
        assert_eq!(f.error.to_string(), NOT_FOUND);
        assert_eq!(out, "");
        let (r, _) = run_str("get", &config(), "  \n");
        assert_eq!(r.err().unwrap().error.to_string(), NO_SERVER_URL);
    }

    #[test]
    fn list_store_erase_version() {
        let (r, out) = run_str("list", &config(), "unused");
        assert!(r.is_ok());
        assert_eq!(out, "{\"registry.example.com\":\"robot\"}\n");
        let store = r#"{"ServerURL":"registry.example.com","Username":"robot","Secret":"s3cr3t"}"#;
        assert!(run_str("store", &config(), store).0.is_ok());
        let other = r#"{"ServerURL":"other.example.com","Username":"u","Secret":"s3cr3t"}"#;
        let e = run_str("store", &config(), other).0.err().unwrap().error;
        assert!(
            e.to_string()
                .contains("no tokex profile matches other.example.com")
        );
        assert!(!e.to_string().contains("s3cr3t"));
        let e = run_str("store", &config(), "s3cr3t").0.err().unwrap().error;
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert!(
            run_str("erase", &config(), "registry.example.com")
                .0
                .is_ok()
        );
        assert!(run_str("erase", &config(), "other.example.com").0.is_ok());
        assert!(run_str("version", &config(), "").1.contains("tokex"));
        let e = run_str("frob", &config(), "").0.err().unwrap().error;
        assert!(e.to_string().contains("unknown credential action `frob`"));
    }
}

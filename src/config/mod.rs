//! The profiles: what one may say ([`schema`]), the file they live in ([`file`]), and which one
//! serves a caller's URL (through the pure [`crate::matching`]).

mod file;
mod keyless;
mod oauth2;
mod provider;
mod read;
mod schema;
mod store_name;

pub use file::{add_profile, remove_profile};
pub use keyless::{JWT_TOKEN_TYPE, Subject};
pub use oauth2::{DEFAULT_SIGNIN_SCOPE, Discovered, Endpoint, OAuth2};
pub use provider::*;
pub use schema::*;
pub use store_name::StoreName;

use crate::error::{Error, Result};
use crate::matching::{self, Candidate, Target};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The parsed profiles file.
#[derive(Debug, Default)]
pub struct Config {
    pub path: PathBuf,
    /// Whether the file was there: a missing file is an empty config, but "no such profile"
    /// would hide a mistyped `TOKEX_CONFIG`.
    pub exists: bool,
    pub profiles: BTreeMap<String, Profile>,
}

/// A path from the environment variable `var`, which must be absolute: a relative one would be
/// resolved in whatever directory the caller runs in (git runs helpers in the repository, so a
/// cloned repository could supply the file).
pub fn env_path(var: &str) -> Result<Option<PathBuf>> {
    match std::env::var_os(var)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
    {
        Some(p) if !p.is_absolute() => Err(Error::usage(format!(
            "{var} must be an absolute path, not {:?}",
            crate::printable::printable(&p.to_string_lossy(), crate::printable::LINE)
        ))),
        p => Ok(p),
    }
}

impl Config {
    pub fn default_path() -> Result<PathBuf> {
        if let Some(p) = env_path("TOKEX_CONFIG")? {
            return Ok(p);
        }
        directories::ProjectDirs::from("", "", "tokex")
            .map(|d| d.config_dir().join("config.toml"))
            .ok_or_else(|| Error::usage("no home directory: set TOKEX_CONFIG to the config file"))
    }

    pub fn get(&self, name: &str) -> Result<&Profile> {
        if !self.exists {
            let via = if std::env::var_os("TOKEX_CONFIG").is_some_and(|p| !p.is_empty()) {
                " (TOKEX_CONFIG points there)"
            } else {
                ""
            };
            return Err(Error::usage(format!(
                "no config file at {}{via}: add a profile with `tokex profile add`",
                self.path.display()
            ))
            .for_profile(name));
        }
        self.profiles.get(name).ok_or_else(|| {
            Error::usage(format!(
                "no such profile in {} (see `tokex profile list`)",
                self.path.display()
            ))
            .for_profile(name)
        })
    }

    /// The profile that serves `target`, by the profiles' `match` entries and `username`.
    pub fn select(&self, target: &Target) -> Result<Option<(&str, &Profile)>> {
        let candidates = self.profiles.iter().map(|(name, p)| Candidate {
            name,
            patterns: &p.matches,
            username: p.username.as_deref(),
        });
        Ok(matching::select(candidates, target)?
            .and_then(|name| self.profiles.get_key_value(name))
            .map(|(n, p)| (n.as_str(), p)))
    }

    /// `Some(name)` resolved to its profile, else the profile that `target` selects.
    pub fn choose<'a>(
        &'a self,
        named: Option<&'a str>,
        target: impl FnOnce() -> Result<Target>,
    ) -> Result<Option<(&'a str, &'a Profile)>> {
        match named {
            Some(name) => self.get(name).map(|p| Some((name, p))),
            None => self.select(&target()?),
        }
    }
}

/// Profile names become keyring accounts and cache file names, so they stay plain.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "invalid profile name {name:?}: use 1-64 letters, digits, '-', '_' or '.', not starting with '.' or '-'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain() {
        assert!(check_name("acme-vcd.prod_1").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "-x", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_file_is_named_instead_of_no_such_profile() {
        let c = Config::load(std::path::Path::new("/nonexistent/tokex.toml")).unwrap();
        let e = c.get("p").unwrap_err().to_string();
        assert!(
            e.contains("no config file at /nonexistent/tokex.toml"),
            "{e}"
        );
        let c = Config::parse(std::path::Path::new("t.toml"), "").unwrap();
        assert!(
            c.get("p")
                .unwrap_err()
                .to_string()
                .contains("no such profile")
        );
    }

    #[test]
    fn select_maps_the_matcher_back_to_profiles() {
        let c = Config::parse(
            std::path::Path::new("t.toml"),
            "[profiles.a]\nprovider = \"vmware-csp\"\nmatch = [\"h.example\"]\n",
        )
        .unwrap();
        let (name, p) = c
            .select(&Target::parse("https://h.example/x").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!((name, p.id()), ("a", ProviderId::VmwareCsp));
        assert!(
            c.select(&Target::parse("other.example").unwrap())
                .unwrap()
                .is_none()
        );
    }
}

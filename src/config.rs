//! The profiles file: where it lives, what a profile may say, and how `profile add|remove` edit
//! it without disturbing the user's other profiles and comments.

use crate::error::{Error, Result, ResultExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum ProviderId {
    Vcd,
    VmwareCsp,
    Virtana,
    HuaweiOneaccess,
    HuaweiIdentityCenter,
    Oauth2,
}

impl ProviderId {
    pub fn name(self) -> &'static str {
        match self {
            ProviderId::Vcd => "vcd",
            ProviderId::VmwareCsp => "vmware-csp",
            ProviderId::Virtana => "virtana",
            ProviderId::HuaweiOneaccess => "huawei-oneaccess",
            ProviderId::HuaweiIdentityCenter => "huawei-identity-center",
            ProviderId::Oauth2 => "oauth2",
        }
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Grant {
    ClientCredentials,
    RefreshToken,
}

/// RFC 6749 §2.3.1: HTTP Basic (the default servers must support) or the id and secret in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum ClientAuth {
    ClientSecretBasic,
    ClientSecretPost,
}

/// How `tokex cargo` hands the token to cargo, which sends it as the whole `Authorization`
/// value: `Bearer TOKEN` (the default), or the token alone for registries that want it raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum CargoAuth {
    Bearer,
    Raw,
}

/// One `[profiles.NAME]` table. Keys are the `profile add` flags with `-` written as `_`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub provider: ProviderId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Grant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<ClientAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Total time for one token request, retries included, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec_env: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cargo_auth: Option<CargoAuth>,
}

pub const CSP_DEFAULT_URL: &str = "https://console.cloud.vmware.com";

impl Profile {
    pub fn empty(provider: ProviderId) -> Self {
        Profile {
            provider,
            url: None,
            tenant: None,
            client_id: None,
            identity_store_id: None,
            tenant_id: None,
            access_key_id: None,
            token_url: None,
            grant: None,
            client_auth: None,
            scope: None,
            audience: None,
            matches: Vec::new(),
            username: None,
            secret_env: None,
            secret_file: None,
            secret_command: None,
            ca_file: None,
            timeout: None,
            revocation_url: None,
            exec_env: Vec::new(),
            cargo_auth: None,
        }
    }

    pub fn grant(&self) -> Grant {
        self.grant.unwrap_or(Grant::ClientCredentials)
    }

    /// The provider's base URL, with VMware Cloud Services' public default filled in.
    pub fn base_url(&self) -> Option<&str> {
        match (&self.url, self.provider) {
            (Some(u), _) => Some(u.as_str()),
            (None, ProviderId::VmwareCsp) => Some(CSP_DEFAULT_URL),
            (None, _) => None,
        }
    }

    /// Checks what the provider needs and what it would ignore, naming the field at fault.
    pub fn validate(&self) -> Result<()> {
        use ProviderId::*;
        let required: &[&str] = match self.provider {
            Vcd => &["url", "tenant"],
            VmwareCsp => &[],
            Virtana | HuaweiOneaccess => &["url", "client_id"],
            HuaweiIdentityCenter => &["url", "identity_store_id", "tenant_id", "access_key_id"],
            Oauth2 => match self.grant() {
                Grant::ClientCredentials => &["token_url", "client_id"],
                Grant::RefreshToken => &["token_url"],
            },
        };
        let allowed: &[&str] = match self.provider {
            Vcd => &["url", "tenant"],
            VmwareCsp => &["url"],
            Virtana | HuaweiOneaccess => &["url", "client_id"],
            HuaweiIdentityCenter => &["url", "identity_store_id", "tenant_id", "access_key_id"],
            Oauth2 => &[
                "token_url",
                "client_id",
                "grant",
                "client_auth",
                "scope",
                "audience",
                "revocation_url",
            ],
        };
        for (field, set) in self.provider_fields() {
            if set && !allowed.contains(&field) {
                return Err(Error::usage(format!(
                    "`{field}` does not apply to provider {}",
                    self.provider
                )));
            }
            if !set && required.contains(&field) {
                return Err(Error::usage(format!(
                    "provider {} needs `{field}` (profile add --{})",
                    self.provider,
                    field.replace('_', "-")
                )));
            }
        }
        for (field, value) in [
            ("url", self.url.as_deref()),
            ("token_url", self.token_url.as_deref()),
            ("revocation_url", self.revocation_url.as_deref()),
        ] {
            if let Some(v) = value {
                check_url(v).context(format_args!("`{field}`"))?;
            }
        }
        if self.provider == Oauth2
            && self.grant() == Grant::RefreshToken
            && self.client_auth.is_some()
        {
            return Err(Error::usage(
                "`client_auth` applies to the client_credentials grant only (the refresh_token grant sends `client_id` in the form)",
            ));
        }
        let sources = [&self.secret_env, &self.secret_file, &self.secret_command];
        if sources.iter().filter(|s| s.is_some()).count() > 1 {
            return Err(Error::usage(
                "choose one of `secret_env`, `secret_file`, `secret_command`",
            ));
        }
        if self.timeout == Some(0) {
            return Err(Error::usage("`timeout` must be at least 1 second"));
        }
        for m in &self.matches {
            crate::matching::check_pattern(m).map_err(|e| Error::usage(format!("`match`: {e}")))?;
        }
        for var in &self.exec_env {
            if var.is_empty() || var.contains(['=', '\0']) {
                return Err(Error::usage(format!(
                    "`exec_env`: {var:?} is not a variable name"
                )));
            }
        }
        Ok(())
    }

    fn provider_fields(&self) -> [(&'static str, bool); 10] {
        [
            ("url", self.url.is_some()),
            ("tenant", self.tenant.is_some()),
            ("client_id", self.client_id.is_some()),
            ("identity_store_id", self.identity_store_id.is_some()),
            ("tenant_id", self.tenant_id.is_some()),
            ("access_key_id", self.access_key_id.is_some()),
            ("token_url", self.token_url.is_some()),
            ("grant", self.grant.is_some()),
            ("client_auth", self.client_auth.is_some()),
            ("scope", self.scope.is_some() || self.audience.is_some()),
        ]
    }

    /// Everything that shapes the token, as one string: the cache key is derived from it, so
    /// editing any of these fields invalidates a cached token.
    pub fn identity(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `https://` always; `http://` only to a loopback address, where nothing crosses a network.
pub fn check_url(value: &str) -> Result<reqwest::Url> {
    let url = reqwest::Url::parse(value)
        .map_err(|e| Error::usage(format!("{value:?} is not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::usage(format!(
                "{value} uses http://, which is allowed only for loopback addresses; use https://"
            )));
        }
        other => {
            return Err(Error::usage(format!(
                "{value}: unsupported scheme {other:?}"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::usage(format!("{value} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::usage(format!(
            "{} carries credentials in the URL; keep secrets in the store",
            url.host_str().unwrap_or("")
        )));
    }
    Ok(url)
}

pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
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

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// The parsed profiles file.
#[derive(Debug, Default)]
pub struct Config {
    pub path: PathBuf,
    pub profiles: BTreeMap<String, Profile>,
}

impl Config {
    pub fn default_path() -> Result<PathBuf> {
        if let Some(p) = std::env::var_os("TOKEX_CONFIG").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        directories::ProjectDirs::from("", "", "tokex")
            .map(|d| d.config_dir().join("config.toml"))
            .ok_or_else(|| Error::usage("no home directory: set TOKEX_CONFIG to the config file"))
    }

    /// Reads the file; a missing file is an empty config, anything malformed is an error that
    /// names the line and the key.
    pub fn load(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config {
                    path: path.to_path_buf(),
                    profiles: BTreeMap::new(),
                });
            }
            Err(e) => return Err(Error::usage(format!("config {}: {e}", path.display()))),
        };
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let at = |e: toml_edit::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let msg = e.message().trim().replace('\n', " ");
            match line {
                Some(l) => Error::usage(format!("config {}: line {l}: {msg}", path.display())),
                None => Error::usage(format!("config {}: {msg}", path.display())),
            }
        };
        let file: File = toml_edit::de::from_str(text).map_err(at)?;
        for (name, profile) in &file.profiles {
            check_name(name).context(format_args!("config {}", path.display()))?;
            profile
                .validate()
                .map_err(|e| e.context(format_args!("config {}", path.display())))
                .for_profile(name)?;
        }
        let profiles = file.profiles;
        Ok(Config {
            path: path.to_path_buf(),
            profiles,
        })
    }

    pub fn get(&self, name: &str) -> Result<&Profile> {
        self.profiles.get(name).ok_or_else(|| {
            Error::usage(format!(
                "no such profile in {} (see `tokex profile list`)",
                self.path.display()
            ))
            .for_profile(name)
        })
    }
}

/// Adds `[profiles.NAME]` to the file, leaving everything else in it as it was.
pub fn add_profile(path: &Path, name: &str, profile: &Profile) -> Result<()> {
    check_name(name)?;
    profile.validate().for_profile(name)?;
    edit(path, |doc| {
        let profiles = doc
            .entry("profiles")
            .or_insert_with(|| {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                toml_edit::Item::Table(t)
            })
            .as_table_mut()
            .ok_or_else(|| Error::usage("`profiles` in the config is not a table"))?;
        if profiles.contains_key(name) {
            return Err(Error::usage(
                "profile exists; `tokex profile remove` it first to change it",
            )
            .for_profile(name));
        }
        let rendered = toml_edit::ser::to_document(profile)
            .map_err(|e| Error::usage(format!("cannot write profile: {e}")))?;
        let mut table = rendered.as_table().clone();
        table.set_implicit(false);
        profiles.insert(name, toml_edit::Item::Table(table));
        // In a file with no table yet, toml_edit holds the user's comments as the document's
        // trailing text, which would print after the new table: keep them on top instead.
        let trailing = doc.trailing().as_str().unwrap_or("").to_string();
        if !trailing.trim().is_empty() && doc.len() == 1 && only_profile(doc, name) {
            doc.set_trailing("");
            if let Some(t) = doc["profiles"][name].as_table_mut() {
                t.decor_mut().set_prefix(trailing);
            }
        }
        Ok(())
    })
}

fn only_profile(doc: &toml_edit::DocumentMut, name: &str) -> bool {
    doc.get("profiles")
        .and_then(|p| p.as_table())
        .is_some_and(|p| p.len() == 1 && p.contains_key(name))
}

/// Removes `[profiles.NAME]`; returns whether it was there.
pub fn remove_profile(path: &Path, name: &str) -> Result<()> {
    edit(path, |doc| {
        let removed = doc
            .get_mut("profiles")
            .and_then(|p| p.as_table_like_mut())
            .and_then(|p| p.remove(name));
        let Some(removed) = removed else {
            return Err(Error::usage("no such profile").for_profile(name));
        };
        // Comments above the removed table belong to the file, not to the profile: keep them.
        let prefix = removed
            .as_table()
            .and_then(|t| t.decor().prefix())
            .and_then(|p| p.as_str())
            .filter(|p| p.contains('#'))
            .map(str::to_string);
        if let Some(prefix) = prefix {
            let next = doc
                .get_mut("profiles")
                .and_then(|p| p.as_table_mut())
                .and_then(|p| {
                    p.iter_mut()
                        .filter_map(|(_, v)| v.as_table_mut())
                        .min_by_key(|t| t.position())
                });
            match next {
                Some(t) => {
                    let own = t
                        .decor()
                        .prefix()
                        .and_then(|p| p.as_str())
                        .unwrap_or("")
                        .to_string();
                    t.decor_mut().set_prefix(format!("{prefix}{own}"));
                }
                None => doc.set_trailing(prefix),
            }
        }
        Ok(())
    })
}

fn edit(path: &Path, change: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<()>) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::usage(format!("config {}: {e}", path.display()))),
    };
    // Refuse to rewrite a file that would not load: the user's broken edit stays theirs to fix.
    Config::parse(path, &text)?;
    let mut doc = toml_edit::DocumentMut::from_str(&text)
        .map_err(|e| Error::usage(format!("config {}: {}", path.display(), e.message())))?;
    change(&mut doc)?;
    let out = doc.to_string();
    Config::parse(path, &out)?;
    crate::fsutil::write_atomic(path, out.as_bytes(), 0o600, 0o700)
        .map_err(|e| Error::op(format!("writing config {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("t.toml"), text)
    }

    #[test]
    fn parses_the_design_example() {
        let c = parse(
            r#"
[profiles.acme-vcd]
provider = "vcd"
url = "https://vcd.example.com"
tenant = "acme"
match = ["https://vcd.example.com", "git.example.com/acme/"]

[profiles.idc]
provider = "huawei-identity-center"
url = "https://identitycenter.myhuaweicloud.com"
identity_store_id = "d-123"
tenant_id = "t-456"
access_key_id = "AKEXAMPLE"
"#,
        )
        .unwrap();
        assert_eq!(c.profiles.len(), 2);
        assert_eq!(c.profiles["acme-vcd"].matches.len(), 2);
        assert_eq!(c.profiles["idc"].provider, ProviderId::HuaweiIdentityCenter);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = parse("[profiles.a]\nprovider = \"vmware-csp\"\ncolour = \"red\"\n").unwrap_err();
        assert!(
            e.to_string().contains("line 3: unknown field `colour`"),
            "{e}"
        );
    }

    #[test]
    fn unknown_provider_is_named() {
        let e = parse("[profiles.a]\nprovider = \"aws\"\n").unwrap_err();
        assert!(e.to_string().contains("aws"), "{e}");
    }

    #[test]
    fn missing_required_field_is_named() {
        let e =
            parse("[profiles.a]\nprovider = \"vcd\"\nurl = \"https://x.example\"\n").unwrap_err();
        assert!(e.to_string().contains("`tenant`"), "{e}");
    }

    #[test]
    fn field_of_another_provider_is_refused() {
        let e = parse("[profiles.a]\nprovider = \"vmware-csp\"\ntenant = \"t\"\n").unwrap_err();
        assert!(e.to_string().contains("`tenant` does not apply"), "{e}");
    }

    #[test]
    fn http_only_for_loopback() {
        assert!(check_url("http://127.0.0.1:8080/x").is_ok());
        assert!(check_url("http://[::1]:8080/x").is_ok());
        assert!(check_url("http://localhost/x").is_ok());
        let e = check_url("http://vcd.example.com").unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
        assert!(check_url("ftp://x.example").is_err());
        assert!(check_url("https://user:pw@x.example").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn syntax_error_names_the_line() {
        let e = parse("# c\n[profiles.a]\nprovider = \n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }

    #[test]
    fn wrong_type_is_an_error() {
        let e = parse("[profiles.a]\nprovider = \"vmware-csp\"\ntimeout = \"soon\"\n").unwrap_err();
        assert!(e.to_string().contains("line 3: invalid type"), "{e}");
    }

    #[test]
    fn names_are_plain() {
        assert!(check_name("acme-vcd.prod_1").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "-x", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn add_keeps_comments_and_other_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\n[profiles.old] # keep\nprovider = \"vmware-csp\"\n",
        )
        .unwrap();
        let mut p = Profile::empty(ProviderId::Vcd);
        p.url = Some("https://vcd.example.com".into());
        p.tenant = Some("acme".into());
        add_profile(&path, "new", &p).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# mine\n[profiles.old] # keep\n"),
            "{text}"
        );
        assert!(text.contains("[profiles.new]"), "{text}");
        let c = Config::load(&path).unwrap();
        assert_eq!(c.profiles["new"], p);
        assert!(add_profile(&path, "new", &p).is_err());
        remove_profile(&path, "new").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# keep") && !text.contains("new"), "{text}");
        assert!(remove_profile(&path, "new").is_err());
    }
}

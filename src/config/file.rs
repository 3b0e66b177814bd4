//! The profiles file: reading it (a missing file is an empty config; anything malformed names the
//! line and the key), and `profile add|remove` edits that keep the user's other profiles and
//! comments as they were.

use super::{Config, Profile, StoreName, check_name};
use crate::error::{Error, Result, ResultExt};
use crate::fsutil;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// Far more than any real config; more is refused rather than read.
const MAX_CONFIG: u64 = 1024 * 1024;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// `[defaults]`: what a profile that does not say otherwise uses.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Defaults {
    store: Option<StoreName>,
}

impl Config {
    /// Reads the file; a missing file is an empty config, anything malformed is an error that
    /// names the line and the key.
    /// The file decides where secrets go and which commands run, so it is trusted as ssh trusts
    /// its config: it and its directory must belong to the user (or root) and be writable by
    /// nobody else, checked on what was opened.
    pub fn load(path: &Path) -> Result<Config> {
        match read_trusted(path)? {
            Some(text) => Self::parse(path, &text),
            None => Ok(Config {
                path: path.to_path_buf(),
                exists: false,
                profiles: BTreeMap::new(),
            }),
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let at = |e: toml_edit::de::Error| {
            let msg = e.message().trim().replace('\n', " ");
            let line = e.span().map(|s| {
                let table = text[..s.start.min(text.len())].matches('\n').count() + 1;
                table + key_offset(&text[s.start.min(text.len())..], &msg).unwrap_or(0)
            });
            match line {
                Some(l) => Error::usage(format!("config {}: line {l}: {msg}", path.display())),
                None => Error::usage(format!("config {}: {msg}", path.display())),
            }
        };
        let mut file: File = toml_edit::de::from_str(text).map_err(at)?;
        for profile in file.profiles.values_mut() {
            if profile.store.is_none() && !profile.own_source() {
                profile.store = file.defaults.store;
            }
        }
        for (name, profile) in &file.profiles {
            check_name(name).context(format_args!("config {}", path.display()))?;
            profile
                .validate()
                .map_err(|e| e.context(format_args!("config {}", path.display())))
                .for_profile(name)?;
        }
        super::keyless::check_chains(&file.profiles)
            .map_err(|e| e.context(format_args!("config {}", path.display())))?;
        let profiles = file.profiles;
        Ok(Config {
            path: path.to_path_buf(),
            exists: true,
            profiles,
        })
    }
}

/// A provider's fields are read after the whole table (its `provider` key may come last), so
/// serde can only point at the table: for a key it refuses, the line below the table's header
/// where that key is set.
fn key_offset(table: &str, message: &str) -> Option<usize> {
    let key = message.strip_prefix("unknown field `")?.split('`').next()?;
    table
        .lines()
        .enumerate()
        .skip(1)
        .take_while(|(_, l)| !l.trim_start().starts_with('['))
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(i, _)| i)
}

/// The file's text, `None` when there is none; refused unless it passes [`fsutil::open_trusted`].
fn read_trusted(path: &Path) -> Result<Option<String>> {
    let opened = fsutil::open_trusted(path, fsutil::Owner::UserOrAdmin)
        .and_then(|f| fsutil::read_limited(f, MAX_CONFIG));
    let bytes = match opened {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(Error::usage(format!("config refused: {e}")));
        }
        Err(e) => return Err(Error::op(format!("config {}: {e}", path.display()))),
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Error::usage(format!("config {}: not UTF-8", path.display())))
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
            .map_err(|e| Error::op(format!("cannot write profile: {e}")))?;
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

/// Removes `[profiles.NAME]`; a profile that is not there is a usage error naming it.
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
    let text = read_trusted(path)?.unwrap_or_default();
    // Refuse to rewrite a file that would not load: the user's broken edit stays theirs to fix.
    Config::parse(path, &text)?;
    let mut doc = toml_edit::DocumentMut::from_str(&text)
        .map_err(|e| Error::usage(format!("config {}: {}", path.display(), e.message())))?;
    change(&mut doc)?;
    let out = doc.to_string();
    Config::parse(path, &out)?;
    crate::fsutil::write_atomic(path, out.as_bytes())
        .map_err(|e| Error::op(format!("writing config {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderId;

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
        assert_eq!(c.profiles["idc"].id(), ProviderId::HuaweiIdentityCenter);
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
    fn field_of_another_provider_is_refused_on_its_line() {
        let e = parse("[profiles.a]\nprovider = \"vmware-csp\"\n\n  tenant= \"t\"\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("line 4: unknown field `tenant`, expected `url`"),
            "{e}"
        );
    }

    #[test]
    fn syntax_error_names_the_line() {
        let e = parse("# c\n[profiles.a]\nprovider = \n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }

    #[test]
    fn wrong_type_is_an_error() {
        let e = parse("[profiles.a]\nprovider = \"vmware-csp\"\ntimeout = \"soon\"\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("line 3: \"soon\" is not a duration like 30s"),
            "{e}"
        );
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
        let p = Profile::new(crate::config::Provider::Vcd(crate::config::Vcd {
            url: "https://vcd.example.com".into(),
            tenant: "acme".into(),
        }));
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

    #[cfg(unix)]
    #[test]
    fn a_config_others_may_write_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("config.toml");
        std::fs::write(&path, "[profiles.p]\nprovider = \"vmware-csp\"\n").unwrap();
        let mode = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
        mode(&path, 0o644).unwrap();
        assert!(Config::load(&path).unwrap().profiles.contains_key("p"));
        mode(&path, 0o664).unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("config refused") && e.contains("chmod go-w"),
            "{e}"
        );
        let e = remove_profile(&path, "p").unwrap_err().to_string();
        assert!(e.contains("config refused"), "{e}");
        mode(&path, 0o600).unwrap();
        mode(d.path(), 0o777).unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("writable by group or others"), "{e}");
        mode(d.path(), 0o700).unwrap();
    }
}

//! `tokex profile add|list|show|remove`: edits of the profiles file.

use super::Io;
use crate::cache::Cache;
use crate::callers::write;
use crate::cli::{AddArgs, ProfileCmd};
use crate::config::{self, Config, Profile, ProviderId};
use crate::error::{Error, Result, ResultExt};
use serde::Deserialize;
use std::path::Path;

pub fn run(path: &Path, cache: &Cache, cmd: ProfileCmd, io: &mut Io) -> Result<()> {
    match cmd {
        ProfileCmd::Add(args) => {
            let name = args.name.clone();
            let mut profile = from_args(&args).for_profile(&name)?;
            if let Some(issuer) = profile.oauth2().and_then(|o| o.issuer.clone()) {
                // The endpoints are read once, here, and kept with the profile.
                profile.validate().for_profile(&name)?;
                let found = crate::broker::discover(&profile).for_profile(&name)?;
                profile.set_discovered(found);
                io.say(&format!(
                    "tokex: {name}: endpoints discovered from {issuer}"
                ));
            }
            config::add_profile(path, &name, &profile)?;
            io.say(&format!(
                "tokex: added profile {name} to {}; next: {}",
                path.display(),
                next_step(&name, &profile)
            ));
            Ok(())
        }
        ProfileCmd::List => {
            let config = Config::load(path)?;
            let mut out = String::new();
            for (name, p) in &config.profiles {
                let url = match p.oauth2() {
                    Some(o) => o.issuer.as_deref().or(o.endpoint(config::Endpoint::Token)),
                    None => p.provider.base_url(),
                }
                .unwrap_or("");
                out.push_str(&format!("{name}\t{}\t{url}\n", p.provider));
            }
            write(io.stdout, &out)
        }
        ProfileCmd::Show { name, .. } => {
            let config = Config::load(path)?;
            let p = config.get(&name)?;
            let doc = toml_edit::ser::to_string_pretty(p).map_err(|e| Error::op(e.to_string()))?;
            write(
                io.stdout,
                &format!("# profile {name} in {}\n{doc}", path.display()),
            )
        }
        ProfileCmd::Remove { name, keep_secret } => remove(path, cache, &name, keep_secret, io),
    }
}

/// `profile remove`: the table and every cache file of the profile. Its stored secret is
/// removed before this (app.rs runs `logout`), unless kept.
pub fn remove(path: &Path, cache: &Cache, name: &str, kept: bool, io: &mut Io) -> Result<()> {
    config::remove_profile(path, name)?;
    cache.forget(name).for_profile(name)?;
    io.say(&if kept {
        format!(
            "tokex: removed profile {name}; its stored secret was kept (--keep-secret): add a profile named {name} again to use it, then `tokex logout {name}` removes it"
        )
    } else {
        format!("tokex: removed profile {name}")
    });
    Ok(())
}

/// What to run after `profile add`: a profile that reads its secret from the environment, a
/// file or a command has nothing for `login` to store.
fn next_step(name: &str, profile: &Profile) -> String {
    let shown = |v: &str| crate::printable::printable(v, crate::printable::SHORT);
    let source = match (&profile.secret_env, &profile.secret_file) {
        (Some(var), _) => Some(format!("the environment variable {}", shown(var))),
        (_, Some(file)) => Some(format!("the file {}", shown(file))),
        _ if profile.secret_command.is_some() => Some("its secret_command".to_string()),
        _ => None,
    };
    let oauth2 = profile.oauth2();
    let subject = oauth2.and_then(|o| o.subject.as_ref());
    let signs = oauth2.is_some_and(|o| o.client_auth() == Some(config::ClientAuth::PrivateKeyJwt));
    match source {
        Some(from) => format!("tokex token {name} (the secret comes from {from})"),
        None if signs => format!(
            "tokex login {name} --generate-key (makes the client's key pair and prints the public key to register)"
        ),
        None if !profile.needs_secret() => format!(
            "tokex token {name} (keyless: it exchanges {}; nothing to log in)",
            subject.map(|s| s.describe(None)).unwrap_or_default()
        ),
        None if profile.signs_in() => format!("tokex login {name} (signs you in)"),
        None => format!("tokex login {name} (stores its secret)"),
    }
}

/// The profile the flags describe, read by the same rules as a table in the config file.
fn from_args(args: &AddArgs) -> Result<Profile> {
    let serde_json::Value::Object(mut table) =
        serde_json::to_value(args).map_err(|e| Error::op(e.to_string()))?
    else {
        return Err(Error::op("profile add's flags are not a table"));
    };
    // A flag not given is a key not set: absent, not null, false or empty.
    table.retain(|_, v| !(v.is_null() || *v == false || v.as_array().is_some_and(Vec::is_empty)));
    Profile::deserialize(serde_json::Value::Object(table))
        .map_err(|e| flag_error(args.provider, &e.to_string()))
}

/// serde's words about a profile key, said about the flag that sets it.
fn flag_error(provider: ProviderId, message: &str) -> Error {
    let flag = |key: &str| match key {
        "use_id_token" => "--id-token".to_string(),
        key => format!("--{}", key.replace('_', "-")),
    };
    let key = |rest: &str| rest.split('`').nth(1).map(flag);
    if let Some(f) = message.strip_prefix("unknown field ").and_then(key) {
        return Error::usage(format!("{f} does not apply to provider {provider}"));
    }
    if let Some(f) = message.strip_prefix("missing field ").and_then(key) {
        return Error::usage(format!("provider {provider} needs {f}"));
    }
    Error::usage(message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Provider;
    use clap::Parser;

    fn add(args: &[&str]) -> Result<Profile> {
        let mut argv = vec!["tokex", "profile", "add", "p"];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        let crate::cli::Command::Profile(ProfileCmd::Add(a)) = cli.command else {
            unreachable!("profile add parses as profile add")
        };
        from_args(&a)
    }

    #[test]
    fn flags_are_the_profile_s_keys() {
        let p = add(&[
            "--provider",
            "oauth2",
            "--client-id",
            "c",
            "--token-url",
            "https://as.example/t",
            "--id-token",
            "--grant",
            "refresh_token",
            "--match",
            "h.example",
            "--timeout",
            "2m",
        ])
        .unwrap();
        let o = p.oauth2().unwrap();
        assert!(o.use_id_token && o.client_id.as_deref() == Some("c"));
        assert_eq!((p.matches.len(), p.timeout.unwrap().0), (1, 120));
    }

    /// A provider's new key cannot be forgotten in `profile add`: every key of every provider's
    /// profile (and of the fullest oauth2 one) is a flag.
    #[test]
    fn every_key_of_every_provider_is_a_flag() {
        use clap::{Args, ValueEnum};
        let cmd = AddArgs::augment_args(clap::Command::new("add"));
        let flags: Vec<&str> = cmd.get_arguments().filter_map(|a| a.get_long()).collect();
        let mut profiles: Vec<Profile> = ProviderId::value_variants()
            .iter()
            .map(|id| Profile::sample(*id))
            .collect();
        profiles.push(Profile::new(Provider::oauth2(config::OAuth2 {
            client_id: Some("c".into()),
            token_url: Some("https://as.example/t".into()),
            grant: Some(config::Grant::ClientCredentials),
            client_auth: Some(config::ClientAuth::ClientSecretPost),
            scope: Some("s".into()),
            audience: Some("a".into()),
            revocation_url: Some("https://as.example/r".into()),
            issuer: Some("https://as.example".into()),
            authorization_url: Some("https://as.example/a".into()),
            device_authorization_url: Some("https://as.example/d".into()),
            use_id_token: true,
            interactive: true,
            consent_prompt: None,
            discovered: None,
            subject: Some(config::Subject::GithubActions),
            subject_audience: Some("sts".into()),
            subject_token_type: Some("urn:x".into()),
            requested_token_type: Some("urn:y".into()),
            resource: Some("https://api.example".into()),
            assertion_audience: Some("https://as.example".into()),
        })));
        for p in profiles {
            let serde_json::Value::Object(keys) = serde_json::to_value(&p).unwrap() else {
                unreachable!("a profile is a table")
            };
            for key in keys.keys().filter(|k| *k != "provider") {
                let flag = match key.as_str() {
                    "use_id_token" => "id-token".to_string(),
                    k => k.replace('_', "-"),
                };
                assert!(flags.contains(&flag.as_str()), "{}: no --{flag}", p.id());
            }
        }
    }

    #[test]
    fn a_flag_the_provider_does_not_take_or_lacks_is_named() {
        let e = add(&["--provider", "vmware-csp", "--tenant", "t"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--tenant does not apply to provider vmware-csp"
        );
        let e = add(&["--provider", "vcd", "--url", "https://v.example"]).unwrap_err();
        assert_eq!(e.to_string(), "provider vcd needs --tenant");
        let e = add(&["--provider", "vcd", "--tenant", "t", "--id-token"]).unwrap_err();
        assert!(
            e.to_string().starts_with("--id-token does not apply"),
            "{e}"
        );
    }
}

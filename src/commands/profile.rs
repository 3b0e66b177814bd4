//! `tokex profile add|list|show|remove`: edits of the profiles file.

use super::Io;
use crate::cache::Cache;
use crate::callers::write;
use crate::cli::{AddArgs, ProfileCmd};
use crate::config::{self, Config, Profile};
use crate::error::{Error, Result, ResultExt};
use std::path::Path;

pub fn run(path: &Path, cache: &Cache, cmd: ProfileCmd, io: &mut Io) -> Result<()> {
    match cmd {
        ProfileCmd::Add(args) => {
            let name = args.name.clone();
            let mut profile = from_args(*args);
            if let Some(issuer) = profile.issuer.clone() {
                // The endpoints are read once, here, and kept with the profile.
                profile.validate().for_profile(&name)?;
                profile.discovered = Some(crate::broker::discover(&profile).for_profile(&name)?);
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
                let url = p
                    .issuer
                    .as_deref()
                    .or(p.endpoint(config::Endpoint::Token))
                    .or(p.base_url())
                    .unwrap_or("");
                out.push_str(&format!("{name}\t{}\t{url}\n", p.provider));
            }
            write(io.stdout, &out)
        }
        ProfileCmd::Show { name } => {
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
    match source {
        Some(from) => format!("tokex token {name} (the secret comes from {from})"),
        None if profile.grant().signs_in() => format!("tokex login {name} (signs you in)"),
        None => format!("tokex login {name} (stores its secret)"),
    }
}

fn from_args(a: AddArgs) -> Profile {
    let mut p = Profile::empty(a.provider);
    p.url = a.url;
    p.tenant = a.tenant;
    p.client_id = a.client_id;
    p.identity_store_id = a.identity_store_id;
    p.tenant_id = a.tenant_id;
    p.access_key_id = a.access_key_id;
    p.token_url = a.token_url;
    p.grant = a.grant;
    p.client_auth = a.client_auth;
    p.scope = a.scope;
    p.audience = a.audience;
    p.revocation_url = a.revocation_url;
    p.issuer = a.issuer;
    p.authorization_url = a.authorization_url;
    p.device_authorization_url = a.device_authorization_url;
    p.use_id_token = a.id_token;
    p.interactive = a.interactive;
    p.matches = a.matches;
    p.username = a.username;
    p.store = a.store;
    p.secret_env = a.secret_env;
    p.secret_file = a.secret_file;
    p.secret_command = a.secret_command;
    p.ca_file = a.ca_file;
    p.timeout = a.timeout;
    p
}

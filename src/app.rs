//! What each command does, in terms of the config, the secret store, the broker and a caller's
//! format. `main` parses and dispatches here; nothing here exits the process.

use crate::broker::{self, Want};
use crate::cache::Cache;
use crate::callers::{docker, git, kubectl, plain, terraform};
use crate::cli::{AddArgs, CacheCmd, Cli, Command, ProfileCmd};
use crate::config::{self, Config, Profile};
use crate::error::{Error, Result, ResultExt};
use crate::secrets::{self, Source};
use crate::sensitive::Secret;
use crate::token::rfc3339;
use std::io::{IsTerminal, Read};
use time::OffsetDateTime;

pub fn run(cli: Cli) -> Result<()> {
    let path = Config::default_path()?;
    let cache = Cache::locate();
    match cli.command {
        Command::Profile(cmd) => profile(&path, &cache, cmd),
        Command::Login {
            name,
            stdin,
            no_verify,
        } => login(&Config::load(&path)?, &cache, &name, stdin, no_verify),
        Command::Logout { name, no_revoke } => {
            logout(&Config::load(&path)?, &cache, &name, !no_revoke)
        }
        Command::Token {
            name,
            format,
            min_valid,
            refresh,
        } => {
            let config = Config::load(&path)?;
            let profile = config.get(&name)?;
            let token = broker::token(&cache, &name, profile, Want { min_valid, refresh })?;
            let header = crate::providers::header_name(profile);
            emit_secret(plain::render(
                format,
                &token,
                header,
                OffsetDateTime::now_utc(),
            ))
        }
        Command::Status { name } => status(&Config::load(&path)?, &cache, name.as_deref()),
        Command::Doctor { name } => {
            let (report, failed) = crate::doctor::run(&path, &cache, name.as_deref())?;
            emit(&report)?;
            if failed {
                Err(crate::doctor::failed())
            } else {
                Ok(())
            }
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "tokex",
                &mut out,
            );
            emit(&String::from_utf8_lossy(&out))
        }
        Command::Kubectl { name } => {
            let version =
                kubectl::api_version(std::env::var("KUBERNETES_EXEC_INFO").ok().as_deref())?;
            let config = Config::load(&path)?;
            let token = broker::token(&cache, &name, config.get(&name)?, Want::default())?;
            emit_secret(kubectl::render(&version, &token))
        }
        Command::Cache(CacheCmd::Clear { name }) => {
            cache_clear(&Config::load(&path)?, &cache, name.as_deref())
        }
        Command::Git { profile, operation } => git::run(
            &operation,
            profile.as_deref(),
            &Config::load(&path)?,
            &cache,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        ),
        Command::Docker { action } => {
            let result = Config::load(&path)
                .map_err(docker::Failure::from)
                .and_then(|c| {
                    docker::run(
                        &action,
                        &c,
                        &cache,
                        &mut std::io::stdin().lock(),
                        &mut std::io::stdout().lock(),
                    )
                });
            match result {
                Ok(()) => Ok(()),
                Err(f) => {
                    // docker reads a helper's error from stdout; stderr reaches the user, who
                    // otherwise sees only "unauthorized" (docker pull ignores helper errors).
                    emit(&format!("{}\n", f.error))?;
                    Err(if f.quiet { f.error.reported() } else { f.error })
                }
            }
        }
        Command::Terraform {
            profile,
            verb,
            host,
        } => terraform::run(
            &verb,
            host.as_deref(),
            profile.as_deref(),
            &Config::load(&path)?,
            &cache,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        ),
        Command::Cargo { cargo_plugin } => {
            if !cargo_plugin {
                return Err(Error::usage(
                    "cargo runs this as `cargo-credential-tokex --cargo-plugin`; name it in credential-provider (see --help)",
                ));
            }
            crate::callers::cargo::run(
                &Config::load(&path)?,
                &cache,
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
            )
        }
        Command::Bazel { command } => crate::callers::bazel::run(
            &command,
            &Config::load(&path)?,
            &cache,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        ),
        Command::External => terraform::external(
            &Config::load(&path)?,
            &cache,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        ),
        Command::InstallHelpers { dir } => crate::install::helpers(dir),
        Command::Exec {
            name,
            vars,
            min_valid,
            command,
        } => {
            let config = Config::load(&path)?;
            let profile = config.get(&name)?;
            crate::exec::run(&cache, &name, profile, &vars, min_valid, &command)
        }
        Command::Demo => crate::demo::run(),
    }
}

/// Writes a caller's answer; a reader that went away (a closed pipe) is a normal end.
pub fn emit(text: &str) -> Result<()> {
    crate::callers::write(&mut std::io::stdout().lock(), text)
}

/// `emit` for an answer that carries a token: wiped from memory once written.
fn emit_secret(text: String) -> Result<()> {
    crate::callers::write_secret(&mut std::io::stdout().lock(), text)
}

fn profile(path: &std::path::Path, cache: &Cache, cmd: ProfileCmd) -> Result<()> {
    match cmd {
        ProfileCmd::Add(args) => {
            let name = args.name.clone();
            config::add_profile(path, &name, &from_args(*args))?;
            eprintln!(
                "tokex: added profile {name} to {}; next: tokex login {name}",
                path.display()
            );
            Ok(())
        }
        ProfileCmd::List => {
            let config = Config::load(path)?;
            let mut out = String::new();
            for (name, p) in &config.profiles {
                let url = p.token_url.as_deref().or(p.base_url()).unwrap_or("");
                out.push_str(&format!("{name}\t{}\t{url}\n", p.provider));
            }
            emit(&out)
        }
        ProfileCmd::Show { name } => {
            let config = Config::load(path)?;
            let p = config.get(&name)?;
            let doc = toml_edit::ser::to_string_pretty(p).map_err(|e| Error::op(e.to_string()))?;
            emit(&format!("# profile {name} in {}\n{doc}", path.display()))
        }
        ProfileCmd::Remove { name } => {
            config::remove_profile(path, &name)?;
            cache.remove(&name).for_profile(&name)?;
            eprintln!(
                "tokex: removed profile {name}; its stored secret stays until `tokex logout` (re-add the profile first) or you delete it from the store"
            );
            Ok(())
        }
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
    p.matches = a.matches;
    p.username = a.username;
    p.secret_env = a.secret_env;
    p.secret_file = a.secret_file;
    p.secret_command = a.secret_command;
    p.ca_file = a.ca_file;
    p.timeout = a.timeout;
    p
}

fn login(
    config: &Config,
    cache: &Cache,
    name: &str,
    from_stdin: bool,
    no_verify: bool,
) -> Result<()> {
    let profile = config.get(name)?;
    if let other @ (Source::Env(_) | Source::File(_) | Source::Command(_)) = Source::of(profile) {
        return Err(Error::usage(format!(
            "the profile reads its secret from {other}; there is nothing for login to store"
        ))
        .for_profile(name));
    }
    let secret = read_secret(name, from_stdin).for_profile(name)?;
    let mut stored = secret.clone();
    let mut verified = None;
    if !no_verify {
        let mut token = broker::exchange_with(name, profile, &secret).map_err(|e| {
            Error::op(format!("{}; the secret was not stored", e.message())).for_profile(name)
        })?;
        // A server that rotates has already spent what the user typed: keep the new one.
        if let Some(rotated) = token
            .refresh_token
            .take()
            .filter(|_| crate::providers::rotates(profile))
        {
            stored = rotated;
        }
        verified = Some(token);
    }
    secrets::write(name, profile, &stored).for_profile(name)?;
    cache.remove(name).for_profile(name)?;
    let store = secrets::store_choice()?.kind;
    match verified {
        Some(token) => {
            cache.write(name, &crate::cache::key(name, profile), &token);
            eprintln!(
                "tokex: {name}: secret verified and stored in {store}; token valid until {}",
                rfc3339(token.reported_expiry())
            );
        }
        None => eprintln!("tokex: {name}: secret stored in {store} (not verified)"),
    }
    Ok(())
}

fn read_secret(name: &str, from_stdin: bool) -> Result<Secret> {
    let text = if from_stdin {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(64 * 1024 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::op(format!("reading stdin: {e}")))?;
        if buf.len() > 64 * 1024 {
            zeroize::Zeroize::zeroize(&mut buf);
            return Err(Error::usage("the secret on stdin is longer than 64 KiB"));
        }
        let text =
            String::from_utf8(buf).map_err(|_| Error::usage("the secret on stdin is not UTF-8"))?;
        let line = text.lines().next().unwrap_or("").to_string();
        let mut text = text;
        zeroize::Zeroize::zeroize(&mut text);
        line
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Secret for {name} (input hidden): "))
            .map_err(|e| Error::op(format!("reading the secret from the terminal: {e}")))?
    } else {
        return Err(Error::usage(
            "stdin is not a terminal: pass the secret on stdin with --stdin",
        ));
    };
    let secret = Secret::new(text.trim().to_string());
    if secret.is_empty() {
        return Err(Error::usage("empty secret"));
    }
    Ok(secret)
}

fn logout(config: &Config, cache: &Cache, name: &str, revoke: bool) -> Result<()> {
    let profile = config.get(name)?;
    let revoked = if revoke && profile.revocation_url.is_some() {
        revoke_tokens(cache, name, profile).map_err(|e| {
            Error::op(format!(
                "{}; nothing was deleted (retry, or `tokex logout {name} --no-revoke` to delete locally only)",
                e.message()
            ))
            .for_profile(name)
        })?
    } else {
        Vec::new()
    };
    if !revoked.is_empty() {
        eprintln!(
            "tokex: {name}: revoked at {}: {}",
            profile.revocation_url.as_deref().unwrap_or(""),
            revoked.join(" and ")
        );
    }
    cache.remove(name).for_profile(name)?;
    let deleted = match Source::of(profile) {
        Source::Store => secrets::store_delete(name).for_profile(name)?,
        other => {
            eprintln!(
                "tokex: {name}: cached token removed; the secret lives in {other} and was left alone"
            );
            return Ok(());
        }
    };
    let what = if deleted {
        "secret and cached token removed"
    } else {
        "no secret was stored; cached token removed"
    };
    if revoked.is_empty() {
        eprintln!(
            "tokex: {name}: {what}; tokens already issued stay valid at {} until they expire (it offers no revocation to tokex)",
            profile.provider
        );
    } else {
        eprintln!("tokex: {name}: {what}");
    }
    Ok(())
}

/// RFC 7009: the refresh token (for the refresh_token grant) and the cached access token, each
/// revoked at the profile's `revocation_url`. Returns what was revoked.
fn revoke_tokens(cache: &Cache, name: &str, profile: &Profile) -> Result<Vec<&'static str>> {
    let secret = match secrets::read(name, profile) {
        Ok(s) => s,
        // Nothing stored: no refresh token to revoke, and no client secret to authenticate with.
        Err(_) => return Ok(Vec::new()),
    };
    let http = crate::http::Http::for_profile(profile)?;
    let mut done = Vec::new();
    if profile.grant() == config::Grant::RefreshToken {
        crate::providers::revoke(&http, profile, &secret, &secret, "refresh_token")
            .map_err(|e| e.context("revoking the refresh token"))?;
        done.push("refresh token");
    }
    let cached = cache
        .read(name, &crate::cache::key(name, profile))
        .filter(|t| t.expires_at > OffsetDateTime::now_utc());
    if let Some(token) = cached {
        crate::providers::revoke(&http, profile, &secret, &token.access_token, "access_token")
            .map_err(|e| e.context("revoking the cached access token"))?;
        done.push("cached access token");
    }
    Ok(done)
}

fn status(config: &Config, cache: &Cache, only: Option<&str>) -> Result<()> {
    let mut out = String::new();
    match secrets::store_choice() {
        Ok(c) => out.push_str(&format!("secret store: {} ({})\n", c.kind, c.why)),
        Err(e) => out.push_str(&format!("secret store: {e}\n")),
    }
    out.push_str(&format!("config: {}\n", config.path.display()));
    out.push_str(&format!(
        "cache: {}\n",
        cache
            .dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "none".into())
    ));
    let names: Vec<&String> = match only {
        Some(n) => {
            config.get(n)?;
            config.profiles.keys().filter(|k| k.as_str() == n).collect()
        }
        None => config.profiles.keys().collect(),
    };
    let now = OffsetDateTime::now_utc();
    for name in names {
        let p = &config.profiles[name];
        let secret = match Source::of(p) {
            Source::Store => match secrets::store_has(name) {
                Ok(true) => "stored".to_string(),
                Ok(false) => format!("missing (run `tokex login {name}`)"),
                Err(e) => format!("store error: {}", e.message()),
            },
            Source::Env(v) => format!(
                "from ${v} ({})",
                if std::env::var_os(&v).is_some() {
                    "set"
                } else {
                    "not set"
                }
            ),
            Source::File(f) => format!("from file {f}"),
            Source::Command(_) => "from secret_command".to_string(),
        };
        let cached = match cache.read(name, &crate::cache::key(name, p)) {
            Some(t) if t.expires_at > now => {
                format!("valid until {}", rfc3339(t.reported_expiry()))
            }
            Some(t) => format!("expired at {}", rfc3339(t.expires_at)),
            None => "none".to_string(),
        };
        out.push_str(&format!(
            "{name}: provider {}; secret {secret}; cached token {cached}\n",
            p.provider
        ));
    }
    emit(&out)
}

fn cache_clear(config: &Config, cache: &Cache, name: Option<&str>) -> Result<()> {
    match name {
        Some(n) => {
            config.get(n)?;
            cache.remove(n).for_profile(n)?;
        }
        None => {
            for n in config.profiles.keys() {
                cache.remove(n).for_profile(n)?;
            }
        }
    }
    Ok(())
}

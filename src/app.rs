//! Dispatch: each command to its caller's `serve` or its command module, over one broker. `main`
//! parses and passes the process's streams; nothing here exits the process.

use crate::broker::{Broker, Notice, SignIn, StoreFor, Want};
use crate::cache::Cache;
use crate::callers::{bazel, cargo, docker, exec, external, git, kubectl, plain, terraform};
use crate::cli::{CacheCmd, Cli, Command, ProfileCmd};
use crate::commands::{self, Io, account, doctor, install, status};
use crate::config::Config;
use crate::error::{Error, Result};
use std::path::PathBuf;

/// Where the config is, the cache, how stores open and where warnings go: the process's own in
/// the program, private ones in tests.
pub struct Setup {
    pub config_path: PathBuf,
    pub cache: Cache,
    pub stores: StoreFor,
    pub notice: Notice,
    /// Cache hits may start a background refresh (a process of this program's).
    pub refresh_ahead: bool,
}

impl Setup {
    /// `TOKEX_CONFIG`, `TOKEX_CACHE_DIR`, the OS store, warnings on stderr.
    pub fn from_env() -> Result<Setup> {
        // Checked here, where a failure can be said; the cache itself ignores a relative one.
        crate::config::env_path("TOKEX_CACHE_DIR")?;
        Ok(Setup {
            config_path: Config::default_path()?,
            cache: Cache::locate(),
            stores: Box::new(crate::stores::for_profile),
            notice: Box::new(|line| eprintln!("{line}")),
            refresh_ahead: true,
        })
    }

    fn broker(self) -> Result<Broker> {
        let config = Config::load(&self.config_path)?;
        let broker = Broker::with(config, self.cache, self.stores, self.notice);
        Ok(if self.refresh_ahead {
            broker.refreshing_ahead()
        } else {
            broker
        })
    }
}

pub fn run(cli: Cli, setup: Setup, io: &mut Io) -> Result<()> {
    let path = setup.config_path.clone();
    match cli.command {
        // Removing a profile removes its secret first, as `tokex logout` does: afterwards no
        // command could name it, and the secret would stay in the store for good.
        Command::Profile(ProfileCmd::Remove { name, keep_secret }) => {
            let broker = setup.broker()?;
            if !keep_secret {
                account::logout(&broker, &name, true, io)?;
            }
            commands::profile::remove(&path, broker.cache(), &name, keep_secret, io)
        }
        Command::Profile(ProfileCmd::Show { name, jwk: true }) => {
            account::public_key(&setup.broker()?, &name, io)
        }
        Command::Profile(cmd) => commands::profile::run(&path, &setup.cache, cmd, io),
        Command::Login {
            name,
            generate_key: true,
            ..
        } => account::generate_key(&setup.broker()?, &name, io),
        Command::Login {
            name,
            stdin,
            no_verify,
            no_browser,
            timeout,
            generate_key: false,
        } => {
            let how = SignIn {
                open_browser: !no_browser,
                timeout: timeout.map(std::time::Duration::from_secs),
                unless_signed_in: false,
            };
            account::login(&setup.broker()?, &name, stdin, !no_verify, how, io)
        }
        Command::Logout { name, no_revoke } => {
            account::logout(&setup.broker()?, &name, !no_revoke, io)
        }
        Command::Token {
            name,
            format,
            min_valid,
            refresh,
        } => plain::serve(
            format,
            &name,
            Want { min_valid, refresh },
            &setup.broker()?,
            io.stdout,
        ),
        Command::Status { name } => status::run(&setup.broker()?, name.as_deref(), io),
        Command::Doctor { name } => doctor::run(&path, setup.broker(), name.as_deref(), io),
        Command::Completions { shell } => commands::completions(shell, io.stdout),
        Command::Kubectl { name } => {
            let info = std::env::var("KUBERNETES_EXEC_INFO").ok();
            kubectl::serve(
                &name,
                info.as_deref(),
                &setup.broker()?,
                io.stdout,
                io.stderr,
            )
        }
        Command::Cache(CacheCmd::Clear { name }) => {
            account::cache_clear(&setup.broker()?, name.as_deref())
        }
        Command::Git { profile, operation } => git::serve(
            operation,
            profile.as_deref(),
            &setup.broker()?,
            io.stdin,
            io.stdout,
        ),
        Command::Docker { action } => {
            let served = setup
                .broker()
                .map_err(docker::Failure::from)
                .and_then(|b| docker::serve(action, &b, io.stdin, io.stdout, io.stderr));
            docker::report(served, io.stdout)
        }
        Command::Terraform {
            profile,
            verb,
            host,
        } => terraform::serve(
            verb,
            &host,
            profile.as_deref(),
            &setup.broker()?,
            io.stdin,
            io.stdout,
            io.stderr,
        ),
        Command::Cargo { cargo_plugin } => {
            if !cargo_plugin {
                return Err(Error::usage(
                    "cargo runs this as `cargo-credential-tokex --cargo-plugin`; name it in credential-provider (see --help)",
                ));
            }
            cargo::serve(&setup.broker()?, io.stdin, io.stdout)
        }
        Command::Bazel { command } => bazel::serve(command, &setup.broker()?, io.stdin, io.stdout),
        Command::External => external::serve(&setup.broker()?, io.stdin, io.stdout),
        Command::InstallHelpers { dir } => install::helpers(dir, io),
        Command::Exec {
            name,
            vars,
            min_valid,
            command,
        } => exec::serve(&name, &vars, min_valid, &command, &setup.broker()?),
        Command::Demo => crate::demo::run(),
        Command::RefreshAhead { name } => {
            // A daemon holds nothing of the caller's: a CI step or `make` waiting for EOF on a
            // pipe it passed down must not wait for this process too.
            crate::platform::close_inherited_descriptors();
            setup.broker()?.refresh_in_background(&name)
        }
    }
}

#[cfg(test)]
mod tests;

//! Dispatch: each command to its caller's `serve` or its command module, over one broker. `main`
//! parses and passes the process's streams; nothing here exits the process.

use crate::broker::{Broker, Notice, SignIn, StoreFor, Tokens, Want};
use crate::cache::Cache;
use crate::callers::{
    bazel, cargo, docker, exec, external, git, goauth, google, keyring, kubectl, kubelet, plain,
    terraform,
};
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
    if let Some(path) = crate::agent::configured()? {
        match route(&cli.command) {
            Route::Agent(caller) => {
                let remote = crate::agent::Remote::connect(&path, caller);
                return match cli.command {
                    Command::Status { name } => commands::remote::status(&remote?, name, io),
                    Command::Doctor { name } => commands::remote::doctor(remote, name, io),
                    command => serve(command, remote.map(|r| Box::new(r) as _), io),
                };
            }
            Route::Refused(what) => {
                return Err(Error::usage(format!(
                    "`tokex {what}` belongs on the agent's machine: {}={} is set, so this machine uses that agent's profiles",
                    crate::agent::ENV,
                    path.display()
                )));
            }
            Route::Here => {}
        }
    }
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
        Command::Status { name } => status::run(&setup.broker()?, name.as_deref(), io),
        Command::Doctor { name } => doctor::run(&path, setup.broker(), name.as_deref(), io),
        Command::Completions { shell } => commands::completions(shell, io.stdout),
        Command::Cache(CacheCmd::Clear { name }) => {
            account::cache_clear(&setup.broker()?, name.as_deref())
        }
        Command::InstallHelpers { dir, keyring } => install::helpers(dir, keyring, io),
        Command::GoogleExec { .. } => {
            // Google's libraries read stderr with stdout: warnings must not land there.
            let quiet = setup.broker().map(|b| b.noticing(Box::new(|_| {})));
            serve(cli.command, quiet.map(|b| Box::new(b) as _), io)
        }
        Command::Demo => crate::demo::run(),
        Command::Agent { socket, allow, log } => {
            let options = crate::agent::Options { socket, allow, log };
            crate::agent::run(setup.broker()?, options, io.stdout)
        }
        Command::RefreshAhead { name } => {
            // A daemon holds nothing of the caller's: a CI step or `make` waiting for EOF on a
            // pipe it passed down must not wait for this process too.
            crate::platform::close_inherited_descriptors();
            setup.broker()?.refresh_in_background(&name)
        }
        command => serve(command, setup.broker().map(|b| Box::new(b) as _), io),
    }
}

/// Where a command runs when `TOKEX_AGENT` is set.
enum Route {
    /// Through the agent; the caller's name is for its log.
    Agent(&'static str),
    /// Only where the secrets are.
    Refused(&'static str),
    Here,
}

fn route(command: &Command) -> Route {
    match command {
        Command::Token { .. } => Route::Agent("token"),
        Command::Kubectl { .. } => Route::Agent("kubectl"),
        Command::Git { .. } => Route::Agent("git"),
        Command::Docker { .. } => Route::Agent("docker"),
        Command::Terraform { .. } => Route::Agent("terraform"),
        Command::Cargo { .. } => Route::Agent("cargo"),
        Command::Bazel { .. } => Route::Agent("bazel"),
        Command::External => Route::Agent("external"),
        Command::Exec { .. } => Route::Agent("exec"),
        Command::Keyring { .. } => Route::Agent("keyring"),
        Command::Kubelet => Route::Agent("kubelet"),
        Command::Goauth { .. } => Route::Agent("goauth"),
        Command::GoogleExec { .. } => Route::Agent("google-exec"),
        Command::Setup { .. } => Route::Agent("setup"),
        Command::Status { .. } => Route::Agent("status"),
        Command::Doctor { .. } => Route::Agent("doctor"),
        Command::Login { .. } => Route::Refused("login"),
        Command::Logout { .. } => Route::Refused("logout"),
        Command::Profile(_) => Route::Refused("profile"),
        Command::Cache(_) => Route::Refused("cache"),
        Command::Completions { .. }
        | Command::InstallHelpers { .. }
        | Command::Demo
        | Command::Agent { .. }
        | Command::RefreshAhead { .. } => Route::Here,
    }
}

/// The callers' commands (and `setup`), over this machine's broker or an agent's.
fn serve(command: Command, tokens: Result<Box<dyn Tokens>>, io: &mut Io) -> Result<()> {
    if let Command::Docker { action } = command {
        // docker reads failures on stdout, even the failure to reach any broker.
        let served = tokens
            .map_err(docker::Failure::from)
            .and_then(|t| docker::serve(action, &*t, io.stdin, io.stdout, io.stderr));
        return docker::report(served, io.stdout);
    }
    if let Command::GoogleExec { name } = command {
        // Its failures, too, are a JSON answer on stdout.
        let token_type = std::env::var(google::TOKEN_TYPE_ENV).ok();
        let output_file = std::env::var_os(google::OUTPUT_FILE_ENV).map(PathBuf::from);
        let asked = google::Asked {
            token_type: token_type.as_deref(),
            output_file: output_file.as_deref(),
        };
        return match tokens {
            Ok(t) => google::serve(&name, &asked, Ok(&*t), io.stdout),
            Err(e) => google::serve(&name, &asked, Err(e), io.stdout),
        };
    }
    let tokens = tokens?;
    let tokens = &*tokens;
    match command {
        Command::Token {
            name,
            format,
            min_valid,
            refresh,
        } => plain::serve(
            format,
            &name,
            Want { min_valid, refresh },
            tokens,
            io.stdout,
        ),
        Command::Kubectl { name } => {
            let info = std::env::var("KUBERNETES_EXEC_INFO").ok();
            kubectl::serve(&name, info.as_deref(), tokens, io.stdout, io.stderr)
        }
        Command::Git { profile, operation } => {
            git::serve(operation, profile.as_deref(), tokens, io.stdin, io.stdout)
        }
        Command::Terraform {
            profile,
            verb,
            host,
        } => terraform::serve(
            verb,
            &host,
            profile.as_deref(),
            tokens,
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
            cargo::serve(tokens, io.stdin, io.stdout)
        }
        Command::Bazel { command } => bazel::serve(command, tokens, io.stdin, io.stdout),
        Command::External => external::serve(tokens, io.stdin, io.stdout),
        Command::Keyring {
            operation,
            service,
            username,
            mode,
            output,
        } => {
            let request = keyring::Request {
                op: operation,
                service: &service,
                username: username.as_deref(),
                mode,
                output,
            };
            keyring::serve(request, tokens, io.stdout)
        }
        Command::Kubelet => kubelet::serve(tokens, io.stdin, io.stdout),
        Command::Goauth { words } => goauth::serve(&words, tokens, io.stdin, io.stdout),
        // It reads only the profile's `match` entries: an agent's serve as well as this machine's.
        Command::Setup {
            tool,
            profile,
            dry_run,
            force,
        } => {
            let how = commands::setup::How { dry_run, force };
            commands::setup::run(tool, &profile, how, tokens, io)
        }
        Command::Exec {
            name,
            vars,
            min_valid,
            command,
        } => exec::serve(&name, &vars, min_valid, &command, tokens),
        // `run` sends only the callers' commands here; the compiler lists the rest.
        Command::Profile(_)
        | Command::Login { .. }
        | Command::Logout { .. }
        | Command::Status { .. }
        | Command::Doctor { .. }
        | Command::Completions { .. }
        | Command::InstallHelpers { .. }
        | Command::Agent { .. }
        | Command::Cache(_)
        | Command::Demo
        | Command::RefreshAhead { .. }
        | Command::GoogleExec { .. }
        | Command::Docker { .. } => Err(Error::op("not a caller's command")),
    }
}

#[cfg(test)]
mod tests;

//! Answering a [`Fast`] command from the cache: the callers' own protocol code runs against
//! [`CacheOnly`], a [`Tokens`] that has only quiet cache hits to give. Output is held back until
//! the whole answer succeeded; on anything else the engine gets the command, and the caller's
//! stdin as it was read here, and nothing has been written.

use super::Fast;
use crate::broker::{Chosen, Issued, Listed, Tokens, Want, choose_in, quiet_hit};
use crate::cache::Cache;
use crate::matching::Target;
// Callers' requests are small; what the engine would refuse as too large goes to it whole.
use crate::callers::{MAX_INPUT, docker, git, kubectl, plain};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::io::{Read, Write};

pub enum Outcome {
    /// Answered; exit with this code.
    Served(i32),
    /// The engine's: with the stdin bytes already read here, to be given to it first.
    Engine(Vec<u8>),
}

pub fn serve(cmd: &Fast, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Outcome {
    // An agent's client has no cache of its own: the engine asks the agent.
    if std::env::var_os("TOKEX_AGENT").is_some_and(|v| !v.is_empty()) {
        return Outcome::Engine(Vec::new());
    }
    let config = match Config::default_path().and_then(|p| Config::load(&p)) {
        Ok(c) => c,
        Err(_) => return Outcome::Engine(Vec::new()),
    };
    let tokens = CacheOnly {
        config,
        cache: Cache::locate(),
    };
    answer(cmd, &tokens, stdin, stdout)
}

fn answer(cmd: &Fast, tokens: &CacheOnly, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Outcome {
    let mut input = Vec::new();
    let mut out = Vec::new();
    let answered = match cmd {
        Fast::Token {
            name,
            format,
            min_valid,
        } => plain::serve(*format, name, Want::lasting(*min_valid), tokens, &mut out),
        Fast::Kubectl { name } => {
            let info = std::env::var("KUBERNETES_EXEC_INFO").ok();
            kubectl::serve(
                name,
                info.as_deref(),
                tokens,
                &mut out,
                &mut std::io::sink(),
            )
        }
        Fast::GitGet { profile } => read_all(stdin, &mut input).and_then(|()| {
            git::serve(
                git::Op::Get,
                profile.as_deref(),
                tokens,
                &mut &input[..],
                &mut out,
            )
        }),
        Fast::DockerGet => read_all(stdin, &mut input).and_then(|()| {
            // `get` says nothing on stderr: its notes stream is never written.
            docker::serve(
                docker::Action::Get,
                tokens,
                &mut &input[..],
                &mut out,
                &mut std::io::sink(),
            )
            .map_err(|f| f.error)
        }),
    };
    // Every miss is an error the callers pass on (the hot-path tests hold them to it).
    let outcome = if answered.is_err() {
        Outcome::Engine(input)
    } else {
        match out.as_slice() {
            [] => Outcome::Served(0),
            text => match stdout.write_all(text).and_then(|()| stdout.flush()) {
                Ok(()) => Outcome::Served(0),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Served(0),
                Err(e) => {
                    eprintln!("tokex: writing to stdout: {e}");
                    Outcome::Served(1)
                }
            },
        }
    };
    zeroize::Zeroize::zeroize(&mut out);
    outcome
}

fn read_all(stdin: &mut dyn Read, into: &mut Vec<u8>) -> Result<()> {
    stdin
        .take(MAX_INPUT + 1)
        .read_to_end(into)
        .map(drop)
        .map_err(|e| Error::op(format!("reading stdin: {e}")))
}

/// The hot path's broker: a quiet hit, or an error that sends the command to the engine.
struct CacheOnly {
    config: Config,
    cache: Cache,
}

fn for_the_engine<T>() -> Result<T> {
    Err(Error::op("for the engine"))
}

impl Tokens for CacheOnly {
    fn choose(
        &self,
        named: Option<&str>,
        target: &dyn Fn() -> Result<Target>,
    ) -> Result<Option<Chosen>> {
        choose_in(&self.config, named, target)
    }

    fn listing(&self) -> Result<Vec<Listed>> {
        for_the_engine()
    }

    fn token(&self, name: &str, want: Want) -> Result<Issued> {
        let profile = self.config.get(name)?;
        match quiet_hit(&self.cache, name, profile, want) {
            Some(token) => {
                crate::log::debug(|| format!("{name}: cache hit"));
                Ok(Issued::new(profile, token))
            }
            None => {
                crate::log::debug(|| format!("{name}: not a quiet cache hit; to tokex-engine"));
                for_the_engine()
            }
        }
    }

    fn forget(&self, _: &str, _: Option<&Secret>) -> Result<bool> {
        for_the_engine()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No caller turns a miss into an answer of its own: each goes to the engine, nothing
    /// written.
    #[test]
    fn every_miss_goes_to_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let config = "[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"h.example\"]\n";
        let tokens = CacheOnly {
            config: Config::parse(std::path::Path::new("t.toml"), config).unwrap(),
            cache: Cache::at(dir.path()),
        };
        let p = || "p".to_string();
        for (cmd, stdin) in [
            (
                Fast::Token {
                    name: p(),
                    format: plain::Format::Bare,
                    min_valid: time::Duration::minutes(1),
                },
                "",
            ),
            (Fast::Kubectl { name: p() }, ""),
            (
                Fast::GitGet { profile: None },
                "protocol=https\nhost=h.example\n\n",
            ),
            (
                Fast::GitGet { profile: Some(p()) },
                "protocol=https\nhost=x\n\n",
            ),
            (Fast::DockerGet, "h.example"),
        ] {
            let mut out = Vec::new();
            match answer(&cmd, &tokens, &mut stdin.as_bytes(), &mut out) {
                Outcome::Engine(read) => assert_eq!(read, stdin.as_bytes()),
                Outcome::Served(code) => panic!("{cmd:?} served a miss ({code})"),
            }
            assert!(out.is_empty(), "{cmd:?}");
        }
    }
}

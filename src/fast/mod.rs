//! The hot path of the small `tokex` program: the commands callers run on every request
//! (`tokex token`, `tokex kubectl`, git's and docker's `get`), parsed by hand instead of by the
//! clap tree, and answered from the cache when the broker's [`quiet_hit`] says a token may be
//! handed out with nothing else to do. Anything else (another command, an argument this grammar
//! does not know, a miss, a token due for refresh) is handed, untouched, to `tokex-engine`.
//!
//! One parser of truth: this grammar accepts a subset of what clap accepts and must read it the
//! same way; `tests.rs` runs every entry point's argv through both and compares.
//!
//! [`quiet_hit`]: crate::broker::quiet_hit

mod serve;

pub use serve::{Outcome, serve};

use crate::callers::plain::Format;
use std::ffi::OsString;
use time::Duration;

/// A command the hot path may answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fast {
    Token {
        name: String,
        format: Format,
        min_valid: Duration,
    },
    Kubectl {
        name: String,
    },
    /// git's `get`, with `--profile` or by matching the URL git sends.
    GitGet {
        profile: Option<String>,
    },
    /// docker's `get`: the server URL comes on stdin.
    DockerGet,
}

/// `args` (with the entry point's subcommand already inserted, see
/// `cli::args_with_entry_point`) as a [`Fast`] command, or `None` for the engine.
pub fn parse(args: &[OsString]) -> Option<Fast> {
    let words: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str())
        .collect::<Option<_>>()?;
    let (command, rest) = words.split_first()?;
    let mut options = Options::read(rest)?;
    let fast = match *command {
        "token" => {
            let format = match options.take("--format") {
                Some(f) => format(f)?,
                None => Format::Bare,
            };
            let min_valid = match options.take("--min-valid") {
                Some(d) => crate::duration::parse(d).ok()?,
                None => crate::broker::DEFAULT_MIN_VALID,
            };
            Fast::Token {
                name: options.only_positional()?.to_string(),
                format,
                min_valid,
            }
        }
        "kubectl" => Fast::Kubectl {
            name: options.only_positional()?.to_string(),
        },
        "git" => {
            let profile = options.take("--profile").map(str::to_string);
            (options.only_positional()? == "get").then_some(Fast::GitGet { profile })?
        }
        "docker" => (options.only_positional()? == "get").then_some(Fast::DockerGet)?,
        _ => return None,
    };
    options.done().then_some(fast)
}

/// `--format`'s values, as clap's `ValueEnum` spells them.
fn format(value: &str) -> Option<Format> {
    match value {
        "bare" => Some(Format::Bare),
        "header" => Some(Format::Header),
        "json" => Some(Format::Json),
        "env" => Some(Format::Env),
        "bearer" => Some(Format::Bearer),
        _ => None,
    }
}

/// `--flag VALUE`, `--flag=VALUE` and positionals, the way clap reads them for these commands;
/// anything this grammar does not know (`-h`, `--`, `--refresh`, a repeated flag, a value that
/// looks like a flag) makes the whole line the engine's.
struct Options<'a> {
    flags: Vec<(&'a str, &'a str)>,
    positionals: Vec<&'a str>,
}

const VALUE_FLAGS: [&str; 3] = ["--format", "--min-valid", "--profile"];

impl<'a> Options<'a> {
    fn read(words: &[&'a str]) -> Option<Options<'a>> {
        let mut flags: Vec<(&str, &str)> = Vec::new();
        let mut positionals = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            if let Some((flag, value)) = w.split_once('=').filter(|(f, _)| f.starts_with("--")) {
                flags.push((VALUE_FLAGS.contains(&flag).then_some(flag)?, value));
            } else if w.starts_with('-') {
                let flag = VALUE_FLAGS.contains(&w).then_some(w)?;
                let value = *words.get(i + 1)?;
                if value.starts_with('-') {
                    return None;
                }
                flags.push((flag, value));
                i += 1;
            } else {
                positionals.push(w);
            }
            i += 1;
        }
        let mut names: Vec<&str> = flags.iter().map(|(f, _)| *f).collect();
        names.sort_unstable();
        names.dedup();
        (names.len() == flags.len()).then_some(Options { flags, positionals })
    }

    fn take(&mut self, flag: &str) -> Option<&'a str> {
        let at = self.flags.iter().position(|(f, _)| *f == flag)?;
        Some(self.flags.remove(at).1)
    }

    /// The only positional, if there is exactly one.
    fn only_positional(&self) -> Option<&'a str> {
        match self.positionals.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Every flag given was one the command takes.
    fn done(&self) -> bool {
        self.flags.is_empty()
    }
}

#[cfg(test)]
mod tests;

//! `tokex setup TOOL PROFILE`: points one tool at tokex for a profile's `match` entries, as
//! `gh auth setup-git` and `gcloud auth configure-docker` do for theirs. Through the tool's own
//! command where it has one (git, kubectl), else by editing its file and keeping everything
//! else in it (docker, pnpm, uv, pip); for go, the line to run.
//!
//! Every tool is planned first: the steps that would change something, and the settings that
//! name another helper. Those stop the whole setup, before anything changes, unless `--force`;
//! `--dry-run` prints the steps and makes none; a second run finds nothing to do.

mod docker;
mod git;
mod kubectl;
mod pnpm;
mod python;

use super::Io;
use crate::broker::Tokens;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

pub use crate::cli::Tool;

#[derive(Debug, Clone, Copy)]
pub struct How {
    pub dry_run: bool,
    pub force: bool,
}

/// One change, and the line that says it.
struct Step {
    says: String,
    change: Change,
}

enum Change {
    /// The tool's own command.
    Run(&'static str, Vec<String>),
    /// A whole file's new text (the old one merged), written atomically.
    Write {
        path: PathBuf,
        text: String,
        executable: bool,
    },
    /// Only said: a line for the user to run.
    Say,
}

/// What setting up a tool takes.
#[derive(Default)]
struct Plan {
    steps: Vec<Step>,
    /// Settings that name another helper, which the steps would replace.
    others: Vec<String>,
    /// Said on stderr after the steps (what else the tool needs).
    notes: Vec<String>,
}

/// One of the profile's `match` entries, as the tools' configs spell them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// `https`, or `http` for a loopback entry.
    scheme: String,
    /// `host[:port]`, lower-case.
    host: String,
    /// The path without its slashes at either end; empty for none.
    path: String,
}

impl Entry {
    fn parse(pattern: &str) -> Entry {
        let (scheme, rest) = match pattern.split_once("://") {
            Some((s, rest)) => (s.to_ascii_lowercase(), rest),
            None => ("https".to_string(), pattern),
        };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        Entry {
            scheme,
            host: host.to_ascii_lowercase(),
            path: path.trim_matches('/').to_string(),
        }
    }

    /// `scheme://host[:port][/path]`, no trailing slash.
    fn url(&self) -> String {
        match self.path.as_str() {
            "" => format!("{}://{}", self.scheme, self.host),
            p => format!("{}://{}/{p}", self.scheme, self.host),
        }
    }
}

pub fn run(tool: Tool, profile: &str, how: How, tokens: &dyn Tokens, io: &mut Io) -> Result<()> {
    let chosen = tokens.named(profile)?;
    let mut entries: Vec<Entry> = tokens
        .listing()?
        .into_iter()
        .filter(|l| l.profile == chosen.name)
        .map(|l| Entry::parse(&l.pattern))
        .collect();
    entries.dedup();
    if entries.is_empty() {
        return Err(Error::usage(format!(
            "it has no `match` entries, so {} would not know which URLs to ask tokex for: add some (`tokex profile add … --match URL`)",
            tool.name()
        ))
        .for_profile(profile));
    }
    let base =
        directories::BaseDirs::new().ok_or_else(|| Error::op("no home directory (set HOME)"))?;
    let plan = match tool {
        Tool::Git => git::plan(&entries)?,
        Tool::Docker => docker::plan(&docker::config_path(&base), &entries)?,
        Tool::Kubectl => kubectl::plan(profile)?,
        Tool::Pnpm => pnpm::plan(&base, profile, &entries)?,
        Tool::Uv => python::plan_uv(&base)?,
        Tool::Pip => python::plan_pip(&base)?,
        Tool::Go => go_plan(profile, &entries),
    };
    if !plan.others.is_empty() && !how.force {
        return Err(Error::usage(format!(
            "{} left alone: {}; run again with --force to replace it",
            tool.name(),
            plan.others.join("; ")
        )));
    }
    if plan.steps.is_empty() {
        io.say(&format!(
            "tokex: {} already uses tokex for {profile}; nothing changed",
            tool.name()
        ));
        return Ok(());
    }
    let mut said = String::new();
    for step in &plan.steps {
        let prefix = match (&step.change, how.dry_run) {
            (Change::Say, _) => "",
            (_, true) => "would ",
            (_, false) => "",
        };
        said.push_str(&format!("{prefix}{}\n", step.says));
    }
    if !how.dry_run {
        for step in plan.steps {
            apply(step.change)?;
        }
    }
    crate::callers::write(io.stdout, &said)?;
    for note in plan.notes {
        io.say(&format!("tokex: note: {note}"));
    }
    Ok(())
}

fn apply(change: Change) -> Result<()> {
    match change {
        Change::Run(program, args) => run_tool(program, &args).map(|_| ()),
        Change::Write {
            path,
            text,
            executable,
        } => write_file(&path, &text, executable),
        Change::Say => Ok(()),
    }
}

/// Runs a tool's own command; its output, or its failure in one line.
fn run_tool(program: &str, args: &[String]) -> Result<std::process::Output> {
    let out = crate::platform::command(program.as_ref())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            Error::op(format!(
                "running {program}: {e} (is it installed and on PATH?)"
            ))
        })?;
    Ok(out)
}

/// `run_tool`, which must succeed.
fn run_ok(program: &str, args: &[String]) -> Result<String> {
    stdout_of(program, args, run_tool(program, args)?)
}

/// A finished run's stdout, or its failure in one line.
fn stdout_of(program: &str, args: &[String], out: std::process::Output) -> Result<String> {
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        return Err(Error::op(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            crate::printable::printable(said.trim(), crate::printable::LINE)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn write_file(path: &Path, text: &str, executable: bool) -> Result<()> {
    let fail = |e: std::io::Error| Error::op(format!("writing {}: {e}", path.display()));
    // A config kept as a link into the user's dotfiles stays a link: the file it names changes.
    let linked = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let resolved = if linked {
        std::fs::canonicalize(path).map_err(fail)?
    } else {
        path.to_path_buf()
    };
    let path = resolved.as_path();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    crate::fsutil::write_atomic(path, text.as_bytes()).map_err(fail)?;
    if executable {
        crate::platform::make_executable(path).map_err(fail)?;
    }
    Ok(())
}

/// A file's text, or empty when there is none yet.
fn read_config(path: &Path) -> Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| Error::usage(format!("{} is not UTF-8 text", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::op(format!("reading {}: {e}", path.display()))),
    }
}

/// go keeps its GOAUTH setting in its own env file, written by `go env -w`.
fn go_plan(profile: &str, entries: &[Entry]) -> Plan {
    let mut plan = Plan::default();
    plan.steps.push(Step {
        says: format!("go env -w GOAUTH='tokex goauth {profile}'"),
        change: Change::Say,
    });
    if entries.iter().all(|e| e.scheme != "https") {
        plan.notes.push(format!(
            "go fetches only https URLs, and {profile} matches none"
        ));
    }
    plan.notes.push(
        "run that line to set it (it replaces any GOAUTH set before: `go env GOAUTH` shows it; join methods with `;`)".into(),
    );
    plan
}

/// Which tools name tokex, each with what it uses it for (`tokex doctor`).
pub fn in_use() -> Vec<(Tool, Result<Vec<String>>)> {
    let Some(base) = directories::BaseDirs::new() else {
        return Vec::new();
    };
    vec![
        (Tool::Git, git::in_use()),
        (Tool::Docker, docker::in_use(&docker::config_path(&base))),
        (Tool::Kubectl, kubectl::in_use()),
        (Tool::Pnpm, pnpm::in_use(&base)),
        (Tool::Uv, python::uv_in_use(&base)),
        (Tool::Pip, python::pip_in_use(&base)),
    ]
}

#[cfg(test)]
mod tests;

//! The commands that are not a caller's protocol: profiles, login and logout, status, doctor,
//! helper installation, completions. Each takes its streams, so tests drive it without a process.

pub mod account;
pub mod doctor;
pub mod install;
pub mod profile;
pub mod remote;
pub mod setup;
pub mod status;

use crate::error::Result;
use std::io::{BufRead, Write};

/// The process's streams, passed in so commands are testable without spawning the binary.
pub struct Io<'a> {
    pub stdin: &'a mut dyn BufRead,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// Whether stdin is a terminal, where `login` may prompt without echo.
    pub terminal: bool,
}

impl Io<'_> {
    /// A line for the user on stderr; a closed stderr is not worth failing for.
    pub fn say(&mut self, line: &str) {
        let _ = writeln!(self.stderr, "{line}");
    }
}

/// `tokex completions SHELL`: the script that makes SHELL ask tokex at each TAB, so profile
/// names complete as they are configured now.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<()> {
    let mut script = Vec::new();
    crate::cli::complete::registration(shell, &mut script)
        .map_err(|e| crate::error::Error::usage(e.to_string()))?;
    crate::callers::write(out, &String::from_utf8_lossy(&script))
}

//! Shell completion that asks tokex itself: the script `tokex completions SHELL` prints runs
//! `TOKEX_COMPLETE=SHELL tokex -- WORDS…` at each TAB, so arguments naming a profile complete
//! to the profiles configured now.

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

/// The environment variable that turns a run of tokex into a completion request.
pub const VAR: &str = "TOKEX_COMPLETE";

/// Completes a profile argument with the configured profile names.
pub fn profiles() -> ArgValueCandidates {
    ArgValueCandidates::new(profile_names)
}

/// The profiles of the config tokex would use; none when it cannot be read (a TAB never prints
/// an error into the command line).
fn profile_names() -> Vec<CompletionCandidate> {
    crate::config::Config::default_path()
        .and_then(|path| crate::config::Config::load(&path))
        .map(|config| {
            config
                .profiles
                .keys()
                .map(|name| CompletionCandidate::new(name.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// Answers a completion request, if this run is one, and exits; otherwise returns.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(<super::Cli as clap::CommandFactory>::command)
        .var(VAR)
        .completer("tokex")
        .complete();
}

/// Writes the script that registers tokex's completion with `shell`.
pub fn registration(
    shell: clap_complete::Shell,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let Some(completer) = shells.completer(&name) else {
        return Err(std::io::Error::other(format!("no completion for {name}")));
    };
    completer.write_registration(VAR, "tokex", "tokex", "tokex", out)
}

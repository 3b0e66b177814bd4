//! The hot path's hand-written grammar against clap's: whatever argv the hot path serves
//! itself, clap reads the same way; anything else goes to the engine. Never a panic.
#![no_main]
use clap::Parser;
use std::ffi::OsString;
use tokex::cli::{Cli, Command};
use tokex::fast::Fast;

const PROGRAMS: [&str; 4] = ["tokex", "git-credential-tokex", "docker-credential-tokex", "tokex.exe"];
const WORDS: [&str; 14] = [
    "token", "kubectl", "git", "docker", "get", "store", "--format", "--format=json", "header",
    "--min-valid", "5m", "--profile", "--refresh", "--",
];

fn clap_view(argv: &[OsString]) -> Option<Fast> {
    match Cli::try_parse_from(argv).ok()?.command {
        Command::Token { name, format, min_valid, refresh: false } => {
            Some(Fast::Token { name, format, min_valid })
        }
        Command::Kubectl { name } => Some(Fast::Kubectl { name }),
        Command::Git { profile, operation } if operation == "get" => Some(Fast::GitGet { profile }),
        Command::Docker { action } if action == "get" => Some(Fast::DockerGet),
        _ => None,
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let mut argv = vec![OsString::from(PROGRAMS[usize::from(first) % PROGRAMS.len()])];
    for piece in rest.split(|b| *b == 0).take(8) {
        // Short pieces pick a known word, so the grammar's neighbourhood is explored.
        let word = match piece {
            [n] => WORDS[usize::from(*n) % WORDS.len()].to_string(),
            _ => String::from_utf8_lossy(piece).into_owned(),
        };
        argv.push(OsString::from(word));
    }
    let argv = tokex::cli::with_entry_point(argv);
    if let Some(fast) = tokex::fast::parse(&argv) {
        assert_eq!(Some(fast), clap_view(&argv), "{argv:?}");
    }
});

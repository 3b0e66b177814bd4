use super::*;
use crate::cli::{Cli, Command};
use clap::Parser;

/// What clap's tree makes of `argv`, in the hot path's terms: `None` for anything the hot path
/// must leave to the engine.
fn clap_view(argv: &[OsString]) -> Option<Fast> {
    let cli = Cli::try_parse_from(argv).ok()?;
    match cli.command {
        Command::Token {
            name,
            format,
            min_valid,
            refresh: false,
        } => Some(Fast::Token {
            name,
            format,
            min_valid,
        }),
        Command::Kubectl { name } => Some(Fast::Kubectl { name }),
        Command::Git {
            profile,
            operation: crate::callers::git::Op::Get,
        } => Some(Fast::GitGet { profile }),
        Command::Docker {
            action: crate::callers::docker::Action::Get,
        } => Some(Fast::DockerGet),
        _ => None,
    }
}

fn argv(words: &[&str]) -> Vec<OsString> {
    crate::cli::with_entry_point(words.iter().map(OsString::from).collect())
}

/// Every entry point's argv the callers send, and neighbours of them the hot path must read as
/// clap does or leave alone.
const HOT: &[&[&str]] = &[
    &["tokex", "token", "acme"],
    &["tokex", "token", "acme", "--format", "header"],
    &["tokex", "token", "--format=json", "acme"],
    &[
        "tokex",
        "token",
        "acme",
        "--min-valid",
        "5m",
        "--format",
        "env",
    ],
    &["tokex", "token", "acme", "--min-valid=90"],
    &["tokex", "kubectl", "acme-vcd"],
    &["/usr/local/bin/tokex", "kubectl", "a.b_c-1"],
    &["tokex", "git", "get"],
    &["tokex", "git", "--profile", "forge", "get"],
    &["tokex", "git", "get", "--profile=forge"],
    &["git-credential-tokex", "get"],
    &[
        "/home/u/.local/bin/git-credential-tokex",
        "--profile",
        "p",
        "get",
    ],
    &["tokex", "docker", "get"],
    &["docker-credential-tokex", "get"],
];

const ENGINE: &[&[&str]] = &[
    &["tokex"],
    &["tokex", "token"],
    &["tokex", "token", "acme", "--refresh"],
    &["tokex", "token", "acme", "--format", "yaml"],
    &["tokex", "token", "acme", "--format"],
    &["tokex", "token", "acme", "--min-valid", "soon"],
    &[
        "tokex",
        "token",
        "acme",
        "--min-valid",
        "1m",
        "--min-valid",
        "2m",
    ],
    &["tokex", "token", "a", "b"],
    &["tokex", "token", "--", "acme"],
    &["tokex", "token", "-h"],
    &["tokex", "token", "acme", "--help"],
    &["tokex", "token", "acme", "--profile", "x"],
    &["tokex", "--version"],
    &["tokex", "kubectl"],
    &["tokex", "kubectl", "a", "--format", "json"],
    &["tokex", "git", "store"],
    &["tokex", "git", "erase"],
    &["tokex", "git", "capability"],
    &["git-credential-tokex", "store"],
    &["git-credential-tokex", "get", "extra"],
    &["tokex", "docker", "list"],
    &["docker-credential-tokex", "erase"],
    &["terraform-credentials-tokex", "get", "app.terraform.io"],
    &["cargo-credential-tokex", "--cargo-plugin"],
    &["tokex", "status"],
    &["tokex", "__refresh-ahead", "acme"],
    &["git-credential-tokex", "__refresh-ahead", "acme"],
];

#[test]
fn the_hot_path_reads_every_entry_point_as_clap_does() {
    for words in HOT {
        let args = argv(words);
        let fast = parse(&args);
        assert!(
            fast.is_some(),
            "the hot path leaves {words:?} to the engine"
        );
        assert_eq!(fast, clap_view(&args), "{words:?}");
    }
}

#[test]
fn everything_else_goes_to_the_engine() {
    for words in ENGINE {
        let args = argv(words);
        let fast = parse(&args);
        // (clap may accept some of these, `--` say: the engine then serves them.)
        assert_eq!(fast, None, "{words:?} is the engine's");
    }
}

#[test]
fn non_utf8_arguments_go_to_the_engine() {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let args = vec![
            OsString::from("tokex"),
            OsString::from("token"),
            OsString::from_vec(vec![0xff, 0xfe]),
        ];
        assert_eq!(parse(&args), None);
    }
}

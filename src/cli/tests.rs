use super::*;
use clap::CommandFactory;

#[test]
fn cli_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn every_subcommand_shows_an_example() {
    fn walk(cmd: &clap::Command, path: &str) {
        for sub in cmd.get_subcommands() {
            let path = format!("{path} {}", sub.get_name());
            if sub.has_subcommands() {
                walk(sub, &path);
                continue;
            }
            let help = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(help.contains("Example"), "`{path} --help` shows no example");
        }
    }
    walk(&Cli::command(), "tokex");
}

#[test]
fn a_missing_argument_is_named_on_one_line() {
    for (args, want) in [
        (&["tokex", "terraform", "get"][..], "<HOST>"),
        (&["tokex", "exec", "p"], "<CMD>"),
        (&["tokex", "docker"], "<ACTION>"),
    ] {
        let e = Cli::try_parse_from(args).unwrap_err();
        let line = one_line(&e);
        assert!(
            line.contains("required arguments were not provided"),
            "{line}"
        );
        assert!(line.contains(want) && !line.contains('\n'), "{line}");
    }
}

#[test]
fn install_helpers_help_names_every_entry_point() {
    let help = Cli::command()
        .find_subcommand("install-helpers")
        .unwrap()
        .get_about()
        .unwrap()
        .to_string();
    for (name, _) in ENTRY_POINTS {
        assert!(help.contains(name), "{name} missing from: {help}");
    }
}

#[test]
fn every_argument_of_every_command_has_a_line_of_help() {
    fn walk(cmd: &clap::Command, path: String, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_hide_set() || id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            if !sub.is_hide_set() {
                walk(sub, format!("{path} {}", sub.get_name()), missing);
            }
        }
    }
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    let mut missing = Vec::new();
    walk(&cmd, "tokex".into(), &mut missing);
    assert!(missing.is_empty(), "arguments without help: {missing:?}");
}

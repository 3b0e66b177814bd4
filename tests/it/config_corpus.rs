//! Configs that loaded before profiles became types (issue 24) still load, and mean the same:
//! the kept corpus in tests/data/configs/ (every key each provider took, and what the README's
//! `profile add` commands wrote), every ```toml block of the README, and every `tokex profile
//! add` the README shows, run through the binary.

#![cfg(target_os = "linux")]

use crate::support::idp::Idp;
use crate::support::*;
use std::collections::BTreeMap;
use std::path::Path;
use tokex::config::Config;

/// (where it came from, the config's text)
fn corpus() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/configs");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    let readme = include_str!("../../README.md");
    for (i, block) in readme.split("```toml\n").skip(1).enumerate() {
        let block = block.split("```").next().unwrap();
        if block.contains("[profiles.") {
            out.push((format!("README.md toml block {}", i + 1), block.to_string()));
        }
    }
    assert!(out.len() >= 3, "{out:?}");
    out
}

#[test]
fn every_config_in_the_corpus_loads_and_reads_back_the_same() {
    for (from, text) in corpus() {
        let config = Config::parse(Path::new("corpus.toml"), &text)
            .unwrap_or_else(|e| panic!("{from} no longer loads: {e}"));
        assert!(!config.profiles.is_empty(), "{from}");
        for (name, profile) in &config.profiles {
            let table = BTreeMap::from([("profiles", BTreeMap::from([(name, profile)]))]);
            let shown = toml_edit::ser::to_string_pretty(&table).unwrap();
            let again = Config::parse(Path::new("again.toml"), &shown)
                .unwrap_or_else(|e| panic!("{from}: {name} as written back does not load: {e}"));
            assert_eq!(&again.profiles[name], profile, "{from}: {name}");
        }
    }
}

#[test]
fn every_profile_add_flag_is_a_key_the_corpus_sets() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/configs/every-key.toml"),
    )
    .unwrap();
    // Every `--flag` of `profile add` is a key some profile in the corpus sets.
    let help = Env::keyutils().ok(&["profile", "add", "--help"]);
    let flags = help
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .filter(|f| !["help", "provider"].contains(f))
        .map(|f| match f {
            "id-token" => "use_id_token".to_string(),
            f => f.replace('-', "_"),
        });
    for key in flags {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{key} ="))),
            "every-key.toml sets no `{key}`"
        );
    }
}

#[test]
fn every_profile_add_in_the_readme_writes_a_profile_that_loads() {
    let env = Env::keyutils();
    let idp = Idp::start();
    let adds: Vec<String> = crate::readme::readme_commands()
        .into_iter()
        .filter(|c| c.starts_with("tokex profile add "))
        .collect();
    assert!(adds.len() >= 10, "{adds:?}");
    for cmd in &adds {
        // Discovery is read from a loopback IdP instead of the README's example host.
        let cmd = cmd.replace("https://sso.example.com/realms/corp", &idp.url());
        let words = crate::readme::words(&cmd);
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        env.ok(&args);
    }
    let listed = env.ok(&["profile", "list"]);
    assert_eq!(listed.lines().count(), adds.len(), "{listed}");
    let text = std::fs::read_to_string(env.config()).unwrap();
    let config = Config::parse(&env.config(), &text).unwrap();
    assert_eq!(config.profiles.len(), adds.len());
}

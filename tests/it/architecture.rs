//! The layering in ARCHITECTURE.md holds: every `crate::` import in `src/` is one its module's
//! line allows, the imports form no cycle, and no source file grows past 400 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;
/// Never imported by a caller, whatever the table says: callers get tokens from the broker.
const CALLERS_NEVER: [&str; 5] = ["cache", "stores", "providers", "http", "cli"];

fn allowed() -> BTreeMap<String, BTreeSet<String>> {
    let doc = include_str!("../../ARCHITECTURE.md");
    let block = doc
        .split("```imports\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("ARCHITECTURE.md has an ```imports block");
    block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (module, deps) = l.split_once(':').expect("`module: deps`");
            let deps = deps.split_whitespace().map(str::to_string).collect();
            (module.trim().to_string(), deps)
        })
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to: `src/callers/git.rs` → `callers`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    first.trim_end_matches(".rs").to_string()
}

/// Modules named after `crate::` (or `tokex::` in the binary), including `use crate::{a, b}`.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for prefix in ["crate::", "tokex::"] {
        for (at, _) in text.match_indices(prefix) {
            let rest = &text[at + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    out.insert(ident(item.trim()));
                }
            } else {
                out.insert(ident(rest));
            }
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines = text.lines().count();
        assert!(
            lines <= MAX_LINES,
            "{} has {lines} lines (at most {MAX_LINES}): it is probably two things",
            file.display()
        );
        let module = module_of(&src, &file);
        // A module's `tests.rs` may start a loopback server; it is not part of the program.
        if module == "lib" || file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(imports(&text).into_iter().filter(|m| *m != module));
    }
    graph
}

#[test]
fn every_import_is_allowed_by_architecture_md() {
    let allowed = allowed();
    for (module, deps) in graph() {
        let ok = allowed
            .get(&module)
            .unwrap_or_else(|| panic!("src/{module} has no line in ARCHITECTURE.md's imports"));
        for dep in &deps {
            assert!(
                ok.contains(dep),
                "{module} imports {dep}, which ARCHITECTURE.md does not allow"
            );
        }
        if module == "callers" {
            for never in CALLERS_NEVER {
                assert!(!deps.contains(never), "callers import {never}");
            }
        }
    }
}

/// The modules of `graph` that lie on an import cycle (none: an empty map).
fn on_cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<&str, BTreeSet<&str>> {
    // Repeatedly remove modules that import nothing left; whatever remains is on a cycle.
    let mut left: BTreeMap<&str, BTreeSet<&str>> = graph
        .iter()
        .map(|(m, d)| {
            let d = d
                .iter()
                .map(String::as_str)
                .filter(|x| graph.contains_key(*x));
            (m.as_str(), d.collect())
        })
        .collect();
    for _ in 0..graph.len() + 1 {
        let done: Vec<&str> = left
            .iter()
            .filter(|(_, d)| d.is_empty())
            .map(|(m, _)| *m)
            .collect();
        if done.is_empty() {
            break;
        }
        for m in &done {
            left.remove(m);
        }
        for deps in left.values_mut() {
            deps.retain(|d| !done.contains(d));
        }
    }
    left
}

#[test]
fn the_imports_form_no_cycle() {
    let graph = graph();
    let left = on_cycles(&graph);
    assert!(left.is_empty(), "modules on an import cycle: {left:?}");
}

/// Inside each folder module, which sibling files each file takes names from (`super::NAME`,
/// where NAME is a sibling): `src/broker/signin.rs` → `account`, `rules`.
fn sibling_graphs() -> BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut out: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let (Some(dir), Some(stem)) = (file.parent(), file.file_stem()) else {
            continue;
        };
        let stem = stem.to_string_lossy().to_string();
        if dir == src || stem == "mod" || stem == "tests" {
            continue;
        }
        let siblings: BTreeSet<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                e.ok()?
                    .path()
                    .file_stem()
                    .map(|s| s.to_string_lossy().into())
            })
            .collect();
        let text = std::fs::read_to_string(file).unwrap();
        let deps = text
            .match_indices("super::")
            .map(|(i, _)| ident(&text[i + "super::".len()..]))
            .filter(|name| name != &stem && siblings.contains(name))
            .collect();
        out.entry(dir.to_path_buf()).or_default().insert(stem, deps);
    }
    out
}

#[test]
fn inside_a_folder_the_files_form_no_cycle_and_the_broker_s_rules_are_a_leaf() {
    let graphs = sibling_graphs();
    for (dir, graph) in &graphs {
        let left = on_cycles(graph);
        assert!(
            left.is_empty(),
            "{}: files on an import cycle: {left:?}",
            dir.display()
        );
    }
    let broker = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/broker");
    let rules = std::fs::read_to_string(broker.join("rules.rs")).unwrap();
    assert!(
        !rules.contains("super::"),
        "broker/rules.rs holds the rules every broker file shares: it imports nothing of the broker's"
    );
    assert!(
        graphs[&broker]["signin"].contains("rules"),
        "the checker reads super:: imports"
    );
}

#[test]
fn the_checker_sees_what_it_must() {
    let text = "use crate::{broker::Tokens, error::Result};\nfn f() { crate::cache::x(); tokex::app::run(); }";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["app", "broker", "cache", "error"]);
}

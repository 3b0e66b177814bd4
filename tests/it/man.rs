//! `man/` is generated from the clap definitions: this test fails when it is out of date.
//! Regenerate with `TOKEX_UPDATE_MAN=1 cargo test --test it man::`.

use clap::CommandFactory;

/// (file name, page) for `tokex` and every subcommand, depth first.
fn pages() -> Vec<(String, Vec<u8>)> {
    fn walk(cmd: clap::Command, name: String, out: &mut Vec<(String, Vec<u8>)>) {
        // clap names are &'static without its `string` feature; a test can afford the leak.
        let title: &'static str = Box::leak(name.clone().into_boxed_str());
        let cmd = cmd.name(title).bin_name(name.replace('-', " "));
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .render(&mut page)
            .unwrap();
        out.push((format!("{name}.1"), page));
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" || sub.is_hide_set() {
                continue;
            }
            walk(sub.clone(), format!("{name}-{}", sub.get_name()), out);
        }
    }
    let mut out = Vec::new();
    let mut root = tokex::cli::Cli::command();
    root.build();
    walk(root, "tokex".into(), &mut out);
    out
}

#[test]
fn man_pages_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = pages();
    if std::env::var_os("TOKEX_UPDATE_MAN").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (name, page) in &pages {
            std::fs::write(dir.join(name), page).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, page) in &pages {
        if std::fs::read(dir.join(name)).ok().as_deref() != Some(page.as_slice()) {
            stale.push(name.clone());
        }
    }
    let on_disk = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert!(
        stale.is_empty() && on_disk == pages.len(),
        "man/ is out of date ({stale:?}, {on_disk} files for {} pages): run TOKEX_UPDATE_MAN=1 cargo test --test it man::",
        pages.len()
    );
}

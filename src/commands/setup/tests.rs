use super::*;

#[test]
fn entries_keep_scheme_host_and_path_as_tools_spell_them() {
    let e = Entry::parse("Git.Example.com:8443/team/");
    assert_eq!(
        e,
        Entry {
            scheme: "https".into(),
            host: "git.example.com:8443".into(),
            path: "team".into()
        }
    );
    assert_eq!(e.url(), "https://git.example.com:8443/team");
    assert_eq!(
        Entry::parse("http://127.0.0.1:9/").url(),
        "http://127.0.0.1:9"
    );
    assert_eq!(
        Entry::parse("https://u@h.example/a/b").url(),
        "https://h.example/a/b"
    );
}

#[cfg(unix)]
#[test]
fn a_linked_config_stays_a_link_and_its_target_changes() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("dotfiles-npmrc");
    std::fs::write(&real, "a=1\n").unwrap();
    let link = dir.path().join(".npmrc");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    write_file(&link, "a=1\nb=2\n", false).unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "a=1\nb=2\n");
}

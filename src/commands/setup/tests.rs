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

use super::*;

fn token() -> Token {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    Token {
        access_token: Secret::from("tok"),
        token_type: "Bearer".into(),
        obtained_at: now,
        expires_at: now + time::Duration::hours(1),
        refresh_token: Some(Secret::from("never-cached")),
    }
}

/// A cache in `dir` holding profile `p`'s token (key `k`) and a backoff record.
#[cfg(unix)]
fn with_token_and_backoff(dir: &Path) -> Cache {
    let c = Cache::at(dir);
    c.write("p", "k", &token());
    c.set_backoff(
        "p",
        Some(&Backoff {
            not_before: 1,
            failures: 1,
            status: Some(400),
            code: Some("invalid_grant".into()),
        }),
    );
    c
}

#[test]
fn round_trip_with_private_modes() {
    let d = tempfile::tempdir().unwrap();
    let c = Cache::at(&d.path().join("c"));
    c.write("p", "k", &token());
    let t = c.read("p", "k").unwrap();
    assert_eq!(t.access_token.expose(), "tok");
    assert!(t.refresh_token.is_none());
    let file = d.path().join("c/p.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(d.path().join("c"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
    }
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains("never-cached")
    );
    assert!(c.read("p", "other-key").is_none());
}

#[test]
fn corrupt_truncated_and_foreign_files_are_misses() {
    let d = tempfile::tempdir().unwrap();
    let c = Cache::at(d.path());
    for junk in [&b""[..], b"{", b"\xff\xfe", b"{\"v\":9}", b"[1,2]"] {
        std::fs::write(d.path().join("p.json"), junk).unwrap();
        assert!(c.read("p", "k").is_none());
    }
    c.write("p", "k", &token());
    assert!(c.read("p", "k").is_some());
}

#[cfg(unix)]
#[test]
fn entries_tokex_could_not_have_written_are_misses() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let c = with_token_and_backoff(d.path());
    assert!(c.read("p", "k").is_some() && c.backoff("p").is_some());
    let mode =
        |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    // A directory another user could write to: someone may have planted an entry.
    mode(d.path(), 0o733);
    assert!(c.read("p", "k").is_none() && c.backoff("p").is_none());
    mode(d.path(), 0o700);
    mode(&d.path().join("p.json"), 0o666);
    assert!(c.read("p", "k").is_none());
    // A FIFO where an entry belongs: a miss at once, never a hang.
    std::fs::remove_file(d.path().join("p.json")).unwrap();
    let fifo = std::ffi::CString::new(d.path().join("p.json").to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    assert!(c.read("p", "k").is_none());
    // A lock file others may write is not used (they could hold it forever).
    drop(c.lock("p").unwrap().unwrap());
    mode(&d.path().join("p.lock"), 0o622);
    assert!(c.lock("p").unwrap().is_none());
}

/// A directory nobody can create.
#[cfg(unix)]
const UNUSABLE_DIR: &str = "/proc/tokex-no-such-dir";
#[cfg(windows)]
const UNUSABLE_DIR: &str = r"C:\tokex<invalid>|name\dir";

#[test]
fn unwritable_dir_is_not_an_error() {
    let c = Cache::at(Path::new(UNUSABLE_DIR));
    c.write("p", "k", &token());
    assert!(c.read("p", "k").is_none());
    assert!(c.lock("p").unwrap().is_none());
    assert!(c.check_writable().is_err());
    let d = tempfile::tempdir().unwrap();
    assert_eq!(Cache::at(d.path()).check_writable().unwrap(), d.path());
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn forget_removes_token_backoff_and_free_locks_but_not_a_held_one() {
    let d = tempfile::tempdir().unwrap();
    let c = with_token_and_backoff(d.path());
    drop(c.lock("p").unwrap());
    drop(c.signin_lock("p").unwrap());
    let held = c.lock("q").unwrap().unwrap();
    assert!(c.forget("p").unwrap());
    assert!(!c.forget("q").unwrap());
    let left: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["q.lock"], "a held lock stays, nothing else does");
    drop(held);
    // A lock is taken only on the file its path still names (see lock_within).
    let path = d.path().join("r.lock");
    let opened = crate::platform::open_lock_file(&path).unwrap();
    assert!(crate::fsutil::names(&path, &opened));
    std::fs::remove_file(&path).unwrap();
    assert!(!crate::fsutil::names(&path, &opened));
    let _new = crate::platform::open_lock_file(&path).unwrap();
    assert!(
        !crate::fsutil::names(&path, &opened),
        "another file at the path"
    );
}

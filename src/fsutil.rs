//! Private files (directories 0700 and files 0600 on Unix, an ACL for the user alone on Windows:
//! see `platform`), written whole or not at all, and never through a symlink someone planted in
//! our place.

use crate::platform;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

/// Creates `dir` (and parents) private to the user if missing; refuses a symlink or a
/// directory owned by another user, and tightens a looser one we own.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            platform::create_private_dir(dir)?;
            let meta = fs::symlink_metadata(dir)?;
            check_dir(dir, &meta)
        }
        Err(e) => Err(e),
        Ok(meta) => check_dir(dir, &meta),
    }
}

fn check_dir(dir: &Path, meta: &fs::Metadata) -> io::Result<()> {
    if !meta.file_type().is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory (a symlink is refused)",
            dir.display()
        )));
    }
    platform::check_private_dir(dir, meta)
}

/// Writes `bytes` to a private temporary file beside `path` and renames it into place, so a
/// reader sees the old content or the new, never half; rename replaces a planted symlink, never
/// follows it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.exists() {
        ensure_private_dir(dir)?;
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tokex-");
    if let Some(permissions) = platform::private_file_permissions() {
        builder.permissions(permissions);
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    persist(tmp, path)
}

/// Renames into place with std's rename, not tempfile's: on Windows 10 and later it replaces
/// with POSIX semantics, so a reader holding the old file open does not make the replace fail.
/// Where that is not available, a process that opened the file without delete sharing (a virus
/// scanner, an indexer) blocks it for a moment: a few short retries ride that out.
fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    let kept = tmp.into_temp_path().keep().map_err(|e| e.error)?;
    let mut pause = std::time::Duration::from_millis(5);
    let mut attempt = 0;
    loop {
        match fs::rename(&kept, path) {
            Ok(()) => return Ok(()),
            Err(e)
                if platform::RENAME_MAY_BE_BLOCKED
                    && e.kind() == io::ErrorKind::PermissionDenied
                    && attempt < 6 =>
            {
                attempt += 1;
                std::thread::sleep(pause);
                pause *= 2;
            }
            Err(e) => {
                let _ = fs::remove_file(&kept);
                return Err(e);
            }
        }
    }
}

/// Opens an existing file for reading without following a symlink.
pub fn open_nofollow(path: &Path) -> io::Result<File> {
    platform::open_nofollow(path)
}

pub use platform::{Owner, open_dir_nofollow};

/// Opens a file that decides which token is served or where a secret goes, for reading: it is
/// used only if it and its directory are regular, owned as `owner` says and writable by nobody
/// else, checked on the opened descriptors (so what is checked is what is read). A FIFO does
/// not block the open. Anything else is an error of kind `PermissionDenied` naming the problem.
pub fn open_trusted(path: &Path, owner: Owner) -> io::Result<File> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    check_trusted(&platform::open_dir_nofollow(dir)?, dir, owner)?;
    let file = platform::open_nofollow(path)?;
    check_trusted(&file, path, owner)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is a directory", path.display()),
        ));
    }
    Ok(file)
}

/// Refuses an opened file or directory that is not trustworthy (see [`open_trusted`]).
pub fn check_trusted(file: &File, shown: &Path, owner: Owner) -> io::Result<()> {
    match platform::trust_problem(file, owner)? {
        None => Ok(()),
        Some(problem) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} {problem}", shown.display()),
        )),
    }
}

/// Reads at most `limit` bytes; more is an error rather than an unbounded allocation. The buffer
/// is sized from the file's length once, so it is not grown by copying: no outgrown buffer is
/// freed with part of a secret or token in it.
pub fn read_limited(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let len = file.metadata().map_or(0, |m| m.len()).min(limit);
    // One byte more, so that the read which finds the end fits too.
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1);
    (&file).take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(buf)
}

/// Whether `path` still names the file `file` was opened from (same device and inode): false
/// once it was unlinked or replaced. Windows keeps a file's name while it is open here, so
/// there it always does.
pub fn names(path: &Path, file: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::symlink_metadata(path), file.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn atomic_write_sets_mode_and_replaces_symlink() {
        use std::os::unix::fs::MetadataExt;
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("victim");
        fs::write(&target, "keep").unwrap();
        let path = d.path().join("f");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let meta = fs::symlink_metadata(&path).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.mode() & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn private_dir_refuses_symlink_and_tightens_mode() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        fs::create_dir(&real).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&real).unwrap();
        assert_eq!(fs::metadata(&real).unwrap().mode() & 0o777, 0o700);
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(ensure_private_dir(&link).is_err());
        assert!(open_nofollow(&link.join("x")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn only_the_users_own_private_files_are_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("c");
        ensure_private_dir(&dir).unwrap();
        let file = dir.join("p.json");
        write_atomic(&file, b"{}").unwrap();
        open_trusted(&file, Owner::User).unwrap();
        let mode = |p: &Path, m| fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
        mode(&file, 0o620);
        let e = open_trusted(&file, Owner::User).unwrap_err();
        assert!(e.to_string().contains("chmod go-w"), "{e}");
        mode(&file, 0o600);
        mode(&dir, 0o777);
        let e = open_trusted(&file, Owner::User).unwrap_err();
        assert!(e.to_string().contains("writable by group or others"), "{e}");
        // A sticky world-writable directory (/tmp) holds trusted configs, not tokex's own files.
        mode(&dir, 0o1777);
        assert!(open_trusted(&file, Owner::User).is_err());
        open_trusted(&file, Owner::UserOrAdmin).unwrap();
        mode(&dir, 0o700);
        // A FIFO in a file's place neither blocks nor is read.
        let fifo = dir.join("f.json");
        let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        let e = open_trusted(&fifo, Owner::User).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert!(open_trusted(&dir, Owner::User).is_err());
    }

    #[cfg(windows)]
    #[test]
    fn a_file_is_replaced_while_another_process_reads_it() {
        use std::io::Read;
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("p.json");
        write_atomic(&path, b"old").unwrap();
        // std opens with FILE_SHARE_DELETE, as every tokex reader does.
        let mut reader = open_nofollow(&path).unwrap();
        let replaced = write_atomic(&path, b"new");
        let mut seen = String::new();
        if platform::under_wine() {
            // Wine has no POSIX-semantics rename (Windows 10 1809 and later, on NTFS): there the
            // replace is refused while the reader holds the file, and must fail cleanly.
            assert!(replaced.is_err());
            reader.read_to_string(&mut seen).unwrap();
            assert_eq!(seen, "old");
            assert_eq!(
                std::fs::read_dir(d.path()).unwrap().count(),
                1,
                "a temp file left"
            );
            return;
        }
        replaced.unwrap();
        reader.read_to_string(&mut seen).unwrap();
        assert_eq!(seen, "old", "the open reader keeps what it opened");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}

//! Private files: directories 0700, files 0600, written whole or not at all, and never through
//! a symlink someone planted in our place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `dir` (and parents) with `mode` if missing; refuses a symlink or a directory owned by
/// another user, and tightens a looser mode we own.
pub fn ensure_private_dir(dir: &Path, mode: u32) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(dir)?;
            let meta = fs::symlink_metadata(dir)?;
            check_dir(dir, &meta, mode)
        }
        Err(e) => Err(e),
        Ok(meta) => check_dir(dir, &meta, mode),
    }
}

fn check_dir(dir: &Path, meta: &fs::Metadata, mode: u32) -> io::Result<()> {
    if !meta.file_type().is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory (a symlink is refused)",
            dir.display()
        )));
    }
    if meta.uid() != current_uid() {
        return Err(io::Error::other(format!(
            "{} is owned by another user",
            dir.display()
        )));
    }
    if meta.mode() & 0o777 & !mode != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

pub fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so a reader sees
/// the old content or the new, never half; rename replaces a planted symlink, never follows it.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32, dir_mode: u32) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.exists() {
        ensure_private_dir(dir, dir_mode)?;
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".tokex-")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Opens an existing file for reading without following a symlink.
pub fn open_nofollow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Reads at most `limit` bytes; more is an error rather than an unbounded allocation.
pub fn read_limited(mut file: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    file.by_ref().take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_sets_mode_and_replaces_symlink() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("victim");
        fs::write(&target, "keep").unwrap();
        let path = d.path().join("f");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        write_atomic(&path, b"new", 0o600, 0o700).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let meta = fs::symlink_metadata(&path).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.mode() & 0o777, 0o600);
    }

    #[test]
    fn private_dir_refuses_symlink_and_tightens_mode() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        fs::create_dir(&real).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&real, 0o700).unwrap();
        assert_eq!(fs::metadata(&real).unwrap().mode() & 0o777, 0o700);
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(ensure_private_dir(&link, 0o700).is_err());
        assert!(open_nofollow(&link.join("x")).is_err());
    }
}

//! `tokex install-helpers`: entry points named after each tool's helper convention (with
//! `.exe` on Windows), pointing at the `tokex` program, in the places each tool searches: PATH for git,
//! docker, cargo and bazel, terraform's plugin directory for terraform (which never searches
//! PATH). Symlinks on Unix; hard links, or copies, on Windows.

use super::Io;
use crate::cli::{ENTRY_POINTS, KEYRING_ENTRY_POINT};
use crate::error::{Error, Result};
use crate::platform;
use std::path::{Path, PathBuf};

/// Bytes every tokex binary carries, so an entry point made as a copy (or a hard link) can be
/// told from someone else's program before it is replaced.
#[used]
static MARKER: [u8; 32] = *b"tokex entry point: safe to swap\n";

pub fn helpers(dir: Option<PathBuf>, keyring: bool, io: &mut Io) -> Result<()> {
    let exe = entry_target().map_err(|e| Error::op(format!("finding this program's path: {e}")))?;
    let base =
        directories::BaseDirs::new().ok_or_else(|| Error::op("no home directory (set HOME)"))?;
    let bin = dir.unwrap_or_else(|| platform::default_helper_dir(&base));
    let plugins = platform::terraform_plugin_dir(&base);
    let opted_in = keyring.then_some(KEYRING_ENTRY_POINT);
    let entries: Vec<PathBuf> = ENTRY_POINTS
        .into_iter()
        .chain(opted_in)
        .map(|(name, sub)| {
            let dir = if sub == "terraform" { &plugins } else { &bin };
            dir.join(format!("{name}{}", platform::EXE_SUFFIX))
        })
        .collect();
    // Someone else's file in the way stops everything before anything changes.
    for entry in &entries {
        check_entry(&exe, entry)?;
    }
    for entry in entries {
        install_entry(&exe, &entry)?;
        io.say(&format!(
            "tokex: {} -> {} ({})",
            entry.display(),
            exe.display(),
            platform::HELPER_LINK
        ));
    }
    let on_path =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d == bin));
    if !on_path {
        io.say(&format!(
            "tokex: note: {} is not on PATH, where git, docker, cargo and bazel look for their helpers: {}",
            bin.display(),
            platform::path_hint(&bin)
        ));
    }
    if platform::HELPERS_ARE_COPIES {
        io.say("tokex: note: the entry points are copies or hard links: run `tokex install-helpers` again after upgrading tokex");
    }
    Ok(())
}

/// What the entry points run. On Unix, links to `tokex`, whose hot path answers cache hits and
/// finds `tokex-engine` beside itself through the link. On Windows the entry points are copies
/// in other directories, where nothing stands beside them: copies of the engine, which needs
/// nothing else.
pub(super) fn entry_target() -> std::io::Result<PathBuf> {
    let engine = std::env::current_exe()?.canonicalize()?;
    if platform::HELPERS_ARE_COPIES {
        return Ok(engine);
    }
    match platform::sibling_program("tokex").and_then(|p| p.canonicalize()) {
        Ok(front) if front != engine => Ok(front),
        _ => Ok(engine),
    }
}

/// Whether an entry point is already this binary (`Ok(true)`: nothing to do), may be made or
/// replaced (`Ok(false)`), or is someone else's file, never replaced.
fn check_entry(target: &Path, entry: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(entry) {
        // A link to someone else's program (pipx's `keyring`, say) is theirs; a dangling one,
        // or one to any tokex, is replaced.
        Ok(m) if m.file_type().is_symlink() => {
            if entry.exists() && existing(entry, target) == Existing::Foreign {
                return Err(not_ours(entry));
            }
            Ok(false)
        }
        Ok(m) if m.is_file() => match existing(entry, target) {
            // Already this very binary (a hard link, or a copy of it): nothing to do. Replacing
            // it would also fail on Windows, which keeps every name of a running program.
            Existing::This => Ok(true),
            Existing::OtherTokex => Ok(false),
            Existing::Foreign => Err(not_ours(entry)),
        },
        Ok(_) => Err(not_ours(entry)),
        Err(_) => Ok(false),
    }
}

/// Creates or replaces an entry point that [`check_entry`] allows.
fn install_entry(target: &Path, entry: &Path) -> Result<()> {
    let fail =
        |what: &str, e: std::io::Error| Error::op(format!("{what} {}: {e}", entry.display()));
    let dir = entry.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail("creating the directory for", e))?;
    if check_entry(target, entry)? {
        return Ok(());
    }
    // A new entry beside the old one, renamed over it: the helper never goes missing midway.
    let tmp = dir.join(format!(
        ".{}.tokex-{}",
        entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("entry"),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    platform::link_helper(target, &tmp).map_err(|e| fail("making", e))?;
    let renamed = std::fs::rename(&tmp, entry).map_err(|e| fail("installing", e));
    // Also after success: renaming a hard link over another link to the same file succeeds and
    // leaves both names (POSIX rename; Wine does the same).
    let _ = std::fs::remove_file(&tmp);
    renamed
}

fn not_ours(entry: &Path) -> Error {
    Error::usage(format!(
        "{} exists and is not tokex; move it away or choose another --dir",
        entry.display()
    ))
}

/// What a regular file where an entry point goes is.
#[derive(Debug, PartialEq)]
enum Existing {
    /// The same bytes as this binary.
    This,
    /// Another tokex binary (it carries [`MARKER`]): an earlier version's copy, safe to replace.
    OtherTokex,
    /// Someone else's file, or one that cannot be read.
    Foreign,
}

fn existing(entry: &Path, this: &Path) -> Existing {
    let Ok(bytes) = std::fs::read(entry) else {
        return Existing::Foreign;
    };
    if std::fs::read(this).is_ok_and(|own| own == bytes) {
        Existing::This
    } else if bytes.windows(MARKER.len()).any(|w| w == MARKER) {
        Existing::OtherTokex
    } else {
        Existing::Foreign
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_tokex_binary_or_a_link_is_replaced() {
        let d = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let entry = d.path().join("git-credential-tokex");
        std::fs::write(&entry, "#!/bin/sh\necho someone else's\n").unwrap();
        let e = install_entry(&exe, &entry).unwrap_err();
        assert!(e.to_string().contains("is not tokex"), "{e}");
        assert!(
            std::fs::read_to_string(&entry)
                .unwrap()
                .contains("someone else's")
        );
        // An older tokex (it carries the marker) is replaced by this one; this one is kept.
        std::fs::write(&entry, [&b"older tokex "[..], &MARKER[..]].concat()).unwrap();
        assert_eq!(existing(&entry, &exe), Existing::OtherTokex);
        install_entry(&exe, &entry).unwrap();
        assert_eq!(existing(&entry, &exe), Existing::This);
        install_entry(&exe, &entry).unwrap();
        assert_eq!(existing(&entry, &exe), Existing::This);
        let left: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }
}

//! `tokex install-helpers`: symlinks named after each tool's helper convention, pointing at this
//! binary, in the places each tool searches: PATH for git and docker, `~/.terraform.d/plugins`
//! for terraform (which never searches PATH).

use super::Io;
use crate::cli::ENTRY_POINTS;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

pub fn helpers(dir: Option<PathBuf>, io: &mut Io) -> Result<()> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::op(format!("finding this program's path: {e}")))?;
    let base =
        directories::BaseDirs::new().ok_or_else(|| Error::op("no home directory (set HOME)"))?;
    let bin = match dir {
        Some(d) => d,
        None => base
            .executable_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| base.home_dir().join(".local/bin")),
    };
    let plugins = base.home_dir().join(".terraform.d").join("plugins");
    for (name, sub) in ENTRY_POINTS {
        let dir = if sub == "terraform" { &plugins } else { &bin };
        let link = dir.join(name);
        install_link(&exe, &link)?;
        io.say(&format!("tokex: {} -> {}", link.display(), exe.display()));
    }
    let on_path =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d == bin));
    if !on_path {
        io.say(&format!(
            "tokex: note: {} is not on PATH; git, docker, cargo and bazel look for their helpers there",
            bin.display()
        ));
    }
    Ok(())
}

/// Creates or replaces a symlink, never a regular file someone put there.
fn install_link(target: &Path, link: &Path) -> Result<()> {
    let fail = |what: &str, e: std::io::Error| Error::op(format!("{what} {}: {e}", link.display()));
    let dir = link.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail("creating the directory for", e))?;
    match std::fs::symlink_metadata(link) {
        Ok(m) if !m.file_type().is_symlink() => {
            return Err(Error::usage(format!(
                "{} exists and is not a symlink; move it away or choose another --dir",
                link.display()
            )));
        }
        _ => {}
    }
    // A new link beside the old one, renamed over it: the helper never goes missing midway.
    let tmp = dir.join(format!(
        ".{}.tokex-{}",
        link.file_name().and_then(|n| n.to_str()).unwrap_or("link"),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).map_err(|e| fail("linking", e))?;
    std::fs::rename(&tmp, link).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail("installing", e)
    })
}

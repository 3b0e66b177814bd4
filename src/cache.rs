//! The token cache: one 0600 JSON file per profile in a 0700 directory, written atomically, read
//! only if it and its directory are the user's own and writable by nobody else (checked on the
//! opened descriptors, a FIFO never blocking), and a miss unless it carries the key its reader
//! expects (the broker derives it from everything that shapes the token). A hit costs one small file read. A miss is serialised per profile by an OS file lock, which dies with its holder.

use crate::error::{Error, Result};
use crate::fsutil::{self, Owner};
use crate::sensitive::Secret;
use crate::token::Token;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const VERSION: u32 = 1;
const MAX_FILE: u64 = 256 * 1024;
/// Longer than one exchange can take (its timeout, retries included), so a live holder is waited
/// for and only a wedged one is reported.
const LOCK_WAIT: Duration = Duration::from_secs(120);

#[derive(Serialize, Deserialize)]
struct Entry {
    v: u32,
    key: String,
    access_token: Secret,
    token_type: String,
    obtained_at: i64,
    expires_at: i64,
}

/// A failed background refresh: no other starts before `not_before` (Unix seconds).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Backoff {
    pub not_before: i64,
    /// Failures in a row: the wait doubles with each.
    pub failures: u32,
    /// The last refusal's HTTP status and error code, when a server refused: codes only, never
    /// the server's prose, which could echo what it was sent.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub code: Option<String>,
}

impl Backoff {
    /// `HTTP 400 invalid_grant`, or that no server refused (a timeout, a store).
    pub fn reason(&self) -> String {
        match (self.status, &self.code) {
            (Some(s), Some(c)) => format!(
                "HTTP {s} {}",
                crate::printable::printable(c, crate::printable::SHORT)
            ),
            (Some(s), None) => format!("HTTP {s}"),
            _ => "no answer, or not from a server".into(),
        }
    }
}

pub struct Cache {
    dir: Option<PathBuf>,
}

/// Held while a profile's token is being exchanged; the OS releases it if the process dies.
pub struct Lock {
    _file: File,
}

impl Cache {
    /// `$TOKEX_CACHE_DIR`, else the platform's cache directory for tokex. No I/O.
    pub fn locate() -> Cache {
        let dir = std::env::var_os("TOKEX_CACHE_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            // Relative: no cache at all (the engine refuses it with a message).
            .filter(|d| d.is_absolute())
            .or_else(|| {
                directories::ProjectDirs::from("", "", "tokex").map(|d| d.cache_dir().to_path_buf())
            });
        Cache { dir }
    }

    pub fn at(dir: &Path) -> Cache {
        Cache {
            dir: Some(dir.to_path_buf()),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn file(&self, name: &str, ext: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{name}.{ext}")))
    }

    /// The cached token, if there is one for this exact profile; anything unreadable, corrupt,
    /// foreign or stale is a miss, noted at debug level, never an error.
    pub fn read(&self, name: &str, key: &str) -> Option<Token> {
        let path = self.file(name, "json")?;
        let file = match fsutil::open_trusted(&path, Owner::User) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                crate::log::debug(|| format!("cache {}: {e}; ignored", path.display()));
                return None;
            }
        };
        let mut bytes = match fsutil::read_limited(file, MAX_FILE) {
            Ok(b) => b,
            Err(e) => {
                crate::log::debug(|| format!("cache {}: {e}; ignored", path.display()));
                return None;
            }
        };
        let parsed = serde_json::from_slice::<Entry>(&bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        let entry = match parsed {
            Ok(e) if e.v == VERSION && e.key == key => e,
            Ok(_) => {
                crate::log::debug(|| {
                    format!(
                        "cache {}: for another profile version; ignored",
                        path.display()
                    )
                });
                return None;
            }
            Err(e) => {
                crate::log::debug(|| {
                    format!(
                        "cache {}: corrupt ({:?}); ignored",
                        path.display(),
                        e.classify()
                    )
                });
                return None;
            }
        };
        let at = |s| OffsetDateTime::from_unix_timestamp(s).ok();
        Some(Token {
            access_token: entry.access_token.clone(),
            token_type: entry.token_type.clone(),
            obtained_at: at(entry.obtained_at)?,
            expires_at: at(entry.expires_at)?,
            refresh_token: None,
        })
    }

    /// Stores the token; a cache that cannot be written is a debug note, never a failure.
    pub fn write(&self, name: &str, key: &str, token: &Token) {
        let Some(path) = self.file(name, "json") else {
            return;
        };
        let entry = Entry {
            v: VERSION,
            key: key.to_string(),
            access_token: token.access_token.clone(),
            token_type: token.token_type.clone(),
            obtained_at: token.obtained_at.unix_timestamp(),
            expires_at: token.expires_at.unix_timestamp(),
        };
        let mut bytes = serde_json::to_vec(&entry).unwrap_or_default();
        let result = self.ensure_dir().and_then(|_| {
            fsutil::write_atomic(&path, &bytes).map_err(|e| Error::op(e.to_string()))
        });
        zeroize::Zeroize::zeroize(&mut bytes);
        if let Err(e) = result {
            crate::log::debug(|| {
                format!(
                    "cache {}: not written ({e}); token served uncached",
                    path.display()
                )
            });
        }
    }

    pub fn remove(&self, name: &str) -> Result<bool> {
        self.set_backoff(name, None);
        let Some(path) = self.file(name, "json") else {
            return Ok(false);
        };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::op(format!("removing {}: {e}", path.display()))),
        }
    }

    /// Everything the cache keeps for a profile: its token, its backoff record, and (on Unix)
    /// its lock files when no process holds them (one that does is using the profile right
    /// now; its file stays). Returns whether there was a token.
    pub fn forget(&self, name: &str) -> Result<bool> {
        let had = self.remove(name)?;
        #[cfg(unix)]
        for ext in ["lock", "signin"] {
            // Unlinked only while held, and a lock is taken only on the file its path still
            // names (see lock_within), so no two processes can ever both hold a profile's lock.
            if let (Some(_held), Some(path)) = (
                self.lock_within(name, ext, Duration::ZERO).ok().flatten(),
                self.file(name, ext),
            ) && let Err(e) = std::fs::remove_file(&path)
            {
                crate::log::debug(|| format!("{}: {e}", path.display()));
            }
        }
        Ok(had)
    }

    /// Takes the profile's exchange lock, waiting (bounded) for another process that holds it.
    /// `Ok(None)` when the cache directory is unusable: then there is nothing to protect.
    pub fn lock(&self, name: &str) -> Result<Option<Lock>> {
        self.lock_file(name, "lock")
    }

    /// A second lock per profile, held through an interactive sign-in (minutes, not the
    /// milliseconds of an exchange), so two callers that both find no refresh token do not
    /// both send the user to the browser.
    pub fn signin_lock(&self, name: &str) -> Result<Option<Lock>> {
        self.lock_file(name, "signin")
    }

    /// The exchange lock if no other process holds it now, without waiting: `None` when one
    /// does (an exchange or a background refresh is under way) or the cache is unusable.
    pub fn lock_if_free(&self, name: &str) -> Option<Lock> {
        self.lock_within(name, "lock", Duration::ZERO)
            .ok()
            .flatten()
    }

    /// What the last failed background refresh left: when the next may start, and why.
    pub fn backoff(&self, name: &str) -> Option<Backoff> {
        let path = self.file(name, "backoff")?;
        let mut text = Vec::new();
        let file = match fsutil::open_trusted(&path, Owner::User) {
            Ok(f) => f,
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    crate::log::debug(|| format!("{}: {e}; ignored", path.display()));
                }
                return None;
            }
        };
        std::io::Read::read_to_end(&mut std::io::Read::take(file, 4096), &mut text).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Records a failed background refresh; `None` clears the record after a good one.
    pub fn set_backoff(&self, name: &str, backoff: Option<&Backoff>) {
        let Some(path) = self.file(name, "backoff") else {
            return;
        };
        let done = match backoff {
            Some(b) => fsutil::write_atomic(&path, &serde_json::to_vec(b).unwrap_or_default()),
            None => std::fs::remove_file(&path).or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            }),
        };
        if let Err(e) = done {
            crate::log::debug(|| format!("{}: {e}", path.display()));
        }
    }

    fn lock_file(&self, name: &str, ext: &str) -> Result<Option<Lock>> {
        self.lock_within(name, ext, LOCK_WAIT)
    }

    fn lock_within(&self, name: &str, ext: &str, wait: Duration) -> Result<Option<Lock>> {
        let Some(path) = self.file(name, ext) else {
            return Ok(None);
        };
        if let Err(e) = self.ensure_dir() {
            crate::log::debug(|| format!("cache unusable ({e}); no lock, no cache"));
            return Ok(None);
        }
        let open = || {
            crate::platform::open_lock_file(&path)
                .and_then(|f| fsutil::check_trusted(&f, &path, Owner::User).map(|()| f))
        };
        let mut file = match open() {
            Ok(f) => f,
            Err(e) => {
                crate::log::debug(|| format!("lock {}: {e}; going on without it", path.display()));
                return Ok(None);
            }
        };
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                // `forget` unlinks a lock file it holds: one opened before that is held by
                // nobody else, but a new file may now stand at the path; take that one.
                Ok(()) if !fsutil::names(&path, &file) => match open() {
                    Ok(f) if start.elapsed() < wait + LOCK_WAIT => file = f,
                    _ => return Ok(None),
                },
                Ok(()) => return Ok(Some(Lock { _file: file })),
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::op(format!(
                        "another tokex process has held {} for {}s; if none is running, delete that file",
                        path.display(),
                        wait.as_secs()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    crate::log::debug(|| {
                        format!("lock {}: {e}; going on without it", path.display())
                    });
                    return Ok(None);
                }
            }
        }
    }

    /// Tests by doing: the directory is created if missing, and a file is written in it and
    /// removed. The directory, or why the cache cannot be used.
    pub fn check_writable(&self) -> Result<&Path> {
        let dir = self.ensure_dir()?;
        let probe = dir.join(format!(".tokex-probe-{}", std::process::id()));
        fsutil::write_atomic(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|e| Error::op(format!("{}: {e}", dir.display())))?;
        Ok(dir)
    }

    /// The cache directory, created private if missing (and made private if it was not).
    fn ensure_dir(&self) -> Result<&Path> {
        match &self.dir {
            Some(d) => fsutil::ensure_private_dir(d)
                .map(|()| d.as_path())
                .map_err(|e| Error::op(format!("{}: {e}", d.display()))),
            None => Err(Error::op(
                "no cache directory (no home directory and no TOKEX_CACHE_DIR)",
            )),
        }
    }
}

#[cfg(test)]
mod tests;

//! The Windows Credential Manager: the generic credential `tokex:PROFILE`, listed in Control
//! Panel > Credential Manager > Windows Credentials and by `cmdkey /list:tokex*`, kept on this
//! machine (not roamed) until deleted.
//!
//! A credential holds at most 2560 bytes, and refresh tokens and JWTs from real identity
//! providers are often longer. Such a secret is split over `tokex:PROFILE#G1` … `#GN`, where
//! the generation G alternates between `a` and `b`, written first; `tokex:PROFILE` is written
//! last and names the generation, the count and the secret's SHA-256. A reader sees the old
//! secret or the new one, never a mix: a partial or mismatched set reads as absent, and a
//! writer killed midway leaves the old header pointing at the old, intact generation. Chunks
//! nobody points at are swept after each write.

use super::{Choice, Description, MAX_SECRET, Role, Store};
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use keyring_core::{CredentialStore, Entry};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// `CRED_MAX_CREDENTIAL_BLOB_SIZE`.
const BLOB_MAX: usize = 2560;
const MAX_CHUNKS: usize = (MAX_SECRET as usize).div_ceil(BLOB_MAX);
/// Starts a header; a secret starts with no NUL (it is text typed or pasted), so a header is
/// never mistaken for a secret kept whole.
const HEADER: &str = "\0tokex-chunks v1 ";

pub struct Wincred {
    inner: Arc<CredentialStore>,
}

/// Opening costs nothing: the Credential Manager is always there for a logged-in user.
pub fn open(_choice: Choice) -> Result<Wincred> {
    let inner = windows_native_keyring_store::Store::new()
        .map_err(|_| Error::op("the Windows Credential Manager store did not open"))?;
    Ok(Wincred { inner })
}

/// Where the chunks of a long secret are, as its header says.
#[derive(Debug, PartialEq)]
struct Header {
    generation: char,
    count: usize,
    sha256: String,
}

impl Header {
    fn encode(&self) -> String {
        format!("{HEADER}{} {} {}", self.generation, self.count, self.sha256)
    }

    /// `None` for a blob that is a secret kept whole; `Some(Err)` for a header that is corrupt.
    fn decode(blob: &[u8]) -> Option<std::result::Result<Header, ()>> {
        let rest = blob.strip_prefix(HEADER.as_bytes())?;
        let parse = || {
            let text = std::str::from_utf8(rest).map_err(|_| ())?;
            let mut fields = text.split(' ');
            let generation = match fields.next() {
                Some("a") => 'a',
                Some("b") => 'b',
                _ => return Err(()),
            };
            let count: usize = fields.next().and_then(|n| n.parse().ok()).ok_or(())?;
            let sha256 = fields.next().ok_or(())?.to_string();
            if !(2..=MAX_CHUNKS).contains(&count) || sha256.len() != 64 || fields.next().is_some() {
                return Err(());
            }
            Ok(Header {
                generation,
                count,
                sha256,
            })
        };
        Some(parse())
    }
}

fn other(generation: char) -> char {
    if generation == 'a' { 'b' } else { 'a' }
}

fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Wincred {
    fn entry(&self, target: &str) -> Result<Entry> {
        let modifiers = HashMap::from([("target", target), ("persistence", "Local")]);
        self.inner
            .build(super::SERVICE, target, Some(&modifiers))
            .map_err(|e| self.failed("opening", &e))
    }

    fn header_target(account: &str) -> String {
        format!("{}:{account}", super::SERVICE)
    }

    fn chunk_target(account: &str, generation: char, n: usize) -> String {
        format!("{}:{account}#{generation}{n}", super::SERVICE)
    }

    /// The blob at `target`; `None` when there is none.
    fn read(&self, target: &str) -> Result<Option<Vec<u8>>> {
        match self.entry(target)?.get_secret() {
            Ok(blob) => Ok(Some(blob)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.failed("reading the secret from", &e)),
        }
    }

    fn write(&self, target: &str, blob: &[u8]) -> Result<()> {
        self.entry(target)?
            .set_secret(blob)
            .map_err(|e| self.failed("writing the secret to", &e))
    }

    /// Deletes `target`: `Ok(false)` when there was none.
    fn remove(&self, target: &str) -> Result<bool> {
        match self.entry(target)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.failed("deleting from", &e)),
        }
    }

    /// Deletes one generation's chunks from `from` on. Not only up to the first gap: a chunk
    /// may have been removed by hand (or by a crash) from the middle of a set.
    fn sweep(&self, account: &str, generation: char, from: usize) {
        for n in from..=MAX_CHUNKS {
            if let Err(e) = self.remove(&Self::chunk_target(account, generation, n)) {
                crate::log::debug(|| format!("sweeping a stale chunk: {}", e.message()));
            }
        }
    }

    fn current(&self, account: &str) -> Option<Header> {
        let blob = self.read(&Self::header_target(account)).ok()??;
        Header::decode(&blob)?.ok()
    }

    fn assemble(&self, account: &str, header: &Header) -> Result<Option<Vec<u8>>> {
        let mut whole = Vec::with_capacity(header.count * BLOB_MAX);
        for n in 1..=header.count {
            match self.read(&Self::chunk_target(account, header.generation, n))? {
                Some(mut chunk) => {
                    whole.extend_from_slice(&chunk);
                    zeroize::Zeroize::zeroize(&mut chunk);
                }
                None => return Ok(None),
            }
        }
        if digest(&whole) != header.sha256 {
            zeroize::Zeroize::zeroize(&mut whole);
            return Ok(None);
        }
        Ok(Some(whole))
    }

    fn write_chunks(&self, account: &str, generation: char, bytes: &[u8]) -> Result<usize> {
        let chunks: Vec<&[u8]> = bytes.chunks(BLOB_MAX).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            if let Err(e) = self.write(&Self::chunk_target(account, generation, i + 1), chunk) {
                self.sweep(account, generation, 1);
                return Err(e);
            }
        }
        Ok(chunks.len())
    }

    fn failed(&self, what: &str, e: &keyring_core::Error) -> Error {
        use keyring_core::Error as E;
        let why = match e {
            E::PlatformFailure(p) => format!("platform failure: {p}"),
            E::NoStorageAccess(p) => format!(
                "no access to the store: {p}; over SSH Windows may keep no credentials: set TOKEX_STORE=pass, or give the profile secret_env, secret_file or secret_command"
            ),
            E::TooLong(what, max) => format!("{what} longer than {max}"),
            E::Invalid(what, why) => format!("invalid {what}: {why}"),
            _ => "unexpected store error".into(),
        };
        Error::op(format!("{what} {}: {why}", self.describe().name))
    }

    fn incomplete(&self, account: &str) -> Error {
        Error::not_found(format!(
            "the secret in {} for this profile is incomplete (a write was cut short): run `tokex login {account}`",
            self.describe().name
        ))
    }
}

impl Store for Wincred {
    fn get(&self, account: &str) -> Result<Secret> {
        let Some(blob) = self.read(&Self::header_target(account))? else {
            return Err(Error::not_found(format!(
                "no secret in {} for this profile: run `tokex login {account}`",
                self.describe().name
            )));
        };
        let bytes = match Header::decode(&blob) {
            None => blob,
            Some(Err(())) => return Err(self.incomplete(account)),
            Some(Ok(header)) => match self.assemble(account, &header)? {
                Some(whole) => whole,
                None => return Err(self.incomplete(account)),
            },
        };
        String::from_utf8(bytes).map(Secret::new).map_err(|e| {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            Error::op(format!(
                "the secret in {} is not UTF-8",
                self.describe().name
            ))
        })
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<()> {
        let bytes = secret.expose().as_bytes();
        if bytes.contains(&0) {
            return Err(Error::usage("a secret cannot contain a NUL character"));
        }
        let header = Self::header_target(account);
        let old = self.current(account);
        let generation = old.as_ref().map_or('a', |h| other(h.generation));
        let blob = if bytes.len() <= BLOB_MAX {
            self.write(&header, bytes)?;
            None
        } else {
            let count = self.write_chunks(account, generation, bytes)?;
            let head = Header {
                generation,
                count,
                sha256: digest(bytes),
            };
            if let Err(e) = self.write(&header, head.encode().as_bytes()) {
                // The old header, if any, still names the old generation, which is intact.
                self.sweep(account, generation, 1);
                return Err(e);
            }
            Some(count)
        };
        // A rotated refresh token that did not really land would lock the account out later;
        // find out now, while the caller still holds the old one.
        let checked = match self.get(account) {
            Ok(back) if back == *secret => Ok(()),
            Ok(_) => Err(Error::op(format!(
                "{} did not read back the secret as written",
                self.describe().name
            ))),
            Err(e) => Err(e),
        };
        if checked.is_err() {
            let _ = self.delete(account);
            return checked;
        }
        match blob {
            Some(count) => self.sweep(account, generation, count + 1),
            None => self.sweep(account, generation, 1),
        }
        self.sweep(account, other(generation), 1);
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool> {
        // The header first: from then on, whatever chunks remain are a partial set, read as absent.
        let existed = self.remove(&Self::header_target(account))?;
        self.sweep(account, 'a', 1);
        self.sweep(account, 'b', 1);
        Ok(existed)
    }

    fn probe(&self) -> Result<()> {
        super::probe_by_writing(self)
    }

    fn describe(&self) -> Description {
        Description {
            name: "Windows Credential Manager".into(),
            location: "generic credentials tokex:<profile>, see cmdkey /list:tokex*".into(),
            lifetime: "until deleted, on this machine (not roamed)",
            role: Role::Vault,
            quiet_read: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StoreName;

    fn store() -> Wincred {
        open(Choice {
            kind: StoreName::Wincred,
            why: "test",
            default: false,
        })
        .unwrap()
    }

    /// In this machine's real Credential Manager (Wine's in CI, Windows' on the workflow's
    /// runner), under a scratch account no profile can have.
    #[test]
    fn secrets_of_every_size_round_trip_and_leave_nothing_when_deleted() {
        let store = store();
        let account = format!(".tokex-test-{}", std::process::id());
        for len in [1, BLOB_MAX, BLOB_MAX + 1, 16 * 1024, MAX_SECRET as usize] {
            let secret = Secret::new((0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect());
            store.set(&account, &secret).unwrap();
            assert!(store.get(&account).unwrap() == secret, "{len} bytes");
        }
        assert!(store.delete(&account).unwrap());
        assert!(store.get(&account).unwrap_err().is_not_found());
        for generation in ['a', 'b'] {
            for n in 1..=MAX_CHUNKS {
                let chunk = Wincred::chunk_target(&account, generation, n);
                assert!(store.read(&chunk).unwrap().is_none(), "{chunk} left");
            }
        }
        assert!(!store.delete(&account).unwrap());
    }

    #[test]
    fn a_secret_with_a_nul_is_refused_and_nothing_is_written() {
        let store = store();
        let account = format!(".tokex-nul-{}", std::process::id());
        let e = store
            .set(&account, &Secret::from("\0tokex-chunks v1 a 2 x"))
            .unwrap_err();
        assert!(e.to_string().contains("NUL"), "{e}");
        assert!(store.get(&account).unwrap_err().is_not_found());
    }

    #[test]
    fn a_header_decodes_to_what_was_encoded_and_junk_is_corrupt() {
        let h = Header {
            generation: 'b',
            count: 7,
            sha256: digest(b"x"),
        };
        assert_eq!(Header::decode(h.encode().as_bytes()), Some(Ok(h)));
        assert_eq!(Header::decode(b"plain secret"), None);
        for junk in [
            "\0tokex-chunks v1 c 2 00",
            "\0tokex-chunks v1 a 1 ",
            "\0tokex-chunks v1 a 999 ",
            "\0tokex-chunks v1 a x y",
        ] {
            assert_eq!(Header::decode(junk.as_bytes()), Some(Err(())), "{junk:?}");
        }
    }
}

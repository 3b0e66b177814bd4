//! `secret_file = "PATH"`: a file only its owner can read (a Kubernetes secret mount, a CI file).
//! A rotated refresh token is written back to it atomically; `login` and `logout` leave it alone.

use super::{Description, MAX_SECRET, Role, Store, first_line, non_empty};
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::path::{Path, PathBuf};

pub struct File {
    path: PathBuf,
}

impl File {
    pub fn new(path: &str) -> File {
        File {
            path: PathBuf::from(path),
        }
    }

    fn shown(&self) -> std::path::Display<'_> {
        self.path.display()
    }
}

impl Store for File {
    fn get(&self, _account: &str) -> Result<Secret> {
        let secret = read(&self.path)?;
        non_empty(secret, &format!("secret_file {}", self.shown()))
    }

    fn set(&self, _account: &str, secret: &Secret) -> Result<()> {
        let mut bytes = secret.expose().as_bytes().to_vec();
        bytes.push(b'\n');
        let out = crate::fsutil::write_atomic(&self.path, &bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        out.map_err(|e| Error::op(format!("writing secret_file {}: {e}", self.shown())))?;
        if &read(&self.path)? != secret {
            return Err(Error::op(format!(
                "secret_file {} did not read back as written",
                self.shown()
            )));
        }
        Ok(())
    }

    fn delete(&self, _account: &str) -> Result<bool> {
        Ok(false)
    }

    fn probe(&self) -> Result<()> {
        read(&self.path).map(|_| ())
    }

    fn describe(&self) -> Description {
        Description {
            name: format!("secret_file {}", self.shown()),
            location: format!("the file {}", self.shown()),
            lifetime: "until the file is changed",
            role: Role::UserFile,
            quiet_read: true,
        }
    }
}

fn read(path: &Path) -> Result<Secret> {
    let shown = path.display();
    let file = crate::fsutil::open_nofollow(path).map_err(|e| {
        let message = format!("secret_file {shown}: {e}");
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::not_found(message)
        } else {
            Error::op(message)
        }
    })?;
    let meta = file
        .metadata()
        .map_err(|e| Error::op(format!("secret_file {shown}: {e}")))?;
    // Whoever may replace the file in its directory decides the secret too.
    let dir = path.parent().unwrap_or(Path::new("/"));
    crate::fsutil::open_dir_nofollow(dir)
        .and_then(|d| crate::fsutil::check_trusted(&d, dir, crate::fsutil::Owner::UserOrAdmin))
        .map_err(|e| Error::usage(format!("secret_file {shown}: {e}")))?;
    if let Some(problem) = crate::platform::secret_file_problem(&shown.to_string(), &meta) {
        return Err(Error::usage(format!("secret_file {shown} {problem}")));
    }
    let bytes = crate::fsutil::read_limited(file, MAX_SECRET)
        .map_err(|e| Error::op(format!("secret_file {shown}: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::op(format!("secret_file {shown} is not UTF-8")))?;
    Ok(Secret::new(first_line(text)))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn loose_file_is_refused_with_the_fix_and_a_write_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("s");
        std::fs::write(&f, "s3cret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = File::new(f.to_str().unwrap());
        let e = store.get("p").unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert!(!e.to_string().contains("s3cret"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(store.get("p").unwrap().expose(), "s3cret");
        store.set("p", &Secret::from("rotated")).unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "rotated\n");
        let missing = File::new(d.path().join("none").to_str().unwrap());
        assert!(missing.get("p").unwrap_err().is_not_found());
    }
}

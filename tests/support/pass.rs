//! A password store of the test's own: a throw-away GNUPGHOME with a key generated for the
//! test (no passphrase unless asked), and a PASSWORD_STORE_DIR initialised to it with the real
//! `pass`. The gpg-agent it starts is stopped when dropped.

use super::Env;
use std::path::PathBuf;
use std::process::{Command, Output};

pub struct PassStore {
    pub dir: tempfile::TempDir,
}

impl PassStore {
    /// An initialised store whose key has no passphrase.
    pub fn new() -> PassStore {
        PassStore::with_passphrase("")
    }

    /// An initialised store whose key needs `passphrase`, with a pinentry that always fails, as
    /// on a machine where nobody can type it.
    pub fn with_passphrase(passphrase: &str) -> PassStore {
        let dir = tempfile::tempdir().unwrap();
        let store = PassStore { dir };
        std::fs::create_dir(store.gnupghome()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(store.gnupghome(), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        if !passphrase.is_empty() {
            std::fs::write(
                store.gnupghome().join("gpg-agent.conf"),
                "pinentry-program /bin/false\n",
            )
            .unwrap();
        }
        let out = store.gpg(&[
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            "tokex test <tokex@test.invalid>",
            "future-default",
            "default",
            "never",
        ]);
        assert!(
            out.status.success(),
            "gpg key generation: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = store.pass(&["init", "tokex@test.invalid"], "");
        assert!(
            out.status.success(),
            "pass init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        store
    }

    pub fn gnupghome(&self) -> PathBuf {
        self.dir.path().join("gnupg")
    }

    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("password-store")
    }

    pub fn vars(&self) -> Vec<(String, String)> {
        vec![
            ("TOKEX_STORE".into(), "pass".into()),
            (
                "PASSWORD_STORE_DIR".into(),
                self.store_dir().display().to_string(),
            ),
            ("GNUPGHOME".into(), self.gnupghome().display().to_string()),
        ]
    }

    /// A tokex environment whose secrets go to this store.
    pub fn env(&self) -> Env {
        Env::with_store(self.vars())
    }

    fn gpg(&self, args: &[&str]) -> Output {
        Command::new("gpg")
            .args(args)
            .env("GNUPGHOME", self.gnupghome())
            .output()
            .expect("gpg: install the gnupg package (see .ci/run)")
    }

    /// The real `pass`, as the user would run it against this store.
    pub fn pass(&self, args: &[&str], stdin: &str) -> Output {
        let mut c = Command::new("pass");
        c.args(args);
        for (k, v) in self.vars() {
            c.env(k, v);
        }
        let mut e = Env::with_store(Vec::new());
        e.extra_env = self.vars();
        e.run_tool(c, stdin)
    }
}

impl Drop for PassStore {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.gnupghome())
            .output();
    }
}

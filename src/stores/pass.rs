//! `pass`, the standard Unix password manager: the secret is the entry `tokex/PROFILE` of the
//! user's password store (`PASSWORD_STORE_DIR`, else `~/.password-store`), a gpg-encrypted file
//! that lives until deleted, so a headless machine keeps it across reboots. Compatible both ways:
//! `pass show tokex/PROFILE` shows what tokex stored, and `pass insert tokex/PROFILE` gives tokex
//! its secret. The secret only ever travels on pass's stdin and stdout: never in argv, never in
//! a temporary file. Every call is bounded, so a gpg waiting on a pinentry never blocks a caller.

use super::{Description, MAX_SECRET, Role, Store, first_line};
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough for gpg to decrypt with a cached or empty passphrase; a pinentry nobody can
/// answer is cut off. `TOKEX_PASS_TIMEOUT` (seconds, 1 to 300) changes it, e.g. for a smartcard.
const TIMEOUT: Duration = Duration::from_secs(20);

fn timeout() -> Duration {
    std::env::var("TOKEX_PASS_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (1..=300).contains(s))
        .map(Duration::from_secs)
        .unwrap_or(TIMEOUT)
}

pub struct Pass;

fn entry(account: &str) -> String {
    format!("tokex/{account}")
}

use zeroize::Zeroizing;

struct Ran {
    ok: bool,
    stdout: Zeroizing<Vec<u8>>,
    stderr: String,
}

/// Runs `pass ARGS` with `input` on stdin, bounded by [`TIMEOUT`].
fn pass(args: &[&str], input: Option<&[u8]>) -> Result<Ran> {
    run("pass", args, input)
}

fn run(program: &str, args: &[&str], input: Option<&[u8]>) -> Result<Ran> {
    let mut command = Command::new(program);
    // Its own process group, so a timeout stops gpg and its pinentry along with pass.
    crate::platform::own_process_group(&mut command);
    let mut child = command
        .args(args)
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::op(format!(
                "{program} is not installed (apt install pass, brew install pass), or choose another store with TOKEX_STORE"
            )),
            _ => Error::op(format!("{program} could not start: {e}")),
        })?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        // A few KiB fit the pipe; pass reads them all before gpg runs.
        stdin
            .write_all(bytes)
            .map_err(|e| Error::op(format!("giving the secret to pass: {e}")))?;
    }
    let out = child.stdout.take().map(|s| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.take(MAX_SECRET + 1).read_to_end(&mut buf);
            buf
        })
    });
    let err = child.stderr.take().map(|s| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.take(16 * 1024).read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    });
    let limit = timeout();
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                crate::platform::kill_process_group(&mut child);
                let _ = child.wait();
                // The readers end when the group's last pipe closes; nobody waits for them.
                return Err(Error::op(format!(
                    "{program} did not answer within {}s: gpg is probably waiting for the key's passphrase on a pinentry nobody sees; unlock the key in a terminal first (`pass show {}`), or use gpg-agent with a cached passphrase (TOKEX_PASS_TIMEOUT sets the limit)",
                    limit.as_secs(),
                    args.last().unwrap_or(&"")
                )));
            }
            Err(e) => return Err(Error::op(format!("waiting for pass: {e}"))),
        }
    };
    Ok(Ran {
        ok: status.success(),
        stdout: out.and_then(|t| t.join().ok()).unwrap_or_default().into(),
        stderr: err.and_then(|t| t.join().ok()).unwrap_or_default(),
    })
}

/// One line for what pass or gpg said, with the way out that applies.
fn failed(what: &str, ran: &Ran) -> Error {
    let said = ran.stderr.to_ascii_lowercase();
    let why = if said.contains("pass init") {
        "the password store is not initialised: run `pass init YOUR-GPG-KEY-ID`".to_string()
    } else if said.contains("no secret key") && !holds_secret_key() {
        "gpg has no secret key to decrypt it (is GNUPGHOME the keyring that holds it?)".to_string()
    } else if said.contains("no secret key")
        || said.contains("pinentry")
        || said.contains("inappropriate ioctl")
        || said.contains("cancel")
    {
        // gpg says "No secret key" too when the key is there but its passphrase cannot be asked.
        "gpg needs the key's passphrase and cannot ask for it here (no terminal or pinentry): unlock it in a terminal first (`pass show` there), or let gpg-agent cache it".to_string()
    } else {
        let line = ran
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("it failed");
        crate::printable::printable(line, crate::printable::LINE)
    };
    Error::op(format!("{what} pass: {why}"))
}

/// Whether gpg holds any secret key at all, to tell a missing key from a locked one.
fn holds_secret_key() -> bool {
    run(
        "gpg",
        &["--batch", "--list-secret-keys", "--with-colons"],
        None,
    )
    .is_ok_and(|r| {
        String::from_utf8_lossy(&r.stdout)
            .lines()
            .any(|l| l.starts_with("sec:"))
    })
}

impl Store for Pass {
    fn get(&self, account: &str) -> Result<Secret> {
        let name = entry(account);
        let ran = pass(&["show", &name], None)?;
        if !ran.ok {
            if ran.stderr.contains("is not in the password store") {
                return Err(Error::not_found(format!(
                    "no entry {name} in your password store: run `tokex login {account}` (or `pass insert {name}`)"
                )));
            }
            return Err(failed("reading the secret from", &ran));
        }
        if ran.stdout.len() as u64 > MAX_SECRET {
            return Err(Error::op(format!(
                "the pass entry {name} is larger than 64 KiB"
            )));
        }
        let text = std::str::from_utf8(&ran.stdout)
            .map_err(|_| Error::op(format!("the pass entry {name} is not UTF-8")))?;
        let secret = Secret::new(first_line(text.to_string()));
        if secret.is_empty() {
            return Err(Error::op(format!(
                "the pass entry {name} is empty: `pass edit {name}`, or `tokex login {account}`"
            )));
        }
        Ok(secret)
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<()> {
        let name = entry(account);
        // What a failed write puts back: a rotation must never cost the user the credential
        // they had (an unreadable entry is overwritten, as `pass insert --force` would).
        let previous = self.get(account).ok();
        let mut input = secret.expose().as_bytes().to_vec();
        input.push(b'\n');
        let written = pass(&["insert", "--multiline", "--force", &name], Some(&input));
        zeroize::Zeroize::zeroize(&mut input);
        let check = written.and_then(|ran| match ran.ok {
            true => self.get(account),
            false => Err(failed("writing the secret to", &ran)),
        });
        match check {
            Ok(back) if &back == secret => Ok(()),
            outcome => {
                // Nothing half-written stays behind: the previous secret, or nothing.
                match previous {
                    Some(p) => {
                        let mut old = p.expose().as_bytes().to_vec();
                        old.push(b'\n');
                        let _ = pass(&["insert", "--multiline", "--force", &name], Some(&old));
                        zeroize::Zeroize::zeroize(&mut old);
                    }
                    None => {
                        let _ = pass(&["rm", "--force", &name], None);
                    }
                }
                Err(outcome.err().unwrap_or_else(|| {
                    Error::op(format!("pass did not read back {name} as written"))
                }))
            }
        }
    }

    fn delete(&self, account: &str) -> Result<bool> {
        let name = entry(account);
        let ran = pass(&["rm", "--force", &name], None)?;
        match (ran.ok, ran.stderr.contains("is not in the password store")) {
            (true, _) => Ok(true),
            (false, true) => Ok(false),
            (false, false) => Err(failed("deleting from", &ran)),
        }
    }

    fn probe(&self) -> Result<()> {
        super::probe_by_writing(self)
    }

    fn describe(&self) -> Description {
        let dir = std::env::var("PASSWORD_STORE_DIR")
            .ok()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "~/.password-store".into());
        Description {
            name: "pass".into(),
            location: format!("your password store {dir}, entries tokex/PROFILE (gpg-encrypted)"),
            lifetime: "until deleted",
            role: Role::Vault,
            quiet_read: true,
        }
    }
}

//! `secret_command = "..."`: the first line a shell command prints (pass, 1Password, Vault CLIs).
//! Read only; the command may prompt, so only a token request runs it, never `doctor`.

use super::{Description, MAX_SECRET, ReadOnly, Role, first_line, non_empty};
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::io::Read;

pub struct Command {
    command: String,
}

impl Command {
    pub fn new(command: &str) -> Command {
        Command {
            command: command.to_string(),
        }
    }
}

impl ReadOnly for Command {
    fn read(&self) -> Result<Secret> {
        // The user's stderr stays attached so a password manager can explain itself; stdin is
        // closed because a caller's stdin (git's request, docker's URL) is not the command's.
        let mut child = crate::platform::shell(&self.command)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| Error::op(format!("secret_command could not start: {e}")))?;
        let mut out = Vec::new();
        let read = child
            .stdout
            .take()
            .map(|s| s.take(MAX_SECRET + 1).read_to_end(&mut out));
        let status = child
            .wait()
            .map_err(|e| Error::op(format!("secret_command: {e}")))?;
        if !status.success() {
            zeroize::Zeroize::zeroize(&mut out);
            return Err(Error::op(format!("secret_command failed ({status})")));
        }
        if matches!(read, Some(Err(_))) || out.len() as u64 > MAX_SECRET {
            zeroize::Zeroize::zeroize(&mut out);
            return Err(Error::op("secret_command printed no readable secret"));
        }
        let text =
            String::from_utf8(out).map_err(|_| Error::op("secret_command output is not UTF-8"))?;
        non_empty(Secret::new(first_line(text)), "secret_command")
    }

    fn describe(&self) -> Description {
        Description {
            name: "secret_command".into(),
            location: "the output of the profile's secret_command".into(),
            lifetime: "as long as the command's own store keeps it",
            role: Role::ReadOnly,
            quiet_read: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    const PRINTS_ABC: &str = "printf 'abc\\n'";
    #[cfg(windows)]
    const PRINTS_ABC: &str = "echo abc";
    #[cfg(unix)]
    const LEAKS_AND_FAILS: &str = "echo leaked; exit 3";
    #[cfg(windows)]
    const LEAKS_AND_FAILS: &str = "echo leaked& exit 3";
    #[cfg(unix)]
    const PRINTS_NOTHING: &str = "true";
    #[cfg(windows)]
    const PRINTS_NOTHING: &str = "type nul";

    #[test]
    fn output_and_failure() {
        let ok = Command::new(PRINTS_ABC);
        assert_eq!(ok.read().unwrap().expose(), "abc");
        let e = Command::new(LEAKS_AND_FAILS).read().unwrap_err();
        assert!(
            e.to_string().contains("failed") && !e.to_string().contains("leaked"),
            "{e}"
        );
        assert!(
            Command::new(PRINTS_NOTHING)
                .read()
                .unwrap_err()
                .is_not_found()
        );
    }
}

//! How the small `tokex` program hands a command line to `tokex-engine` beside it: by becoming
//! it (exec on Unix; on Windows by running it and exiting with its code), with the stdin bytes
//! the hot path already read replayed first.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What fits in any platform's pipe buffer before a reader starts (Linux 64 KiB, macOS 16 KiB,
/// Windows' default about 4 KiB): replayed through a pipe; more is written by a thread.
const REPLAY_IN_PIPE: usize = 4096;

/// `name` (with this platform's suffix) in the directory of the running program, links
/// resolved (macOS reports the path it was started by, which may be an entry point's symlink).
pub fn sibling_program(name: &str) -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let exe = exe.canonicalize().unwrap_or(exe);
    Ok(exe.with_file_name(format!("{name}{}", super::EXE_SUFFIX)))
}

/// Runs `engine` with `args` (the command line after the program name) as this process would
/// have, `input` first on its stdin; returns only if it cannot be started.
pub fn become_engine(engine: &std::path::Path, args: &[OsString], input: &[u8]) -> io::Error {
    let mut cmd = Command::new(engine);
    cmd.args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // The entry point's subcommand is already in `args`: the engine must not add it again.
        cmd.arg0("tokex");
    }
    if input.is_empty() {
        return super::become_command(cmd);
    }
    if input.len() <= REPLAY_IN_PIPE {
        return match io::pipe().and_then(|(reader, mut writer)| {
            writer.write_all(input)?;
            Ok(reader)
        }) {
            Ok(reader) => {
                cmd.stdin(reader);
                super::become_command(cmd)
            }
            Err(e) => e,
        };
    }
    cmd.stdin(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return e,
    };
    let (mut pipe, data) = (child.stdin.take(), input.to_vec());
    let writer = std::thread::spawn(move || {
        if let Some(p) = pipe.as_mut() {
            let _ = p.write_all(&data);
        }
    });
    let status = child.wait();
    let _ = writer.join();
    match status {
        Ok(s) => std::process::exit(s.code().unwrap_or(1)),
        Err(e) => e,
    }
}

//! The one place where tokex differs between operating systems: private files (modes and owner
//! on Unix, an owner-only ACL on Windows), opening without following links, the exchange lock
//! file, replacing the process for `tokex exec`, process groups for helper commands, and how
//! the helper entry points are installed. Everything else is written once for every platform.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;
#[cfg(unix)]
mod hidden;
#[cfg(unix)]
pub use hidden::read_hidden_line;

/// The agent's endpoint: a Unix socket, or on Windows a named pipe; the same names on both.
#[cfg(unix)]
#[path = "socket.rs"]
pub mod ipc;
#[cfg(windows)]
pub use windows::pipe as ipc;

mod engine;
pub use engine::{become_engine, sibling_program};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// The executable suffix the entry points carry on this platform (`.exe` on Windows).
pub const EXE_SUFFIX: &str = std::env::consts::EXE_SUFFIX;

/// A program's name as invoked, without this platform's executable suffix (matched in any case:
/// Windows shows `.EXE` as readily as `.exe`).
pub fn program_name(file_name: &str) -> &str {
    if EXE_SUFFIX.is_empty() {
        return file_name;
    }
    let cut = file_name.len().saturating_sub(EXE_SUFFIX.len());
    match file_name.get(cut..) {
        Some(tail) if tail.eq_ignore_ascii_case(EXE_SUFFIX) => &file_name[..cut],
        _ => file_name,
    }
}

/// What separates the commands in `$BROWSER` (Python's webbrowser splits on `os.pathsep`).
pub const BROWSER_LIST_SEPARATOR: char = if cfg!(windows) { ';' } else { ':' };

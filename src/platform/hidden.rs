//! A line typed with echo off, on the terminal itself (`/dev/tty`, so stdin and stdout stay the
//! caller's), with the terminal put back on every way out: the line, end of input, an error,
//! and the signals a user sends from the keyboard or a closing window (Ctrl-C, Ctrl-\, hang-up,
//! termination), which would otherwise end tokex with echo still off.

use std::io;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicI32, Ordering};

/// The longest line read: anything longer is not a secret tokex stores.
const MAX_LINE: usize = 64 * 1024;
const SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGQUIT, libc::SIGHUP, libc::SIGTERM];

/// The terminal being read with echo off (-1: none) and its settings before, for the handler.
static TTY: AtomicI32 = AtomicI32::new(-1);
static mut SAVED: MaybeUninit<libc::termios> = MaybeUninit::uninit();

extern "C" fn restore_and_die(signal: libc::c_int) {
    let fd = TTY.swap(-1, Ordering::SeqCst);
    // SAFETY: tcsetattr, signal and raise are async-signal-safe; SAVED was written before TTY
    // was set, and is only read here.
    unsafe {
        if fd >= 0 {
            libc::tcsetattr(fd, libc::TCSANOW, (&raw const SAVED).cast());
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Puts the terminal and the signal dispositions back when dropped.
struct Restore {
    fd: libc::c_int,
    old: [MaybeUninit<libc::sigaction>; SIGNALS.len()],
}

impl Drop for Restore {
    fn drop(&mut self) {
        TTY.store(-1, Ordering::SeqCst);
        // SAFETY: SAVED holds this terminal's settings; each `old` was filled by sigaction.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSAFLUSH, (&raw const SAVED).cast());
            for (signal, old) in SIGNALS.iter().zip(&self.old) {
                libc::sigaction(*signal, old.as_ptr(), std::ptr::null_mut());
            }
            libc::close(self.fd);
        }
    }
}

/// Shows `prompt` on the terminal and reads one line with echo off (without its newline).
pub fn read_hidden_line(prompt: &str) -> io::Result<String> {
    // SAFETY: a NUL-terminated literal path; the descriptor is closed by Restore or below.
    let fd = unsafe { libc::open(c"/dev/tty".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is open; SAVED is written only here, while TTY is -1 (no handler reads it).
    if unsafe { libc::tcgetattr(fd, (&raw mut SAVED).cast()) } != 0 {
        let e = io::Error::last_os_error();
        // SAFETY: fd is ours and open.
        unsafe { libc::close(fd) };
        return Err(e);
    }
    let mut restore = Restore {
        fd,
        old: [MaybeUninit::uninit(); SIGNALS.len()],
    };
    // SAFETY: sigaction with a zeroed action whose handler is an extern "C" fn that only calls
    // async-signal-safe functions; each old disposition is saved for Restore.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = restore_and_die as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        for (signal, old) in SIGNALS.iter().zip(restore.old.iter_mut()) {
            libc::sigaction(*signal, &action, old.as_mut_ptr());
        }
        let mut quiet = *(&raw const SAVED).cast::<libc::termios>();
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        TTY.store(fd, Ordering::SeqCst);
        if libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    write_all(fd, prompt.as_bytes())?;
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let mut byte = 0u8;
        // SAFETY: reads at most one byte into a live local.
        let n = unsafe { libc::read(fd, (&raw mut byte).cast(), 1) };
        match n {
            1 if byte == b'\n' => break,
            1 if line.len() < MAX_LINE => line.push(byte),
            // Read to the end of the line all the same, so nothing typed is left for the shell.
            1 => too_long = true,
            0 if line.is_empty() => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "no secret typed (end of input)",
                ));
            }
            0 => break,
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    zeroize::Zeroize::zeroize(&mut line);
                    return Err(e);
                }
            }
        }
    }
    drop(restore);
    if too_long {
        zeroize::Zeroize::zeroize(&mut line);
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the secret typed is longer than 64 KiB",
        ));
    }
    String::from_utf8(line).map_err(|e| {
        let mut bytes = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        io::Error::new(io::ErrorKind::InvalidData, "the secret typed is not UTF-8")
    })
}

fn write_all(fd: libc::c_int, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: writes from a live slice of the given length.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        bytes = &bytes[n.unsigned_abs()..];
    }
    Ok(())
}

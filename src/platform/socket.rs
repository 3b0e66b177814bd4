//! The agent's endpoint on Unix: a socket file, 0600, that is removed when the agent stops, and
//! who is at the other end of each connection, from the kernel (`SO_PEERCRED` on Linux,
//! `getpeereid` and `LOCAL_PEERPID` on macOS).

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One connection to or from an agent.
pub struct Conn(UnixStream);

impl Conn {
    /// How long a read or a write may wait before it fails (`None`: for ever).
    pub fn set_timeout(&self, wait: Option<Duration>) -> io::Result<()> {
        self.0.set_read_timeout(wait)?;
        self.0.set_write_timeout(wait)
    }
}

impl io::Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl io::Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Who connected, as the kernel says.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub uid: u32,
    pub pid: Option<u32>,
}

impl Peer {
    pub fn same_user(&self) -> bool {
        self.uid == super::current_uid()
    }

    /// For the agent's log: `uid=1000 pid=4242`.
    pub fn describe(&self) -> String {
        match self.pid {
            Some(pid) => format!("uid={} pid={pid}", self.uid),
            None => format!("uid={} pid=?", self.uid),
        }
    }
}

pub struct Endpoint {
    listener: UnixListener,
    path: PathBuf,
    /// The socket file we made (device, inode): only that one is removed at the end.
    made: (u64, u64),
}

impl Endpoint {
    /// Listens at `path`, replacing a socket nobody answers at (an agent that crashed) and
    /// refusing one an agent still answers at, or anything that is not a socket.
    pub fn bind(path: &Path) -> io::Result<Endpoint> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            match UnixStream::connect(path) {
                Ok(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!("an agent already answers at {}", path.display()),
                    ));
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    std::fs::remove_file(path)?;
                }
                Err(e) => return Err(e),
            }
        }
        // The socket is 0600 from the moment it exists: nobody may connect in between.
        // SAFETY: umask only swaps the process's file-creation mask.
        let old = unsafe { libc::umask(0o177) };
        let bound = UnixListener::bind(path);
        // SAFETY: as above, restoring it.
        unsafe { libc::umask(old) };
        let listener = bound?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        let meta = std::fs::symlink_metadata(path)?;
        Ok(Endpoint {
            listener,
            path: path.to_path_buf(),
            made: (meta.dev(), meta.ino()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn accept(&self) -> io::Result<(Conn, Peer)> {
        let (stream, _) = self.listener.accept()?;
        let peer = peer_of(&stream)?;
        Ok((Conn(stream), peer))
    }

    /// Removes the socket file, if it is still the one this endpoint made.
    pub fn remove(&self) {
        if let Ok(meta) = std::fs::symlink_metadata(&self.path)
            && (meta.dev(), meta.ino()) == self.made
        {
            let _ = std::fs::remove_file(&self.path);
            if let Some(dir) = self.path.parent()
                && dir
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(MADE_DIR_PREFIX))
            {
                // Only an empty directory goes; one someone else put files in stays.
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

pub fn connect(path: &Path) -> io::Result<Conn> {
    UnixStream::connect(path).map(Conn)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn peer_of(stream: &UnixStream) -> io::Result<Peer> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: a valid socket and a buffer of the size given.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Peer {
        uid: cred.uid,
        pid: u32::try_from(cred.pid).ok().filter(|p| *p != 0),
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn peer_of(stream: &UnixStream) -> io::Result<Peer> {
    let (mut uid, mut gid) = (0, 0);
    // SAFETY: a valid socket and two out-parameters.
    if unsafe { libc::getpeereid(stream.as_raw_fd(), &mut uid, &mut gid) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Peer {
        uid,
        pid: peer_pid(stream),
    })
}

#[cfg(target_vendor = "apple")]
fn peer_pid(stream: &UnixStream) -> Option<u32> {
    let mut pid: libc::pid_t = 0;
    let mut len = std::mem::size_of::<libc::pid_t>() as libc::socklen_t;
    // SAFETY: a valid socket and a buffer of the size given.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_LOCAL,
            libc::LOCAL_PEERPID,
            (&raw mut pid).cast(),
            &mut len,
        )
    };
    (rc == 0).then(|| u32::try_from(pid).ok()).flatten()
}

#[cfg(not(any(target_vendor = "apple", target_os = "linux", target_os = "android")))]
fn peer_pid(_: &UnixStream) -> Option<u32> {
    None
}

/// A private directory of the agent's own making, removed with its socket.
const MADE_DIR_PREFIX: &str = "tokex-agent-";

/// Where an agent listens unless told: `$XDG_RUNTIME_DIR/tokex/agent.sock` (the directory
/// 0700), else in a new private directory under the temporary one.
pub fn default_endpoint() -> io::Result<PathBuf> {
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)
        && run.is_absolute()
    {
        let dir = run.join("tokex");
        super::create_private_dir(&dir)?;
        let meta = std::fs::symlink_metadata(&dir)?;
        if !meta.is_dir() {
            return Err(io::Error::other(format!(
                "{} is not a directory",
                dir.display()
            )));
        }
        super::check_private_dir(&dir, &meta)?;
        return Ok(dir.join("agent.sock"));
    }
    let dir = tempfile::Builder::new()
        .prefix(MADE_DIR_PREFIX)
        .tempdir()?
        .keep();
    Ok(dir.join("agent.sock"))
}

/// What `TOKEX_AGENT` must look like: an absolute path.
pub fn is_endpoint_name(path: &Path) -> bool {
    path.is_absolute()
}

/// A directory others may write to lets them replace the socket with their own: refused,
/// unless it is sticky (`/tmp`), where only its owner may remove or rename it.
pub fn place_problem(socket: &Path) -> io::Result<Option<String>> {
    let dir = socket.parent().unwrap_or(Path::new("/"));
    let meta = std::fs::metadata(dir)?;
    let mode = meta.mode();
    if meta.uid() != super::current_uid() && meta.uid() != 0 {
        return Ok(Some(format!(
            "{} belongs to another user (uid {})",
            dir.display(),
            meta.uid()
        )));
    }
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Ok(Some(format!(
            "{} is writable by group or others (mode {:04o}), so they could replace the socket",
            dir.display(),
            mode & 0o7777
        )));
    }
    Ok(None)
}

/// Runs `stop` in a thread of its own when SIGINT, SIGTERM or SIGHUP arrives, then exits 0.
/// Call it before starting other threads: they inherit the blocked signals, so only that
/// thread ever sees them (child processes start with the mask cleared again, by std).
pub fn on_termination(stop: Box<dyn FnOnce() + Send>) -> io::Result<()> {
    // SAFETY: a sigset_t filled by sigemptyset/sigaddset and given to pthread_sigmask.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        set
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut sig = 0;
            // SAFETY: `set` is a valid signal set; `sig` receives the signal number.
            while unsafe { libc::sigwait(&set, &mut sig) } != 0 {}
            stop();
            std::process::exit(0);
        })?;
    Ok(())
}

//! The agent's endpoint on Windows: a named pipe (`\\.\pipe\tokex-USER`) whose security
//! descriptor admits the user and SYSTEM alone and which refuses remote clients. Every peer is
//! therefore the user (the ACL says so before a byte is read); its process id is logged.
//! Timeouts: a synchronous pipe has none, so a read waits by polling `PeekNamedPipe`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use windows_sys::Win32::Foundation::{
    ERROR_BROKEN_PIPE, ERROR_PIPE_BUSY, ERROR_PIPE_CONNECTED, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::Storage::FileSystem::{FILE_FLAG_FIRST_PIPE_INSTANCE, PIPE_ACCESS_DUPLEX};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, GetNamedPipeClientProcessId, PIPE_READMODE_BYTE,
    PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES, PIPE_WAIT, PeekNamedPipe,
};

const PREFIX: &str = r"\\.\pipe\";
/// Each direction's buffer: a whole frame fits, so a write never waits for a slow reader.
const BUFFER: u32 = 128 * 1024;
/// `SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION`: the agent may learn who we are, never
/// act as us.
const IDENTIFY_ONLY: u32 = 0x0010_0000 | (1 << 16);

pub struct Conn {
    file: File,
    timeout: Mutex<Option<Duration>>,
}

impl Conn {
    pub fn set_timeout(&self, wait: Option<Duration>) -> io::Result<()> {
        *self
            .timeout
            .lock()
            .map_err(|_| io::Error::other("poisoned"))? = wait;
        Ok(())
    }

    /// Waits until the pipe has bytes to read, or the other end left (then the read below
    /// says so), or the timeout passes.
    fn wait_readable(&self) -> io::Result<()> {
        let Some(wait) = *self
            .timeout
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
        else {
            return Ok(());
        };
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            let mut available = 0u32;
            // SAFETY: a valid pipe handle; only the count is asked for.
            let ok = unsafe {
                PeekNamedPipe(
                    self.file.as_raw_handle() as HANDLE,
                    std::ptr::null_mut(),
                    0,
                    std::ptr::null_mut(),
                    &mut available,
                    std::ptr::null_mut(),
                )
            };
            if ok == 0 || available > 0 {
                return Ok(());
            }
            if start.elapsed() >= wait {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time"));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.wait_readable()?;
        match self.file.read(buf) {
            Err(e) if e.raw_os_error() == Some(ERROR_BROKEN_PIPE as i32) => Ok(0),
            other => other,
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub pid: Option<u32>,
}

impl Peer {
    /// The pipe's ACL admits no one else.
    pub fn same_user(&self) -> bool {
        true
    }

    pub fn describe(&self) -> String {
        match self.pid {
            Some(pid) => format!("user=self pid={pid}"),
            None => "user=self pid=?".to_string(),
        }
    }
}

pub struct Endpoint {
    path: PathBuf,
    name: Vec<u16>,
    /// The instance the next client will connect to.
    waiting: Mutex<OwnedHandle>,
}

impl Endpoint {
    pub fn bind(path: &Path) -> io::Result<Endpoint> {
        let name = super::wide(path.as_os_str());
        let first = instance(&name, true).map_err(|e| {
            if e.kind() == io::ErrorKind::PermissionDenied {
                io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("an agent already answers at {}", path.display()),
                )
            } else {
                e
            }
        })?;
        Ok(Endpoint {
            path: path.to_path_buf(),
            name,
            waiting: Mutex::new(first),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn accept(&self) -> io::Result<(Conn, Peer)> {
        let mut waiting = self
            .waiting
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        // SAFETY: a valid pipe instance, used synchronously.
        let ok =
            unsafe { ConnectNamedPipe(waiting.as_raw_handle() as HANDLE, std::ptr::null_mut()) };
        if ok == 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(ERROR_PIPE_CONNECTED as i32) {
                return Err(e);
            }
        }
        let connected = std::mem::replace(&mut *waiting, instance(&self.name, false)?);
        let mut pid = 0u32;
        // SAFETY: a connected pipe instance and an out-parameter.
        let known =
            unsafe { GetNamedPipeClientProcessId(connected.as_raw_handle() as HANDLE, &mut pid) };
        let peer = Peer {
            pid: (known != 0).then_some(pid),
        };
        let conn = Conn {
            file: File::from(connected),
            timeout: Mutex::new(None),
        };
        Ok((conn, peer))
    }

    /// A pipe leaves nothing behind when its last handle closes.
    pub fn remove(&self) {}
}

fn instance(name: &[u16], first: bool) -> io::Result<OwnedHandle> {
    let descriptor = super::acl::Descriptor::user_only()?;
    let attributes = SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: descriptor.as_ptr(),
        bInheritHandle: 0,
    };
    let open_mode = PIPE_ACCESS_DUPLEX
        | if first {
            FILE_FLAG_FIRST_PIPE_INSTANCE
        } else {
            0
        };
    // SAFETY: `name` is NUL-terminated; `attributes` and its descriptor outlive the call.
    let handle = unsafe {
        CreateNamedPipeW(
            name.as_ptr(),
            open_mode,
            PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
            PIPE_UNLIMITED_INSTANCES,
            BUFFER,
            BUFFER,
            0,
            &attributes,
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a handle just created and owned by nothing else.
    Ok(unsafe { OwnedHandle::from_raw_handle(handle as _) })
}

/// Opens the pipe; every instance busy means the agent is swamped, and is waited out briefly.
pub fn connect(path: &Path) -> io::Result<Conn> {
    let start = Instant::now();
    loop {
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .security_qos_flags(IDENTIFY_ONLY)
            .open(path);
        match opened {
            Ok(file) => {
                return Ok(Conn {
                    file,
                    timeout: Mutex::new(None),
                });
            }
            Err(e)
                if e.raw_os_error() == Some(ERROR_PIPE_BUSY as i32)
                    && start.elapsed() < Duration::from_secs(3) =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e),
        }
    }
}

/// `\\.\pipe\tokex-USER`.
pub fn default_endpoint() -> io::Result<PathBuf> {
    let user = std::env::var("USERNAME").unwrap_or_else(|_| "user".to_string());
    let user: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(PathBuf::from(format!("{PREFIX}tokex-{user}")))
}

/// What `TOKEX_AGENT` must look like here: a local pipe's name.
pub fn is_endpoint_name(path: &Path) -> bool {
    path.to_str().is_some_and(|p| {
        p.len() > PREFIX.len()
            && p.get(..PREFIX.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(PREFIX))
    })
}

/// A pipe has no directory someone else could write to; only its name must be a pipe's.
pub fn place_problem(path: &Path) -> io::Result<Option<String>> {
    Ok((!is_endpoint_name(path))
        .then(|| format!("{} is not a named pipe (use {PREFIX}NAME)", path.display())))
}

/// Ctrl+C ends the process, and with it the pipe: nothing to clean up.
pub fn on_termination(_stop: Box<dyn FnOnce() + Send>) -> io::Result<()> {
    Ok(())
}

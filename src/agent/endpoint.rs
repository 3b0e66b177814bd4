//! Where an agent listens and where its clients find it.

use crate::error::{Error, Result};
use crate::platform::ipc::{self, Endpoint};
use std::path::PathBuf;

/// The variable clients read, and the agent prints for `eval`.
pub const ENV: &str = "TOKEX_AGENT";

/// `TOKEX_AGENT`, when it is set and not empty: the agent every entry point asks.
pub fn configured() -> Result<Option<PathBuf>> {
    match std::env::var_os(ENV) {
        Some(v) if !v.is_empty() => {
            let path = PathBuf::from(v);
            if !ipc::is_endpoint_name(&path) {
                return Err(Error::usage(format!(
                    "{ENV}={} is not an absolute path (it is what `tokex agent` printed)",
                    path.display()
                )));
            }
            Ok(Some(path))
        }
        _ => Ok(None),
    }
}

/// Binds `given`, or the default endpoint; a socket in a directory others could write to is
/// refused, since they could put their own in its place.
pub fn bind(given: Option<PathBuf>) -> Result<Endpoint> {
    let path = match given {
        Some(p) => {
            let p = std::path::absolute(&p)
                .map_err(|e| Error::usage(format!("--socket {}: {e}", p.display())))?;
            if let Some(problem) = ipc::place_problem(&p)
                .map_err(|e| Error::usage(format!("--socket {}: {e}", p.display())))?
            {
                return Err(Error::usage(format!("--socket refused: {problem}")));
            }
            p
        }
        None => ipc::default_endpoint()
            .map_err(|e| Error::op(format!("the agent's socket directory: {e}")))?,
    };
    Endpoint::bind(&path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse | std::io::ErrorKind::AlreadyExists => e.to_string(),
            _ => format!("{}: {e}", path.display()),
        };
        Error::usage(format!("cannot listen: {why}"))
    })
}

//! One error type for the whole program. Every failure becomes one line on stderr and an exit
//! code: 2 for usage and configuration mistakes the user must fix, 1 for operational failures
//! (store, network, provider) that may pass on their own.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad arguments, broken config, unknown profile: exit 2.
    Usage,
    /// Secret store, network or provider failure: exit 1.
    Operational,
}

#[derive(Debug)]
pub struct Error {
    kind: Kind,
    profile: Option<String>,
    message: String,
    /// The caller's protocol already carried the message (docker's stdout): exit without a line.
    reported: bool,
    /// An exit status a convention fixes (126/127 for a command that cannot start, like a shell).
    code: Option<i32>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Usage,
            profile: None,
            message: message.into(),
            reported: false,
            code: None,
        }
    }

    pub fn op(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Operational,
            profile: None,
            message: message.into(),
            reported: false,
            code: None,
        }
    }

    /// Names the profile the failure belongs to, unless an inner layer already did.
    pub fn for_profile(mut self, name: &str) -> Self {
        if self.profile.is_none() {
            self.profile = Some(name.to_string());
        }
        self
    }

    /// Prefixes what was being attempted: `what: why`.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// Marks the error as already shown to the user: `main` exits without printing it again.
    pub fn reported(mut self) -> Self {
        self.reported = true;
        self
    }

    pub fn is_reported(&self) -> bool {
        self.reported
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Exits with `code` instead of the kind's.
    pub fn with_code(mut self, code: i32) -> Self {
        self.code = Some(code);
        self
    }

    pub fn exit_code(&self) -> i32 {
        if let Some(c) = self.code {
            return c;
        }
        match self.kind {
            Kind::Usage => 2,
            Kind::Operational => 1,
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, always: a message built from server text must not break the format.
        let message = self.message.replace(['\n', '\r'], " ");
        match &self.profile {
            Some(p) => write!(f, "{p}: {message}"),
            None => f.write_str(&message),
        }
    }
}

impl std::error::Error for Error {}

pub trait ResultExt<T> {
    fn context(self, what: impl fmt::Display) -> Result<T>;
    fn for_profile(self, name: &str) -> Result<T>;
}

impl<T> ResultExt<T> for Result<T> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| e.context(what))
    }
    fn for_profile(self, name: &str) -> Result<T> {
        self.map_err(|e| e.for_profile(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_profile_and_context() {
        let e = Error::op("HTTP 400\nBad Request")
            .context("token exchange")
            .for_profile("p1");
        assert_eq!(e.to_string(), "p1: token exchange: HTTP 400 Bad Request");
        assert_eq!(e.exit_code(), 1);
        assert_eq!(Error::usage("x").exit_code(), 2);
    }

    #[test]
    fn inner_profile_name_wins() {
        let e = Error::usage("bad")
            .for_profile("inner")
            .for_profile("outer");
        assert_eq!(e.to_string(), "inner: bad");
    }
}

//! One error type for the whole program. Every failure becomes one line on stderr and an exit
//! code that depends only on its [`Kind`]; [`exit_code_table`] renders that mapping for the
//! README, `--help` and the man page, so the three cannot disagree with the code.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad arguments, broken config, unknown profile.
    Usage,
    /// Something the user has not provided yet: no secret stored, `secret_env` unset. Callers
    /// with a "not found" answer in their protocol (docker, cargo) give that answer instead.
    NotFound,
    /// Secret store, network or provider failure: may pass on its own.
    Operational,
    /// `tokex exec`: CMD was not found (127) or could not run (126), as a shell reports it.
    CannotRun,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Usage,
        Kind::NotFound,
        Kind::Operational,
        Kind::CannotRun,
    ];

    /// The exit codes of this kind: one, except `exec`'s two (which one is the error's own).
    fn exit_codes(self) -> &'static [i32] {
        match self {
            Kind::Usage | Kind::NotFound => &[2],
            Kind::Operational => &[1],
            Kind::CannotRun => &[126, 127],
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            Kind::Usage => {
                "usage or configuration error: bad arguments, broken config, unknown profile"
            }
            Kind::NotFound => {
                "no secret yet: run `tokex login NAME`, or set the profile's `secret_env`"
            }
            Kind::Operational => "operational failure: secret store, network or provider",
            Kind::CannotRun => "`tokex exec`: CMD cannot run (126) or was not found (127)",
        }
    }
}

/// `0 success`, then one line per error kind: the exit-code table everywhere it is shown.
pub fn exit_code_table() -> String {
    let mut out = String::from("  0        success\n");
    for kind in Kind::ALL {
        let codes: Vec<String> = kind.exit_codes().iter().map(i32::to_string).collect();
        out.push_str(&format!("  {:<8} {}\n", codes.join("/"), kind.meaning()));
    }
    out
}

#[derive(Debug)]
pub struct Error {
    kind: Kind,
    profile: Option<String>,
    message: String,
    /// The caller's protocol already carried the message (docker's stdout): exit without a line.
    reported: bool,
    /// 126 or 127 for [`Kind::CannotRun`].
    code: Option<i32>,
    /// A server's refusal as codes only (HTTP status, OAuth error code): what may be kept.
    server: Option<(u16, Option<String>)>,
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
            server: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::NotFound,
            profile: None,
            message: message.into(),
            reported: false,
            code: None,
            server: None,
        }
    }

    pub fn op(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Operational,
            profile: None,
            message: message.into(),
            reported: false,
            code: None,
            server: None,
        }
    }

    /// Records the server's refusal as its HTTP status and error code (never its prose).
    pub fn with_server(mut self, status: u16, code: Option<String>) -> Self {
        self.server = Some((status, code));
        self
    }

    /// The HTTP status and error code of the server's refusal, when a server refused.
    pub fn server(&self) -> Option<(u16, Option<&str>)> {
        self.server.as_ref().map(|(s, c)| (*s, c.as_deref()))
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

    /// Appends what followed from the failure: `why; what`.
    pub fn then(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{}; {what}", self.message);
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

    /// A command `tokex exec` could not start: 127 when it does not exist, else 126.
    pub fn cannot_run(message: impl Into<String>, not_found: bool) -> Self {
        Self {
            kind: Kind::CannotRun,
            profile: None,
            message: message.into(),
            reported: false,
            code: Some(if not_found { 127 } else { 126 }),
            server: None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == Kind::NotFound
    }

    pub fn exit_code(&self) -> i32 {
        let codes = self.kind.exit_codes();
        self.code.filter(|c| codes.contains(c)).unwrap_or(codes[0])
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
        assert_eq!(Error::not_found("x").exit_code(), 2);
        assert_eq!(Error::cannot_run("x", true).exit_code(), 127);
        assert_eq!(Error::cannot_run("x", false).exit_code(), 126);
    }

    #[test]
    fn the_exit_code_table_covers_every_kind() {
        let table = exit_code_table();
        assert!(table.starts_with("  0        success\n"), "{table}");
        for kind in Kind::ALL {
            assert!(table.contains(kind.meaning()), "{table}");
        }
    }

    #[test]
    fn inner_profile_name_wins() {
        let e = Error::usage("bad")
            .for_profile("inner")
            .for_profile("outer");
        assert_eq!(e.to_string(), "inner: bad");
    }
}

//! Keyless oauth2 profiles: where a workload's identity token (the *subject*) comes from, and
//! the rules of the grants and client authentications that need no stored client secret.

use super::{ClientAuth, Grant, OAuth2};
use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// `subject = "…"`: where the token a keyless profile exchanges comes from. It is read afresh
/// for every exchange and never stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Subject {
    /// The job's OIDC token from GitHub Actions (or Forgejo Actions): `github-actions`.
    GithubActions,
    /// A token in an environment variable (GitLab's `id_tokens`): `env:VAR`.
    Env(String),
    /// A token file, re-read each time as the kubelet rotates it: `file:PATH`.
    File(String),
    /// The token another profile issues: `profile:NAME`.
    Profile(String),
}

impl FromStr for Subject {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Subject, String> {
        let bad = |why: &str| Err(format!("`subject` {s:?}: {why}"));
        match s.split_once(':') {
            _ if s == "github-actions" => Ok(Subject::GithubActions),
            Some(("env", var)) => {
                if var.is_empty() || var.contains(['=', '\0']) {
                    return bad("not an environment variable name");
                }
                Ok(Subject::Env(var.to_string()))
            }
            Some(("file", path)) => {
                if !std::path::Path::new(path).is_absolute() {
                    return bad("the path must be absolute");
                }
                Ok(Subject::File(path.to_string()))
            }
            Some(("profile", name)) => match super::check_name(name) {
                Ok(()) => Ok(Subject::Profile(name.to_string())),
                Err(e) => bad(e.message()),
            },
            _ => bad("use github-actions, env:VAR, file:PATH or profile:NAME"),
        }
    }
}

impl TryFrom<String> for Subject {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Subject, String> {
        s.parse()
    }
}

impl From<Subject> for String {
    fn from(s: Subject) -> String {
        s.to_string()
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::GithubActions => f.write_str("github-actions"),
            Subject::Env(var) => write!(f, "env:{var}"),
            Subject::File(path) => write!(f, "file:{path}"),
            Subject::Profile(name) => write!(f, "profile:{name}"),
        }
    }
}

impl Subject {
    /// What the source is, for `status` and `doctor`.
    pub fn describe(&self, audience: Option<&str>) -> String {
        match self {
            Subject::GithubActions => match audience {
                Some(a) => format!("the GitHub Actions OIDC token, audience {a}"),
                None => "the GitHub Actions OIDC token (its default audience)".to_string(),
            },
            Subject::Env(var) => format!("the token in the environment variable {var}"),
            Subject::File(path) => format!("the token file {path}"),
            Subject::Profile(name) => format!("the token profile {name} issues"),
        }
    }
}

/// RFC 8693's default `subject_token_type`: the subject is a JWT.
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

impl OAuth2 {
    /// The client authentication the profile's token requests use; `None` for a public client
    /// (the refresh-token grants, and a keyless grant that names none).
    pub fn client_auth(&self) -> Option<ClientAuth> {
        match self.grant() {
            Grant::ClientCredentials => {
                Some(self.client_auth.unwrap_or(ClientAuth::ClientSecretBasic))
            }
            Grant::TokenExchange | Grant::JwtBearer => self.client_auth,
            Grant::RefreshToken | Grant::DeviceCode | Grant::AuthorizationCode => None,
        }
    }

    /// Whether the profile's token requests need a secret from a store: not when the subject
    /// token is all the proof (a public client, or the subject as the client assertion).
    pub fn needs_secret(&self) -> bool {
        match self.grant() {
            Grant::RefreshToken | Grant::DeviceCode | Grant::AuthorizationCode => true,
            Grant::ClientCredentials | Grant::TokenExchange | Grant::JwtBearer => {
                !matches!(self.client_auth(), None | Some(ClientAuth::ClientAssertion))
            }
        }
    }

    /// Whether the profile exchanges a subject token (the keyless grants and client assertion).
    pub fn wants_subject(&self) -> bool {
        matches!(self.grant(), Grant::TokenExchange | Grant::JwtBearer)
            || self.client_auth() == Some(ClientAuth::ClientAssertion)
    }

    /// The rules of the keyless keys. `own_source`: the profile names its own secret source.
    pub(super) fn validate_keyless(&self, own_source: bool) -> Result<()> {
        let grant = self.grant();
        let auth = self.client_auth();
        let refuse = |m: String| Err(Error::usage(m));
        if let Some(a) = self.client_auth
            && (auth.is_none()
                || (a == ClientAuth::ClientAssertion && grant != Grant::ClientCredentials))
        {
            return refuse(match a {
                ClientAuth::ClientAssertion => "`client_auth = \"client_assertion\"` applies to the client_credentials grant (the subject token is the client's proof)".to_string(),
                _ => format!(
                    "`client_auth` applies to the client_credentials, token_exchange and jwt_bearer grants (the {} grant is a public client: it sends `client_id` in the form)",
                    grant.name()
                ),
            });
        }
        match (self.wants_subject(), &self.subject) {
            (true, None) => {
                return refuse(format!(
                    "{} needs `subject` (profile add --subject github-actions|env:VAR|file:PATH|profile:NAME)",
                    if grant == Grant::ClientCredentials {
                        "client_auth client_assertion".to_string()
                    } else {
                        format!("grant {}", grant.name())
                    }
                ));
            }
            (false, Some(_)) => {
                return refuse("`subject` applies to the token_exchange and jwt_bearer grants and to client_auth client_assertion".to_string());
            }
            _ => {}
        }
        if self.subject_audience.is_some() && self.subject != Some(Subject::GithubActions) {
            return refuse("`subject_audience` applies to `subject = \"github-actions\"` (other sources carry the audience their platform gave them)".to_string());
        }
        for (key, set) in [
            ("subject_token_type", self.subject_token_type.is_some()),
            ("requested_token_type", self.requested_token_type.is_some()),
            ("resource", self.resource.is_some()),
        ] {
            if set && grant != Grant::TokenExchange {
                return refuse(format!("`{key}` applies to the token_exchange grant"));
            }
        }
        if self.assertion_audience.is_some() && auth != Some(ClientAuth::PrivateKeyJwt) {
            return refuse(
                "`assertion_audience` applies to `client_auth = \"private_key_jwt\"`".to_string(),
            );
        }
        if auth == Some(ClientAuth::PrivateKeyJwt) && own_source {
            return refuse("`client_auth = \"private_key_jwt\"` keeps its private key in a secret store (tokex login NAME --generate-key): drop `secret_env`, `secret_file` and `secret_command`".to_string());
        }
        if self.wants_subject() && !self.needs_secret() && own_source {
            return refuse(format!(
                "a keyless profile reads no secret (its proof is {}): drop `secret_env`, `secret_file` and `secret_command`",
                self.subject
                    .as_ref()
                    .map(|s| s.describe(None))
                    .unwrap_or_default()
            ));
        }
        Ok(())
    }
}

/// Profiles whose subjects are other profiles' tokens must not form a circle: each exchange
/// would wait on the next for ever. (A subject naming a profile the file lacks is said when used.)
pub fn check_chains(profiles: &std::collections::BTreeMap<String, super::Profile>) -> Result<()> {
    let next = |name: &str| match profiles.get(name)?.oauth2()?.subject.as_ref()? {
        Subject::Profile(other) => Some(other.as_str()),
        _ => None,
    };
    for start in profiles.keys() {
        let mut path = vec![start.as_str()];
        while let Some(other) = next(path[path.len() - 1]) {
            if path.contains(&other) {
                path.push(other);
                return Err(Error::usage(format!(
                    "`subject` profile:{other}: the profiles' subjects form a circle ({})",
                    path.join(" → ")
                )));
            }
            path.push(other);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_read_back_as_written() {
        // An absolute path is written differently on Windows.
        let file = if cfg!(windows) {
            r"file:C:\tokens\t"
        } else {
            "file:/var/run/secrets/tokens/t"
        };
        for s in ["github-actions", "env:CI_TOKEN", file, "profile:sso"] {
            assert_eq!(s.parse::<Subject>().unwrap().to_string(), s);
        }
        for bad in [
            "github",
            "env:",
            "env:A=B",
            "file:relative/t",
            "profile:-x",
            "vault:x",
        ] {
            let e = bad.parse::<Subject>().unwrap_err();
            assert!(e.starts_with("`subject`"), "{e}");
        }
    }
}

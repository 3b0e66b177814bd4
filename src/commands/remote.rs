//! `tokex status` and `tokex doctor` where `TOKEX_AGENT` is set: what this machine may ask the
//! agent for, and whether each of those profiles gives a token now. Never a token.

use super::Io;
use crate::agent::Remote;
use crate::broker::{Tokens, Want};
use crate::callers::write;
use crate::error::{Error, Result};
use crate::token::rfc3339;

pub fn status(remote: &Remote, only: Option<String>, io: &mut Io) -> Result<()> {
    let (names, listed) = remote.profiles()?;
    let mut out = format!(
        "agent: {} ({}); no config, store or cache here\n",
        remote.path().display(),
        crate::agent::ENV
    );
    let names: Vec<&String> = names
        .iter()
        .filter(|n| only.as_ref().is_none_or(|o| o == *n))
        .collect();
    if let Some(o) = &only
        && names.is_empty()
    {
        return Err(Error::usage("the agent does not serve this profile").for_profile(o));
    }
    out.push_str(&format!("profiles it serves here: {}\n", names.len()));
    for name in names {
        let matches: Vec<&str> = listed
            .iter()
            .filter(|l| &l.profile == name)
            .map(|l| l.pattern.as_str())
            .collect();
        let shown = match matches.is_empty() {
            true => "no match entries".to_string(),
            false => format!("match {}", matches.join(", ")),
        };
        out.push_str(&format!("{name}: through the agent; {shown}\n"));
    }
    write(io.stdout, &out)
}

/// Tests by doing: the agent answers, and each profile it serves gives a token now.
pub fn doctor(remote: Result<Remote>, only: Option<String>, io: &mut Io) -> Result<()> {
    let mut out = String::new();
    let mut failed = false;
    let mut line = |ok: bool, what: &str, detail: &str| {
        failed |= !ok;
        let tag = if ok { "ok  " } else { "fail" };
        out.push_str(&format!("{tag} {what}: {}\n", detail.replace('\n', " ")));
    };
    match remote.and_then(|r| r.profiles().map(|p| (r, p))) {
        Err(e) => line(false, "agent", e.message()),
        Ok((remote, (names, _))) => {
            line(
                true,
                "agent",
                &format!("{} answers", remote.path().display()),
            );
            for name in names
                .iter()
                .filter(|n| only.as_ref().is_none_or(|o| o == *n))
            {
                match remote.token(name, Want::default()) {
                    Ok(issued) => line(
                        true,
                        &format!("{name}: token"),
                        &format!("valid until {}", rfc3339(issued.token.reported_expiry())),
                    ),
                    Err(e) => line(false, &format!("{name}: token"), e.message()),
                }
            }
        }
    }
    write(io.stdout, &out)?;
    if failed {
        return Err(Error::op("doctor found problems (the `fail` lines above)"));
    }
    Ok(())
}

//! The one path every caller takes to a token: a cache hit (no network, no TLS, no secret
//! store), or, under the profile's lock, re-check → read secret → exchange → store a rotated
//! secret → write the cache.

use crate::cache::{self, Cache};
use crate::config::Profile;
use crate::error::{Result, ResultExt};
use crate::http::Http;
use crate::providers;
use crate::secrets;
use crate::token::Token;
use time::{Duration, OffsetDateTime};

pub const DEFAULT_MIN_VALID: Duration = Duration::minutes(1);

#[derive(Debug, Clone, Copy)]
pub struct Want {
    /// The token must stay valid at least this long after it is handed out.
    pub min_valid: Duration,
    /// Skip the cache and exchange anew.
    pub refresh: bool,
}

impl Default for Want {
    fn default() -> Self {
        Want {
            min_valid: DEFAULT_MIN_VALID,
            refresh: false,
        }
    }
}

pub fn token(cache: &Cache, name: &str, profile: &Profile, want: Want) -> Result<Token> {
    let key = cache::key(name, profile);
    if !want.refresh
        && let Some(t) = fresh(cache.read(name, &key), want.min_valid)
    {
        crate::log::debug(|| format!("{name}: cache hit"));
        return Ok(t);
    }
    let _lock = cache.lock(name).for_profile(name)?;
    // Another process may have refreshed while we waited for the lock.
    if !want.refresh
        && let Some(t) = fresh(cache.read(name, &key), want.min_valid)
    {
        crate::log::debug(|| format!("{name}: cache hit after waiting for the lock"));
        return Ok(t);
    }
    let secret = secrets::read(name, profile).for_profile(name)?;
    let mut token = exchange_with(name, profile, &secret)?;
    crate::failpoint::hit("after-exchange");
    if let Some(rotated) = token.refresh_token.take() {
        store_rotated(name, profile, &secret, rotated)?;
    }
    crate::failpoint::hit("before-cache-write");
    cache.write(name, &key, &token);
    Ok(token)
}

/// One exchange with a given secret, no cache: for the broker and `login`'s verification.
pub fn exchange_with(
    name: &str,
    profile: &Profile,
    secret: &crate::sensitive::Secret,
) -> Result<Token> {
    let http = Http::for_profile(profile).for_profile(name)?;
    providers::exchange(&http, profile, secret)
        .map_err(|e| e.context(format_args!("{} token exchange", profile.provider)))
        .for_profile(name)
}

/// Keeps a refresh token the server rotated: stored (and read back) before the access token is
/// handed out, so a kill at any point leaves the store holding a token the server accepts.
pub fn store_rotated(
    name: &str,
    profile: &Profile,
    current: &crate::sensitive::Secret,
    rotated: crate::sensitive::Secret,
) -> Result<()> {
    if !providers::rotates(profile) || current == &rotated {
        return Ok(());
    }
    match secrets::Source::of(profile) {
        secrets::Source::Store | secrets::Source::File(_) => {
            crate::log::debug(|| {
                format!("{name}: the server rotated the refresh token; storing it")
            });
            secrets::write(name, profile, &rotated)
                .map_err(|e| e.context("storing the rotated refresh token"))
                .for_profile(name)
        }
        other => {
            eprintln!(
                "tokex: {name}: warning: the server issued a new refresh token, but the secret comes from {other} and cannot be updated; the old one may stop working"
            );
            Ok(())
        }
    }
}

fn fresh(t: Option<Token>, min_valid: Duration) -> Option<Token> {
    t.filter(|t| t.remaining(OffsetDateTime::now_utc()) >= min_valid)
}

/// Drops the cached token after a caller reported it rejected (git `erase`, docker `erase`,
/// terraform `forget`). When the caller names the credential it rejected and that is not ours,
/// our token is kept: git sends `erase` to every helper, not only to the one that answered.
pub fn forget(
    cache: &Cache,
    name: &str,
    profile: &Profile,
    rejected: Option<&crate::sensitive::Secret>,
) -> Result<bool> {
    if let Some(rejected) = rejected {
        match cache.read(name, &cache::key(name, profile)) {
            Some(t) if &t.access_token == rejected => {}
            _ => return Ok(false),
        }
    }
    cache.remove(name).for_profile(name)
}

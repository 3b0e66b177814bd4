//! Refreshing ahead, so no caller waits on the network while a valid token exists: a cache hit
//! that finds the token in the last part of its life (`refresh_ahead`, default a quarter of its
//! lifetime, before the stretch in which it is no longer handed out) answers at once and starts
//! a detached `tokex __refresh-ahead NAME`. That process takes the profile's exchange lock, so at
//! most one refresh runs per profile and a foreground exchange never races it; it renews through
//! the same steps as a miss (a rotated refresh token is stored before the new token is cached),
//! so a kill at any point loses nothing. A failure leaves the cached token in place and backs
//! off (30 s, doubling, at most 10 min); the reason is logged at debug level by later hits.

use super::Broker;
use super::rules::{DEFAULT_MIN_VALID, key, need};
use crate::cache::{Backoff, Cache};
use crate::config::Profile;
use crate::error::{Result, ResultExt};
use crate::token::Token;
use std::process::{Command, Stdio};
use time::{Duration, OffsetDateTime};

/// The hidden subcommand the background refresher runs as.
pub const SUBCOMMAND: &str = "__refresh-ahead";
const FIRST_BACKOFF_SECS: i64 = 30;
const MAX_BACKOFF_SECS: i64 = 600;

/// Whether `token`, served to a caller that needs `need` more of it, is in its last part.
pub(super) fn due(profile: &Profile, token: &Token, need: Duration) -> bool {
    let ahead = profile.refresh_ahead(token.lifetime());
    ahead > Duration::ZERO && token.remaining(OffsetDateTime::now_utc()) < need + ahead
}

/// After a hit: starts a background refresh when one is due, none is running and no backoff
/// holds. Never fails the hit: anything that goes wrong is a debug line. Both programs call it:
/// the engine's broker and the small `tokex`'s hot path.
pub(super) fn on_hit(cache: &Cache, name: &str, profile: &Profile, token: &Token, need: Duration) {
    if !due(profile, token, need) {
        return;
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    if let Some(b) = cache.backoff(name).filter(|b| now < b.not_before) {
        crate::log::debug(|| {
            format!(
                "{name}: the last background refresh failed ({}); the next may start in {}s",
                b.reason(),
                b.not_before - now
            )
        });
        return;
    }
    if crate::stores::may_prompt(profile) {
        crate::log::debug(|| {
            format!(
                "{name}: no background refresh: reading its secret may prompt (pass, secret_command); a caller renews it when it is due"
            )
        });
        return;
    }
    // Held: an exchange or a background refresh is under way and will replace the token.
    if cache.lock_if_free(name).is_none() {
        return;
    }
    let started = refresher().and_then(|exe| {
        let mut cmd = Command::new(exe);
        cmd.args([SUBCOMMAND, name])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        crate::platform::spawn_detached(cmd)
    });
    match started {
        Ok(()) => crate::log::debug(|| format!("{name}: started a background refresh")),
        Err(e) => crate::log::debug(|| format!("{name}: no background refresh: {e}")),
    }
}

/// The program that refreshes: `tokex-engine` beside the running program (itself, in the
/// engine), else the running program.
fn refresher() -> std::io::Result<std::path::PathBuf> {
    match crate::platform::sibling_program("tokex-engine") {
        Ok(engine) if engine.exists() => Ok(engine),
        _ => std::env::current_exe(),
    }
}

/// The background refresher: renews the token unless another process already did.
pub(super) fn run(broker: &Broker, name: &str) -> Result<()> {
    let profile = broker.config.get(name)?;
    let key = key(name, profile);
    let _lock = broker.cache.lock(name).for_profile(name)?;
    match broker.cache.read(name, &key) {
        Some(t) if due(profile, &t, need(&t, DEFAULT_MIN_VALID)) => {}
        // Renewed meanwhile, or gone (logged out, expired): the next caller decides.
        _ => return Ok(()),
    }
    if crate::stores::may_prompt(profile) {
        return Ok(());
    }
    let store = match profile.needs_secret() {
        true => Some(broker.store(name, profile)?),
        false => None,
    };
    if store.as_ref().is_some_and(|s| !s.describe().quiet_read) {
        // A store that may prompt is read only where a user can answer.
        return Ok(());
    }
    match broker.renew(name, profile, store.as_deref(), &key) {
        Ok(_) => broker.cache.set_backoff(name, None),
        Err(e) => {
            let failures = broker.cache.backoff(name).map_or(0, |b| b.failures);
            let wait = FIRST_BACKOFF_SECS
                .saturating_mul(1 << failures.min(10))
                .min(MAX_BACKOFF_SECS);
            let (status, code) = e.server().unzip();
            let backoff = Backoff {
                not_before: OffsetDateTime::now_utc().unix_timestamp() + wait,
                failures: failures.saturating_add(1),
                status,
                code: code.flatten().map(str::to_string),
            };
            broker.cache.set_backoff(name, Some(&backoff));
        }
    }
    Ok(())
}

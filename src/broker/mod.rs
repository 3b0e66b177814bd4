//! The one door every caller and command goes through, [`Tokens`]: `token`, `forget`, `login`,
//! `logout`, `status`. [`Broker`] is its only implementation and the only code that touches the
//! cache, the secret stores and the providers. A token is a cache hit (no network, no TLS, no
//! store), or, under the profile's lock: re-check → secret → exchange → store a rotated secret →
//! cache.

mod account;
mod ahead;
mod checks;
mod chosen;
mod issued;
mod keyless;
mod rules;
mod signin;

pub use crate::stores::{Description, Role};
pub use account::{
    CachedState, LoggedIn, LoggedOut, SecretCheck, SecretGone, SecretState, Status,
    nothing_to_log_in,
};
pub use ahead::SUBCOMMAND as REFRESH_AHEAD_SUBCOMMAND;
pub use checks::StoreCheck;
pub use chosen::{Chosen, Listed, choose_in, listing_in};
pub use issued::Issued;
pub use rules::{DEFAULT_MIN_VALID, discover};
pub use signin::{DEFAULT_BROWSER_TIMEOUT, SignIn};

use crate::cache::Cache;
use crate::config::{Config, Profile};
use crate::error::{Error, Result, ResultExt};
use crate::sensitive::Secret;
use crate::stores::Store;
use crate::token::Token;
use rules::{fresh, http_for, key, need, resolved, short};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy)]
pub struct Want {
    /// The token must stay valid at least this long after it is handed out.
    pub min_valid: Duration,
    /// Skip the cache and exchange anew.
    pub refresh: bool,
}

impl Default for Want {
    fn default() -> Self {
        Want::lasting(DEFAULT_MIN_VALID)
    }
}

impl Want {
    pub fn lasting(min_valid: Duration) -> Want {
        Want {
            min_valid,
            refresh: false,
        }
    }
}

/// What every caller may ask. Callers get issued tokens and a profile's few caller-facing facts
/// ([`Chosen`]), never a provider, a store or the config itself: an agent's clients have none.
pub trait Tokens {
    /// The profile `named`, else the one whose `match` fits `target` (`Ok(None)`: none does).
    fn choose(
        &self,
        named: Option<&str>,
        target: &dyn Fn() -> Result<crate::matching::Target>,
    ) -> Result<Option<Chosen>>;
    /// Every profile's `match` entries (docker's `list`).
    fn listing(&self) -> Result<Vec<Listed>>;
    fn token(&self, name: &str, want: Want) -> Result<Issued>;
    /// Drops the cached token after a caller reported it rejected; `rejected` names what the
    /// caller sent, and a token that is not ours is kept (git sends `erase` to every helper).
    fn forget(&self, name: &str, rejected: Option<&Secret>) -> Result<bool>;
    /// The account operations, where this broker has them (the hot path's cache has not: a
    /// caller that needs one there leaves the answer to the engine).
    fn accounts(&self) -> Option<&dyn Accounts> {
        None
    }
    /// The profile `name`, which must exist.
    fn named(&self, name: &str) -> Result<Chosen> {
        self.choose(Some(name), &chosen::no_target)?
            .ok_or_else(|| Error::usage("no such profile").for_profile(name))
    }
}

/// What changes a profile's stored secret: `login`, `logout`, and the callers whose protocols
/// carry them (cargo's `login`/`logout`, kubectl's interactive sign-in).
pub trait Accounts: Tokens {
    /// Verifies `secret` by an exchange (unless `verify` is false), then stores it.
    fn login(&self, name: &str, secret: Secret, verify: bool) -> Result<LoggedIn>;
    /// Signs the user in at the profile's identity provider (grant `device_code` or
    /// `authorization_code`), telling them what to do on `say` (stderr: never a caller's
    /// stdout), and stores the refresh token it yields.
    fn sign_in(&self, name: &str, how: SignIn, say: &mut dyn std::io::Write) -> Result<LoggedIn>;
    /// Revokes where the profile can (when `revoke`), then deletes the secret and the cache.
    fn logout(&self, name: &str, revoke: bool) -> Result<LoggedOut>;
    fn status(&self, name: &str) -> Result<Status>;
}

/// Opens the store that holds a profile's secret.
pub type StoreFor = Box<dyn Fn(&Profile) -> Result<Arc<dyn Store>> + Send + Sync>;
/// Where warnings go (stderr in the program): "say it once" notes that are not failures.
pub type Notice = Box<dyn Fn(&str) + Send + Sync>;

pub struct Broker {
    config: Config,
    cache: Cache,
    stores: StoreFor,
    notice: Notice,
    /// Hits start background refreshes (the program; not unit tests).
    refresh_ahead: bool,
}

impl Broker {
    pub fn with(config: Config, cache: Cache, stores: StoreFor, notice: Notice) -> Broker {
        Broker {
            config,
            cache,
            stores,
            notice,
            refresh_ahead: false,
        }
    }

    /// Lets cache hits start background refreshes (see `ahead`).
    pub fn refreshing_ahead(mut self) -> Broker {
        self.refresh_ahead = true;
        self
    }

    /// Sends warnings elsewhere (the agent's log).
    pub fn noticing(mut self, notice: Notice) -> Broker {
        self.notice = notice;
        self
    }

    /// `tokex __refresh-ahead NAME`, the detached process a hit starts.
    pub fn refresh_in_background(&self, name: &str) -> Result<()> {
        ahead::run(self, name)
    }

    /// The miss path under the lock: secret (none for a keyless profile) → exchange → a
    /// rotated secret stored → cache.
    fn renew(
        &self,
        name: &str,
        profile: &Profile,
        store: Option<&dyn Store>,
        key: &str,
    ) -> Result<Token> {
        let secret = match store {
            Some(store) => Some(store.get(name).for_profile(name)?),
            None => None,
        };
        let mut token = self.exchange(name, profile, secret.as_ref())?;
        crate::failpoint::hit("after-exchange");
        if let (Some(rotated), Some(store), Some(secret)) =
            (token.refresh_token.take(), store, &secret)
        {
            self.keep_rotated(name, profile, store, secret, rotated)?;
        }
        crate::failpoint::hit("before-cache-write");
        self.cache.write(name, key, &token);
        Ok(token)
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    fn store(&self, name: &str, profile: &Profile) -> Result<Arc<dyn Store>> {
        (self.stores)(profile).for_profile(name)
    }

    /// One exchange with a given secret, no cache. A refresh token the provider no longer
    /// accepts is [`NotFound`](crate::error::Kind::NotFound), naming the sign-in that mends it.
    fn exchange(&self, name: &str, profile: &Profile, secret: Option<&Secret>) -> Result<Token> {
        let profile = resolved(profile).for_profile(name)?;
        let subject = match profile.oauth2().filter(|o| o.wants_subject()) {
            Some(o) => Some(
                keyless::subject(self, name, o, profile.timeout.map(|t| t.0)).for_profile(name)?,
            ),
            None => None,
        };
        let http = http_for(&profile).for_profile(name)?;
        let proof = crate::providers::Proof {
            secret,
            subject: subject.as_ref(),
        };
        crate::providers::exchange(&http, &profile, proof)
            .map_err(|e| {
                let e = e.context(format_args!("{} token exchange", profile.provider));
                if e.is_not_found() {
                    Error::not_found(format!(
                        "{}: the stored refresh token is no longer accepted; sign in again with `tokex login {name}`",
                        e.message()
                    ))
                } else {
                    e
                }
            })
            .for_profile(name)
    }

    /// Keeps a refresh token the server rotated: stored (and read back) before the access token
    /// is handed out, so a kill at any point leaves the store holding a token the server accepts.
    fn keep_rotated(
        &self,
        name: &str,
        profile: &Profile,
        store: &dyn Store,
        current: &Secret,
        rotated: Secret,
    ) -> Result<()> {
        if !crate::providers::rotates(profile) || current == &rotated {
            return Ok(());
        }
        let source = store.describe();
        if source.role == Role::ReadOnly {
            (self.notice)(&format!(
                "tokex: {name}: warning: the server issued a new refresh token, but the secret comes from {} and cannot be updated; the old one may stop working",
                source.name
            ));
            return Ok(());
        }
        crate::log::debug(|| format!("{name}: the server rotated the refresh token; storing it"));
        store
            .set(name, &rotated)
            .map_err(|e| e.context("storing the rotated refresh token"))
            .for_profile(name)
    }

    /// Says once when the caller asked for more validity than the provider's tokens have.
    fn warn_if_short(&self, name: &str, profile: &Profile, token: &Token, want: Want) {
        let left = token.remaining(OffsetDateTime::now_utc());
        if short(token, want.min_valid) {
            (self.notice)(&format!(
                "tokex: {name}: warning: {} tokens live {}, so the {} of validity asked for cannot be met; this one is valid for {}",
                profile.provider,
                crate::duration::show(token.lifetime()),
                crate::duration::show(want.min_valid),
                crate::duration::show(left),
            ));
        }
    }
}

impl Broker {
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl Tokens for Broker {
    fn choose(
        &self,
        named: Option<&str>,
        target: &dyn Fn() -> Result<crate::matching::Target>,
    ) -> Result<Option<Chosen>> {
        choose_in(&self.config, named, target)
    }

    fn listing(&self) -> Result<Vec<Listed>> {
        Ok(listing_in(&self.config))
    }

    fn token(&self, name: &str, want: Want) -> Result<Issued> {
        let profile = self.config.get(name)?;
        let key = key(name, profile);
        let cached = || {
            self.cache
                .read(name, &key)
                .filter(|t| !want.refresh && fresh(t, want.min_valid))
        };
        if let Some(t) = cached() {
            crate::log::debug(|| format!("{name}: cache hit"));
            self.warn_if_short(name, profile, &t, want);
            if self.refresh_ahead {
                ahead::on_hit(&self.cache, name, profile, &t, need(&t, want.min_valid));
            }
            return Ok(Issued::new(profile, t));
        }
        let _lock = self.cache.lock(name).for_profile(name)?;
        // Another process may have refreshed while we waited for the lock.
        if let Some(t) = cached() {
            crate::log::debug(|| format!("{name}: cache hit after waiting for the lock"));
            self.warn_if_short(name, profile, &t, want);
            return Ok(Issued::new(profile, t));
        }
        let store = match profile.needs_secret() {
            true => Some(self.store(name, profile)?),
            false => None,
        };
        let token = self.renew(name, profile, store.as_deref(), &key)?;
        self.warn_if_short(name, profile, &token, want);
        Ok(Issued::new(profile, token))
    }

    fn forget(&self, name: &str, rejected: Option<&Secret>) -> Result<bool> {
        let profile = self.config.get(name)?;
        if let Some(rejected) = rejected {
            match self.cache.read(name, &key(name, profile)) {
                Some(t) if &t.access_token == rejected => {}
                _ => return Ok(false),
            }
        }
        self.cache.remove(name).for_profile(name)
    }

    fn accounts(&self) -> Option<&dyn Accounts> {
        Some(self)
    }
}

impl Accounts for Broker {
    fn login(&self, name: &str, secret: Secret, verify: bool) -> Result<LoggedIn> {
        account::login(self, name, secret, verify)
    }

    fn sign_in(&self, name: &str, how: SignIn, say: &mut dyn std::io::Write) -> Result<LoggedIn> {
        signin::sign_in(self, name, how, say)
    }

    fn logout(&self, name: &str, revoke: bool) -> Result<LoggedOut> {
        account::logout(self, name, revoke)
    }

    fn status(&self, name: &str) -> Result<Status> {
        account::status(self, name)
    }
}

/// A cached token that may be handed out at once with nothing to warn about: the small `tokex`
/// program answers exactly these hits itself (starting a background refresh when one is due,
/// as the broker's hit path does) and hands every other case to the engine, whose broker does
/// the rest; both decide with these same functions.
pub fn quiet_hit(cache: &Cache, name: &str, profile: &Profile, want: Want) -> Option<Token> {
    if want.refresh {
        return None;
    }
    let token = cache.read(name, &key(name, profile))?;
    if !fresh(&token, want.min_valid) || short(&token, want.min_valid) {
        return None;
    }
    ahead::on_hit(cache, name, profile, &token, need(&token, want.min_valid));
    Some(token)
}

#[cfg(test)]
mod tests;

//! The bodies of `login`, `logout` and `status` (shared by `tokex status` and `tokex doctor`):
//! the only code that writes or deletes a stored secret on the user's request.

use super::Broker;
use super::rules::{http_for, key, resolved};
use crate::config::{Endpoint, Profile};
use crate::error::{Error, Result, ResultExt};
use crate::sensitive::Secret;
use crate::stores::{Description, Role, Store};
use crate::token::Token;
use time::OffsetDateTime;

/// Where `login` put the secret, and the verified token's reported expiry.
#[derive(Debug)]
pub struct LoggedIn {
    pub store: Description,
    pub valid_until: Option<OffsetDateTime>,
}

#[derive(Debug)]
pub struct LoggedOut {
    /// What was revoked at the profile's `revocation_url`, in order.
    pub revoked: Vec<&'static str>,
    pub secret: SecretGone,
    pub store: Description,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretGone {
    Deleted,
    NothingStored,
    /// The secret lives in the user's own place (env, file, command): not ours to delete.
    LeftAlone,
    /// A keyless profile has no secret anywhere.
    Keyless,
}

#[derive(Debug)]
pub struct Status {
    pub secret: SecretCheck,
    pub cached: CachedState,
}

#[derive(Debug)]
pub struct SecretCheck {
    pub source: Description,
    pub state: SecretState,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SecretState {
    Present,
    /// Nothing there yet; the message says what to do.
    Missing(String),
    Failed(String),
    /// A `secret_command` is not run for a status: it may prompt.
    NotChecked,
}

#[derive(Debug)]
pub enum CachedState {
    None,
    Valid { until: OffsetDateTime },
    Expired { at: OffsetDateTime },
}

/// The profile's store, which must be one tokex may write (not the user's env, file or
/// command); `refused` says what could not be done otherwise.
pub(super) fn vault(
    broker: &Broker,
    name: &str,
    profile: &Profile,
    refused: &str,
) -> Result<(std::sync::Arc<dyn Store>, Description)> {
    let store = broker.store(name, profile)?;
    let source = store.describe();
    if source.role != Role::Vault {
        return Err(Error::usage(format!(
            "the profile reads its secret from {}; {refused}",
            source.name
        ))
        .for_profile(name));
    }
    Ok((store, source))
}

/// Refuses `login` for a keyless profile, which has nothing to store: said before any secret is
/// asked for.
pub fn nothing_to_log_in(name: &str, profile: &Profile) -> Result<()> {
    match profile.oauth2().filter(|_| !profile.needs_secret()) {
        Some(o) => Err(Error::usage(format!(
            "the profile is keyless: its proof is {}, read for each exchange; there is nothing to log in (`tokex token {name}` works as it is)",
            super::keyless::describe(o).name
        ))
        .for_profile(name)),
        None => Ok(()),
    }
}

pub(super) fn login(broker: &Broker, name: &str, secret: Secret, verify: bool) -> Result<LoggedIn> {
    let profile = broker.config().get(name)?;
    nothing_to_log_in(name, profile)?;
    let (store, source) = vault(broker, name, profile, "there is nothing for login to store")?;
    check_secret(&secret).for_profile(name)?;
    let mut stored = secret.clone();
    let mut verified = None;
    if verify {
        let mut token = broker.exchange(name, profile, Some(&secret)).map_err(|e| {
            Error::op(format!("{}; the secret was not stored", e.message())).for_profile(name)
        })?;
        // A server that rotates has already spent what the user typed: keep the new one.
        if let Some(rotated) = token
            .refresh_token
            .take()
            .filter(|_| crate::providers::rotates(profile))
        {
            stored = rotated;
        }
        verified = Some(token);
    }
    store.set(name, &stored).for_profile(name)?;
    broker.cache.remove(name).for_profile(name)?;
    if let Some(token) = &verified {
        broker.cache.write(name, &key(name, profile), token);
    }
    Ok(LoggedIn {
        store: source,
        valid_until: verified.map(|t| t.reported_expiry()),
    })
}

/// A secret is one line of text: a NUL or a line break would not survive every store.
fn check_secret(secret: &Secret) -> Result<()> {
    if secret.is_empty() {
        return Err(Error::usage("empty secret"));
    }
    if secret.expose().contains(['\0', '\n', '\r']) {
        return Err(Error::usage(
            "the secret contains a NUL byte or a line break; a secret is one line",
        ));
    }
    Ok(())
}

pub(super) fn logout(broker: &Broker, name: &str, revoke: bool) -> Result<LoggedOut> {
    let profile = broker.config().get(name)?;
    if let Some(o) = profile.oauth2().filter(|_| !profile.needs_secret()) {
        // Nothing stored, nothing to revoke with: the cached token is all there is.
        broker.cache.forget(name).for_profile(name)?;
        return Ok(LoggedOut {
            revoked: Vec::new(),
            secret: SecretGone::Keyless,
            store: super::keyless::describe(o),
        });
    }
    let store = broker.store(name, profile)?;
    let revoked = if revoke && crate::providers::revokes(profile) {
        revoke_tokens(broker, name, profile, &*store).map_err(|e| {
            Error::op(format!(
                "{}; nothing was deleted (retry, or `tokex logout {name} --no-revoke` to delete locally only)",
                e.message()
            ))
            .for_profile(name)
        })?
    } else {
        Vec::new()
    };
    broker.cache.forget(name).for_profile(name)?;
    let source = store.describe();
    let secret = match source.role {
        Role::Vault if store.delete(name).for_profile(name)? => SecretGone::Deleted,
        Role::Vault => SecretGone::NothingStored,
        Role::UserFile | Role::ReadOnly => SecretGone::LeftAlone,
    };
    Ok(LoggedOut {
        revoked,
        secret,
        store: source,
    })
}

/// RFC 7009: the refresh token (where the secret is one) and the cached token, each revoked at
/// the profile's revocation endpoint (`revocation_url` or the issuer's). Returns what was revoked.
fn revoke_tokens(
    broker: &Broker,
    name: &str,
    profile: &Profile,
    store: &dyn Store,
) -> Result<Vec<&'static str>> {
    let secret = match store.get(name) {
        Ok(s) => s,
        // Nothing stored: no refresh token to revoke, and no client secret to authenticate with.
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        // Unreadable is not absent: deleting it now would leave a live refresh token behind.
        Err(e) => return Err(e.context("reading the stored secret to revoke it")),
    };
    let key = key(name, profile);
    let profile = resolved(profile)?;
    let profile = &*profile;
    let Some(o) = profile
        .oauth2()
        .filter(|o| o.endpoint(Endpoint::Revocation).is_some())
    else {
        return Ok(Vec::new());
    };
    let http = http_for(profile)?;
    // A revocation authenticates as the token requests do; one that needs the subject token
    // (client_assertion) has none to hand here, so it revokes nothing.
    if o.wants_subject() {
        return Ok(Vec::new());
    }
    let proof = crate::providers::Proof {
        secret: Some(&secret),
        subject: None,
    };
    let mut done = Vec::new();
    if o.grant().refreshes() {
        crate::providers::revoke(&http, profile, proof, &secret, "refresh_token")
            .map_err(|e| e.context("revoking the refresh token"))?;
        done.push("refresh token");
    }
    let cached: Option<Token> = broker
        .cache
        .read(name, &key)
        .filter(|t| t.expires_at > OffsetDateTime::now_utc());
    // An ID token handed out in place of the access token is not revocable (RFC 7009 knows
    // access and refresh tokens).
    if let Some(token) = cached.filter(|_| !o.use_id_token) {
        crate::providers::revoke(&http, profile, proof, &token.access_token, "access_token")
            .map_err(|e| e.context("revoking the cached access token"))?;
        done.push("cached access token");
    }
    Ok(done)
}

pub(super) fn status(broker: &Broker, name: &str) -> Result<Status> {
    let profile = broker.config().get(name)?;
    let keyless = profile.oauth2().filter(|_| !profile.needs_secret());
    let secret = match keyless.map(|o| (o, super::keyless::present(broker, o))) {
        Some((o, found)) => SecretCheck {
            source: super::keyless::describe(o),
            state: found.map_or_else(SecretState::Missing, |()| SecretState::Present),
        },
        None => stored_check(broker, name, profile),
    };
    let now = OffsetDateTime::now_utc();
    let cached = match broker.cache.read(name, &key(name, profile)) {
        Some(t) if t.expires_at > now => CachedState::Valid {
            until: t.reported_expiry(),
        },
        Some(t) => CachedState::Expired { at: t.expires_at },
        None => CachedState::None,
    };
    Ok(Status { secret, cached })
}

fn stored_check(broker: &Broker, name: &str, profile: &Profile) -> SecretCheck {
    match broker.store(name, profile) {
        Ok(store) => check(&*store, name),
        Err(e) => SecretCheck {
            source: Description {
                name: "the secret store".into(),
                location: String::new(),
                lifetime: "",
                role: Role::Vault,
                quiet_read: true,
            },
            state: SecretState::Failed(e.message().to_string()),
        },
    }
}

/// Reads the secret (never shows it) to tell present from missing from broken.
fn check(store: &dyn Store, name: &str) -> SecretCheck {
    let source = store.describe();
    let state = if !source.quiet_read {
        SecretState::NotChecked
    } else {
        match store.get(name) {
            Ok(_) => SecretState::Present,
            Err(e) if e.is_not_found() => SecretState::Missing(e.message().to_string()),
            Err(e) => SecretState::Failed(e.message().to_string()),
        }
    };
    SecretCheck { source, state }
}

//! The broker's shared rules, which every part of it applies alike and which import nothing of
//! the broker's: when a cached token may be handed out, the cache key, the HTTP client a
//! profile gets, and how a profile's endpoints are found (OIDC discovery).

use crate::config::{Discovered, Endpoint, OAuth2, Profile};
use crate::error::{Error, Result};
use crate::http::{Http, Settings};
use crate::providers::oidc;
use crate::token::Token;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use time::{Duration, OffsetDateTime};

/// The validity a caller gets when it asks for none: a token is never handed out in its last
/// minute.
pub const DEFAULT_MIN_VALID: Duration = Duration::minutes(1);

/// Whether the caller asked for more validity than this token has left (and than
/// [`DEFAULT_MIN_VALID`]): it is still served, with a warning.
pub fn short(token: &Token, min_valid: Duration) -> bool {
    min_valid > DEFAULT_MIN_VALID && token.remaining(OffsetDateTime::now_utc()) < min_valid
}

/// Whether a cached token may be handed out to a caller that wants `min_valid` more of it.
/// A minimum the provider's tokens cannot meet at all (they live shorter) is not chased with an
/// exchange on every call: such a token is served as any other, until its last stretch.
pub fn fresh(token: &Token, min_valid: Duration) -> bool {
    token.remaining(OffsetDateTime::now_utc()) >= need(token, min_valid)
}

/// How much validity a token must have left to be handed out to a caller asking `min_valid`.
pub fn need(token: &Token, min_valid: Duration) -> Duration {
    let life = token.lifetime();
    if min_valid < life {
        min_valid
    } else {
        DEFAULT_MIN_VALID.min(life / 2)
    }
}

pub fn http_for(profile: &Profile) -> Result<Http> {
    Http::new(Settings {
        timeout: profile.timeout.map(|t| t.0),
        ca_file: profile.ca_file.as_deref(),
        plain_http_only: plain_http_only(profile),
    })
}

/// Whether every address the profile sends to is plain `http://` (which the URL rule allows to
/// loopback only): its client then loads no TLS trust store, which is most of an exchange's
/// work (parsing the system's CA bundle) and of no use there.
pub fn plain_http_only(p: &Profile) -> bool {
    let urls = p.provider.urls();
    !urls.is_empty() && urls.iter().all(|(_, u)| u.starts_with("http://"))
}

/// The cache key: a hash of the profile's name and every field that shapes its token or says
/// where its secret comes from. Editing the profile changes it; `login` and `logout` remove
/// the file.
pub fn key(name: &str, profile: &Profile) -> String {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0]);
    // Serialised straight into the hash: the hit path builds no string for it.
    profile.write_identity(&mut h);
    hex::encode(&h.finalize()[..16])
}

/// Reads the issuer's discovery document and checks it names what the profile's grant needs.
pub fn discover(profile: &Profile) -> Result<Discovered> {
    let o = profile
        .oauth2()
        .ok_or_else(|| Error::usage("only an oauth2 profile has an `issuer` to discover"))?;
    let issuer = o
        .issuer
        .as_deref()
        .ok_or_else(|| Error::usage("the profile has no `issuer` to discover"))?;
    let http = http_for(profile)?;
    let body = http
        .send(&oidc::discovery_request(issuer)?, &[])
        .and_then(|b| oidc::parse_discovery(&b, issuer))
        .map_err(|e| e.context(format_args!("OIDC discovery for {issuer}")))?;
    let found = OAuth2 {
        discovered: Some(body.clone()),
        ..o.clone()
    };
    for needed in Endpoint::needed_by(o.grant()) {
        if found.endpoint(*needed).is_none() {
            let (field, name) = needed.names();
            return Err(Error::usage(format!(
                "{issuer}'s discovery document names no `{name}`, which grant {} needs (or give it: --{})",
                o.grant().name(),
                field.replace('_', "-")
            )));
        }
    }
    Ok(body)
}

/// The profile with its endpoints: as configured, or with the issuer's discovery read now when
/// the profile was written by hand without it.
pub fn resolved(profile: &Profile) -> Result<Cow<'_, Profile>> {
    if !crate::providers::discovers(profile) {
        return Ok(Cow::Borrowed(profile));
    }
    crate::log::debug(|| "the profile has no discovered endpoints; reading discovery".into());
    let found = discover(profile)?;
    let mut p = profile.clone();
    p.set_discovered(found);
    Ok(Cow::Owned(p))
}

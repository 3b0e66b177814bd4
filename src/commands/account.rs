//! `tokex login`, `logout` and `cache clear`: what the user is told around the broker's work.

use super::Io;
use crate::broker::{Accounts, Broker, SecretGone, SignIn};
use crate::callers::write;
use crate::config::{ClientAuth, Endpoint};
use crate::error::{Error, Result, ResultExt};
use crate::keypair::KeyPair;
use crate::sensitive::Secret;
use crate::token::rfc3339;
use std::io::Read;

/// The longest secret `login` reads; more is not a credential.
use crate::sensitive::MAX_SECRET;

/// `tokex login NAME`: a sign-in for profiles whose grant signs in (unless the refresh token
/// comes on `--stdin`), else the secret from the terminal or stdin.
pub fn login(
    broker: &Broker,
    name: &str,
    from_stdin: bool,
    verify: bool,
    sign_in: SignIn,
    io: &mut Io,
) -> Result<()> {
    let profile = broker.config().get(name)?;
    // Before a secret is asked for on the terminal.
    crate::broker::nothing_to_log_in(name, profile)?;
    let signs_in = profile.signs_in();
    if !signs_in && (!sign_in.open_browser || sign_in.timeout.is_some()) {
        return Err(Error::usage(
            "--no-browser and --timeout apply to profiles that sign in (grant device_code or authorization_code)",
        )
        .for_profile(name));
    }
    if signs_in && !from_stdin {
        let done = broker.sign_in(name, sign_in, &mut *io.stderr)?;
        let until = done.valid_until.map(rfc3339).unwrap_or_default();
        io.say(&format!(
            "tokex: {name}: signed in; refresh token stored in {} ({}, kept {}); token valid until {until}",
            done.store.name, done.store.location, done.store.lifetime
        ));
        return Ok(());
    }
    let signs = profile
        .oauth2()
        .is_some_and(|o| o.client_auth() == Some(ClientAuth::PrivateKeyJwt));
    let secret = match signs {
        true if !from_stdin => {
            return Err(Error::usage(format!(
                "the profile signs with a private key: `tokex login {name} --generate-key` makes one, `tokex login {name} --stdin < key.pem` imports a PKCS#8 PEM"
            ))
            .for_profile(name));
        }
        true => read_key(io).for_profile(name)?,
        false => read_secret(name, from_stdin, io).for_profile(name)?,
    };
    let done = broker.login(name, secret, verify)?;
    let store = &done.store;
    let line = match done.valid_until {
        Some(until) => format!(
            "tokex: {name}: secret verified and stored in {} ({}, kept {}); token valid until {}",
            store.name,
            store.location,
            store.lifetime,
            rfc3339(until)
        ),
        None => format!(
            "tokex: {name}: secret stored in {} ({}, kept {}) (not verified)",
            store.name, store.location, store.lifetime
        ),
    };
    io.say(&line);
    Ok(())
}

fn read_secret(name: &str, from_stdin: bool, io: &mut Io) -> Result<Secret> {
    let text = if from_stdin {
        let mut buf = Vec::new();
        (&mut *io.stdin)
            .take(MAX_SECRET + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::op(format!("reading stdin: {e}")))?;
        if buf.len() as u64 > MAX_SECRET {
            zeroize::Zeroize::zeroize(&mut buf);
            return Err(Error::usage("the secret on stdin is longer than 64 KiB"));
        }
        let mut text =
            String::from_utf8(buf).map_err(|_| Error::usage("the secret on stdin is not UTF-8"))?;
        // A second line is a mistake (two secrets, a file with a comment): storing the first
        // and dropping the rest would keep a secret the user did not mean.
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
        let line = text.lines().next().unwrap_or("").to_string();
        zeroize::Zeroize::zeroize(&mut text);
        if lines > 1 {
            let mut line = line;
            zeroize::Zeroize::zeroize(&mut line);
            return Err(Error::usage(format!(
                "stdin holds {lines} lines: --stdin takes the secret alone, on one line; nothing was stored"
            )));
        }
        line
    } else if io.terminal {
        crate::platform::read_hidden_line(&format!("Secret for {name} (input hidden): "))
            .map_err(|e| Error::op(format!("reading the secret from the terminal: {e}")))?
    } else {
        return Err(Error::usage(
            "stdin is not a terminal: pass the secret on stdin with --stdin",
        ));
    };
    let secret = Secret::new(text.trim().to_string());
    let mut text = text;
    zeroize::Zeroize::zeroize(&mut text);
    Ok(secret)
}

/// `login --stdin` of a private_key_jwt profile: a PEM file, many lines, kept as the one line
/// the store takes.
fn read_key(io: &mut Io) -> Result<Secret> {
    let mut pem = zeroize::Zeroizing::new(Vec::new());
    (&mut *io.stdin)
        .take(MAX_SECRET + 1)
        .read_to_end(&mut pem)
        .map_err(|e| Error::op(format!("reading stdin: {e}")))?;
    if pem.len() as u64 > MAX_SECRET {
        return Err(Error::usage("the key on stdin is longer than 64 KiB"));
    }
    let text =
        std::str::from_utf8(&pem).map_err(|_| Error::usage("the key on stdin is not UTF-8"))?;
    KeyPair::parse(text)
        .map(|k| k.stored())
        .map_err(|e| Error::usage(format!("the key on stdin: {e}; nothing was stored")))
}

/// `login --generate-key`: a new key pair, its private half stored (unverified: the provider
/// does not know the key until it is registered), its public JWK alone on stdout.
pub fn generate_key(broker: &Broker, name: &str, io: &mut Io) -> Result<()> {
    let profile = broker.config().get(name)?;
    if profile.oauth2().and_then(|o| o.client_auth()) != Some(ClientAuth::PrivateKeyJwt) {
        return Err(Error::usage(
            "--generate-key applies to profiles with `client_auth = \"private_key_jwt\"`",
        )
        .for_profile(name));
    }
    let key = KeyPair::generate();
    let done = broker.login(name, key.stored(), false)?;
    let jwk =
        serde_json::to_string_pretty(&key.public_jwk()).map_err(|e| Error::op(e.to_string()))?;
    write(io.stdout, &format!("{jwk}\n"))?;
    io.say(&format!(
        "tokex: {name}: private key stored in {} ({}, kept {}); register the public key above (a JWK) with the client at the provider, then `tokex token {name}`",
        done.store.name, done.store.location, done.store.lifetime
    ));
    Ok(())
}

/// `profile show NAME --jwk`: the stored key's public half, for registering it again.
pub fn public_key(broker: &Broker, name: &str, io: &mut Io) -> Result<()> {
    let jwk = broker.public_jwk(name)?;
    let jwk = serde_json::to_string_pretty(&jwk).map_err(|e| Error::op(e.to_string()))?;
    write(io.stdout, &format!("{jwk}\n"))
}

pub fn logout(broker: &Broker, name: &str, revoke: bool, io: &mut Io) -> Result<()> {
    let profile = broker.config().get(name)?;
    let done = broker.logout(name, revoke)?;
    if !done.revoked.is_empty() {
        io.say(&format!(
            "tokex: {name}: revoked at {}: {}",
            crate::printable::printable(
                profile
                    .oauth2()
                    .and_then(|o| o.endpoint(Endpoint::Revocation))
                    .unwrap_or("its revocation endpoint"),
                crate::printable::URL
            ),
            done.revoked.join(" and ")
        ));
    }
    let what = match done.secret {
        SecretGone::Deleted => "secret and cached token removed",
        SecretGone::NothingStored => "no secret was stored; cached token removed",
        SecretGone::Keyless => {
            io.say(&format!(
                "tokex: {name}: cached token removed; a keyless profile stores nothing (its proof is {})",
                done.store.name
            ));
            return Ok(());
        }
        SecretGone::LeftAlone => {
            io.say(&format!(
                "tokex: {name}: cached token removed; the secret lives in {} and was left alone",
                done.store.name
            ));
            return Ok(());
        }
    };
    if !revoke {
        io.say(&format!(
            "tokex: {name}: {what}; revocation skipped on request (--no-revoke): tokens already issued stay valid at {} until they expire",
            profile.provider
        ));
    } else if done.revoked.is_empty() {
        io.say(&format!(
            "tokex: {name}: {what}; tokens already issued stay valid at {} until they expire (it offers no revocation to tokex)",
            profile.provider
        ));
    } else {
        io.say(&format!("tokex: {name}: {what}"));
    }
    Ok(())
}

pub fn cache_clear(broker: &Broker, name: Option<&str>) -> Result<()> {
    let names: Vec<&str> = match name {
        Some(n) => vec![n],
        None => broker
            .config()
            .profiles
            .keys()
            .map(String::as_str)
            .collect(),
    };
    for n in names {
        broker.config().get(n)?;
        broker.cache().forget(n).for_profile(n)?;
    }
    Ok(())
}

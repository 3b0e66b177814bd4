//! The broker's rules, against a loopback token endpoint and an in-memory store: what is cached,
//! what is stored and when, and what a failure leaves behind.

use super::*;
use crate::loopback::{Response, Server};
use crate::stores::memory::Memory;
use std::sync::Mutex;

struct World {
    broker: Broker,
    store: Arc<Memory>,
    notes: Arc<Mutex<Vec<String>>>,
    server: Server,
    seen: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

/// A vCD profile (its refresh token rotates) against a server answering `bodies` in turn,
/// recording the refresh token each request presented.
fn world(bodies: Vec<(u16, &'static str)>) -> World {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let answers = Mutex::new(bodies.into_iter());
    let server = Server::start(move |req| {
        log.lock()
            .unwrap()
            .push(req.form_value("refresh_token").unwrap_or_default());
        let (status, body) = answers.lock().unwrap().next().unwrap_or((500, "{}"));
        Response::json(status, body)
    })
    .unwrap();
    let config = Config::parse(
        std::path::Path::new("t.toml"),
        &format!(
            "[profiles.p]\nprovider = \"vcd\"\nurl = \"{}\"\ntenant = \"t\"\ntimeout = 5\n",
            server.url()
        ),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Memory::default());
    let shared = store.clone();
    let notes = Arc::new(Mutex::new(Vec::new()));
    let sink = notes.clone();
    let broker = Broker::with(
        config,
        Cache::at(dir.path()),
        Box::new(move |_| Ok(shared.clone() as Arc<dyn Store>)),
        Box::new(move |line| sink.lock().unwrap().push(line.to_string())),
    );
    World {
        broker,
        store,
        notes,
        server,
        seen,
        _dir: dir,
    }
}

impl World {
    fn stored(&self) -> Option<String> {
        self.store.get("p").ok().map(|s| s.expose().to_string())
    }
    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

const ROTATED: &str = r#"{"access_token":"at-1","expires_in":3600,"refresh_token":"rt-2"}"#;
const PLAIN: &str = r#"{"access_token":"at-2","expires_in":3600}"#;

#[test]
fn login_verifies_keeps_the_rotated_token_and_fills_the_cache() {
    let w = world(vec![(200, ROTATED)]);
    let done = w.broker.login("p", Secret::from("rt-1"), true).unwrap();
    assert_eq!(done.store.name, "memory");
    assert!(done.valid_until.is_some());
    // The server spent rt-1 and issued rt-2: rt-2 is what is kept.
    assert_eq!(w.stored().as_deref(), Some("rt-2"));
    let t = w.broker.token("p", Want::default()).unwrap();
    assert_eq!(t.access_token(), "at-1");
    assert_eq!(
        w.requests(),
        ["rt-1"],
        "the token came from login's exchange"
    );
    let _ = &w.server;
}

#[test]
fn a_login_that_fails_stores_nothing() {
    let w = world(vec![(400, r#"{"error":"invalid_grant"}"#)]);
    let e = w.broker.login("p", Secret::from("bad"), true).unwrap_err();
    assert!(
        e.to_string().contains("invalid_grant") && e.to_string().contains("not stored"),
        "{e}"
    );
    assert_eq!(w.stored(), None);
    for bad in ["", "a\nb", "a\0b"] {
        assert!(
            w.broker.login("p", Secret::from(bad), false).is_err(),
            "{bad:?}"
        );
    }
    assert_eq!(w.stored(), None);
    assert_eq!(w.requests(), ["bad"]);
}

#[test]
fn a_rotation_is_stored_before_the_token_is_handed_out_and_a_failed_store_withholds_it() {
    let rotated_again = r#"{"access_token":"at-3","expires_in":3600,"refresh_token":"rt-3"}"#;
    let w = world(vec![(200, ROTATED), (200, rotated_again)]);
    w.store.set("p", &Secret::from("rt-1")).unwrap();
    assert_eq!(
        w.broker.token("p", Want::default()).unwrap().access_token(),
        "at-1"
    );
    assert_eq!(w.stored().as_deref(), Some("rt-2"));
    // The store refuses the next rotation: the new token is neither handed out nor cached.
    *w.store.fail_writes.lock().unwrap() = Some("disk full".into());
    let refresh = Want {
        refresh: true,
        ..Want::default()
    };
    let e = w.broker.token("p", refresh).unwrap_err().to_string();
    assert!(
        e.contains("storing the rotated refresh token: disk full"),
        "{e}"
    );
    assert_eq!(w.requests(), ["rt-1", "rt-2"]);
    assert_eq!(w.stored().as_deref(), Some("rt-2"));
    assert!(matches!(
        w.broker.status("p").unwrap().cached,
        CachedState::Valid { .. }
    ));
}

#[test]
fn a_minimum_the_provider_cannot_meet_is_said_once_and_served_from_the_cache() {
    let w = world(vec![(200, PLAIN), (200, PLAIN)]);
    w.store.set("p", &Secret::from("rt-1")).unwrap();
    w.broker.token("p", Want::default()).unwrap();
    let t = w
        .broker
        .token("p", Want::lasting(Duration::hours(2)))
        .unwrap();
    assert_eq!(t.access_token(), "at-2");
    assert_eq!(
        w.requests().len(),
        1,
        "no exchange for a minimum no token can meet"
    );
    let notes = w.notes.lock().unwrap().clone();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("tokex: p: warning: vcd tokens live 1h, so the 2h"),
        "{notes:?}"
    );
    // Within the lifetime but beyond what is left: a new exchange.
    let key = key("p", w.broker.config().get("p").unwrap());
    let mut old = Token::sample("at-old", Duration::hours(1));
    old.obtained_at = OffsetDateTime::now_utc() - Duration::minutes(50);
    old.expires_at = old.obtained_at + Duration::hours(1);
    w.broker.cache.write("p", &key, &old);
    let t = w
        .broker
        .token("p", Want::lasting(Duration::minutes(30)))
        .unwrap();
    assert_eq!(t.access_token(), "at-2");
    assert_eq!(w.requests().len(), 2);
}

#[test]
fn forget_keeps_a_token_that_is_not_ours_and_logout_deletes() {
    let w = world(vec![(200, PLAIN)]);
    w.store.set("p", &Secret::from("rt-1")).unwrap();
    w.broker.token("p", Want::default()).unwrap();
    assert!(
        !w.broker
            .forget("p", Some(&Secret::from("someone-else")))
            .unwrap()
    );
    assert!(matches!(
        w.broker.status("p").unwrap().cached,
        CachedState::Valid { .. }
    ));
    assert!(w.broker.forget("p", Some(&Secret::from("at-2"))).unwrap());
    assert!(matches!(
        w.broker.status("p").unwrap().cached,
        CachedState::None
    ));
    let out = w.broker.logout("p", true).unwrap();
    assert_eq!(out.secret, SecretGone::Deleted);
    assert_eq!(
        w.broker.status("p").unwrap().secret.state,
        SecretState::Missing("no secret in memory: run `tokex login p`".into())
    );
    assert_eq!(
        w.broker.logout("p", true).unwrap().secret,
        SecretGone::NothingStored
    );
    assert!(
        w.broker
            .token("p", Want::default())
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn the_cache_key_changes_when_the_profile_does() {
    let mut p = Profile::sample(crate::config::ProviderId::VmwareCsp);
    let k1 = key("a", &p);
    p.provider = crate::config::Provider::VmwareCsp(crate::config::VmwareCsp {
        url: Some("https://other.example".into()),
    });
    assert_ne!(k1, key("a", &p));
    assert_ne!(key("a", &p), key("b", &p));
}

#[test]
fn only_a_profile_that_never_leaves_plain_loopback_http_skips_the_trust_store() {
    let oauth = |token: &str, revoke: Option<&str>| {
        Profile::new(crate::config::Provider::oauth2(crate::config::OAuth2 {
            token_url: Some(token.into()),
            revocation_url: revoke.map(str::to_string),
            ..Default::default()
        }))
    };
    assert!(super::rules::plain_http_only(&oauth(
        "http://127.0.0.1:9/t",
        None
    )));
    assert!(!super::rules::plain_http_only(&oauth(
        "https://idp.example/t",
        None
    )));
    assert!(!super::rules::plain_http_only(&oauth(
        "http://127.0.0.1:9/t",
        Some("https://idp.example/revoke")
    )));
    // VMware Cloud Services' default URL is https.
    let csp = Profile::sample(crate::config::ProviderId::VmwareCsp);
    assert!(!super::rules::plain_http_only(&csp));
}

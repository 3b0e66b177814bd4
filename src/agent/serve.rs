//! `tokex agent`: serves its user's profiles over a local socket (a named pipe on Windows),
//! one thread per connection, until SIGINT or SIGTERM. Each connection is checked against the
//! kernel's word on who made it; each request is one line in the log; only issued tokens leave.

use super::wire::{self, Failure, Received, Reply, Request};
use crate::broker::{Broker, Tokens, Want};
use crate::error::{Error, Result};
use crate::platform::ipc::{Conn, Peer};
use crate::printable::{SHORT, printable};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A client that sends nothing, or too slowly, is dropped after this; others are not held up.
const READ_WAIT: Duration = Duration::from_secs(5);
/// Connections served at once; more are told the agent is busy.
const MAX_CONNECTIONS: usize = 256;
/// A caller needs three requests; a connection that keeps asking is cut off.
const MAX_REQUESTS: usize = 64;
/// The longest validity a client may ask for: more than any provider's tokens live.
const MAX_MIN_VALID: i64 = 7 * 86_400;

pub struct Options {
    pub socket: Option<PathBuf>,
    pub allow: Vec<String>,
    pub log: Option<PathBuf>,
}

struct Shared {
    broker: Broker,
    /// Empty: every profile, to peers of this user only.
    allow: Vec<String>,
    log: Log,
    active: AtomicUsize,
}

pub fn run(broker: Broker, options: Options, stdout: &mut dyn Write) -> Result<()> {
    for name in &options.allow {
        broker.named(name)?;
    }
    let log = Log::open(options.log)?;
    let notes = log.clone();
    let broker = broker.noticing(Box::new(move |line| notes.line(line)));
    let endpoint = super::endpoint::bind(options.socket)?;
    let endpoint = Arc::new(endpoint);
    let stopping = Arc::clone(&endpoint);
    let stop_log = log.clone();
    crate::platform::ipc::on_termination(Box::new(move || {
        stopping.remove();
        stop_log.line("stopped; socket removed");
    }))
    .map_err(|e| Error::op(format!("catching SIGTERM: {e}")))?;
    let shown = endpoint.path().display().to_string();
    let quoted =
        shlex::try_quote(&shown).map_err(|_| Error::usage("the socket path has a NUL byte"))?;
    // Like ssh-agent's: `eval "$(tokex agent &)"` sets it in the shell.
    writeln!(stdout, "TOKEX_AGENT={quoted}; export TOKEX_AGENT;")
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::op(format!("writing to stdout: {e}")))?;
    crate::platform::release_stdout().map_err(|e| Error::op(format!("stdout: {e}")))?;
    let scope = match options.allow.is_empty() {
        true => "all profiles, to this user only".to_string(),
        false => format!("{} to any local user", options.allow.join(", ")),
    };
    log.line(&format!("listening at {shown}: {scope}"));
    let shared = Arc::new(Shared {
        broker,
        allow: options.allow,
        log,
        active: AtomicUsize::new(0),
    });
    loop {
        let (conn, peer) = match endpoint.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                shared.log.line(&format!("accept: {e}"));
                // Out of descriptors, say: pause rather than spin.
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            refuse(
                &shared,
                conn,
                &peer,
                "busy",
                "the agent is serving too many clients",
            );
            continue;
        }
        let one = Arc::clone(&shared);
        let spawned = std::thread::Builder::new().spawn(move || {
            connection(&one, conn, &peer);
            one.active.fetch_sub(1, Ordering::SeqCst);
        });
        if let Err(e) = spawned {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            shared.log.line(&format!("starting a thread: {e}"));
        }
    }
}

fn refuse(shared: &Shared, mut conn: Conn, peer: &Peer, why: &str, message: &str) {
    shared.log.line(&format!(
        "{} caller=- op=connect refused: {why}",
        peer.describe()
    ));
    let _ = conn.set_timeout(Some(Duration::from_secs(1)));
    let _ = wire::send(&mut conn, &failed(Error::usage(message)));
}

fn connection(shared: &Shared, mut conn: Conn, peer: &Peer) {
    if !peer.same_user() && shared.allow.is_empty() {
        return refuse(
            shared,
            conn,
            peer,
            "another user, and no --allow",
            "this agent serves only its own user (start one with --allow PROFILE for others)",
        );
    }
    if let Err(e) = conn.set_timeout(Some(READ_WAIT)) {
        return shared.log.line(&format!("{}: {e}", peer.describe()));
    }
    let who = peer.describe();
    let caller = match wire::receive::<Request>(&mut conn) {
        Ok(Received::Message(Request::Hello { version, caller })) if version == wire::VERSION => {
            printable(&caller, SHORT).replace(' ', "_")
        }
        Ok(Received::Message(Request::Hello { version, .. })) => {
            let e = Error::usage(format!(
                "protocol version {version} is not spoken here (this agent speaks {})",
                wire::VERSION
            ));
            shared.log.line(&format!(
                "{who} caller=- op=hello refused: version {version}"
            ));
            let _ = wire::send(&mut conn, &failed(e));
            return;
        }
        Ok(Received::Message(_)) => {
            shared
                .log
                .line(&format!("{who} caller=- op=? refused: no hello"));
            let _ = wire::send(&mut conn, &failed(Error::usage("say hello first")));
            return;
        }
        Ok(Received::Closed) => return,
        Err(e) => {
            shared
                .log
                .line(&format!("{who} caller=- op=hello dropped: {}", e.message()));
            return;
        }
    };
    if wire::send(
        &mut conn,
        &Reply::Hello {
            version: wire::VERSION,
        },
    )
    .is_err()
    {
        return;
    }
    for _ in 0..MAX_REQUESTS {
        let request = match wire::receive::<Request>(&mut conn) {
            Ok(Received::Message(r)) => r,
            Ok(Received::Closed) => return,
            Err(e) => {
                shared
                    .log
                    .line(&format!("{who} caller={caller} dropped: {}", e.message()));
                return;
            }
        };
        let (op, profile, reply) = answer(shared, request);
        let outcome = match &reply {
            Reply::Failed { message, .. } => format!("failed: {message}"),
            Reply::Chosen { profile: None } => "no profile matches".to_string(),
            _ => "ok".to_string(),
        };
        shared.log.line(&format!(
            "{who} caller={caller} op={op} profile={} {outcome}",
            profile.as_deref().unwrap_or("-")
        ));
        if wire::send(&mut conn, &reply).is_err() {
            return;
        }
    }
    shared
        .log
        .line(&format!("{who} caller={caller} cut off: too many requests"));
}

/// One request's answer, with its name and the profile it concerned, for the log.
fn answer(shared: &Shared, request: Request) -> (&'static str, Option<String>, Reply) {
    let broker = &shared.broker;
    let allowed = |name: &str| shared.allow.is_empty() || shared.allow.iter().any(|a| a == name);
    let not_served = |name: &str| Error::usage(format!("this agent does not serve profile {name}"));
    match request {
        Request::Hello { .. } => ("hello", None, failed(Error::usage("hello said twice"))),
        Request::Choose { profile, target } => {
            let shown = target.as_ref().map(|t| t.display());
            let chosen = broker.choose(profile.as_deref(), &|| {
                target
                    .clone()
                    .ok_or_else(|| Error::usage("neither a profile nor a URL"))
            });
            let reply = match chosen {
                Ok(Some(c)) if !allowed(&c.name) => {
                    let refused = match &shown {
                        Some(url) => {
                            Error::usage(format!("this agent serves no profile for {url}"))
                        }
                        None => not_served(&c.name),
                    };
                    return ("choose", Some(c.name), failed(refused));
                }
                Ok(Some(c)) => {
                    return (
                        "choose",
                        Some(c.name.clone()),
                        Reply::Chosen { profile: Some(c) },
                    );
                }
                Ok(None) => Reply::Chosen { profile: None },
                Err(e) => failed(e),
            };
            ("choose", profile.or(shown), reply)
        }
        Request::Token {
            profile,
            min_valid,
            refresh,
        } => {
            if !allowed(&profile) {
                return ("token", Some(profile.clone()), failed(not_served(&profile)));
            }
            let want = Want {
                min_valid: time::Duration::seconds(min_valid.clamp(0, MAX_MIN_VALID)),
                refresh,
            };
            let reply = match broker.token(&profile, want) {
                Ok(issued) => {
                    let now = time::OffsetDateTime::now_utc();
                    Reply::Token {
                        token: wire::Issued {
                            header: issued.own_header().map(str::to_string),
                            lifetime: issued.token.lifetime().whole_seconds(),
                            remaining: issued.token.remaining(now).whole_seconds(),
                            token_type: issued.token.token_type.clone(),
                            access_token: issued.token.access_token.clone(),
                        },
                    }
                }
                Err(e) => failed(e),
            };
            ("token", Some(profile), reply)
        }
        Request::Forget { profile, rejected } => {
            if !allowed(&profile) {
                return (
                    "forget",
                    Some(profile.clone()),
                    failed(not_served(&profile)),
                );
            }
            let reply = match broker.forget(&profile, rejected.as_ref()) {
                Ok(dropped) => Reply::Forgot { dropped },
                Err(e) => failed(e),
            };
            ("forget", Some(profile), reply)
        }
        Request::Profiles {} => {
            let names: Vec<String> = broker
                .config()
                .profiles
                .keys()
                .filter(|n| allowed(n))
                .cloned()
                .collect();
            let profiles = crate::broker::listing_in(broker.config())
                .into_iter()
                .filter(|l| allowed(&l.profile))
                .collect();
            ("profiles", None, Reply::Profiles { profiles, names })
        }
    }
}

fn failed(e: Error) -> Reply {
    Reply::Failed {
        kind: Failure::of(&e),
        message: e.to_string(),
    }
}

/// The agent's log: one line per request, to `--log FILE` or stderr; never a token.
#[derive(Clone)]
struct Log(Arc<Mutex<Box<dyn Write + Send>>>);

impl Log {
    fn open(path: Option<PathBuf>) -> Result<Log> {
        let out: Box<dyn Write + Send> = match path {
            None => Box::new(std::io::stderr()),
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&path)
                    .map_err(|e| Error::usage(format!("--log {}: {e}", path.display())))?;
                if let Some(private) = crate::platform::private_file_permissions() {
                    file.set_permissions(private)
                        .map_err(|e| Error::usage(format!("--log {}: {e}", path.display())))?;
                }
                Box::new(file)
            }
        };
        Ok(Log(Arc::new(Mutex::new(out))))
    }

    fn line(&self, text: &str) {
        let now = crate::token::rfc3339(time::OffsetDateTime::now_utc());
        // Names and URLs in it come from peers: one line, nothing a terminal would act on. One
        // write per line, so lines from other threads and the broker's warnings never mix.
        let line = format!("{now} {}\n", printable(text, crate::printable::URL));
        if let Ok(mut out) = self.0.lock() {
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }
}

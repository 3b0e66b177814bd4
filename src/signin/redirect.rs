//! The loopback redirect of RFC 8252 §7.3: a listener on `127.0.0.1` on a port the OS picks,
//! waiting a bounded time for the one callback that carries the authorization code. Any local
//! process can connect, so none may hold or end the sign-in: each connection is served on its
//! own thread with a deadline for the whole request and a small limit on its head, and a
//! request without this sign-in's `state` gets a 400 page and is otherwise ignored. The listener
//! closes when [`Listener::wait`] returns, so a second callback finds nothing listening.

use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one connection may take to send its whole request line and headers.
const REQUEST_DEADLINE: Duration = Duration::from_secs(3);
/// A browser's callback head is well under this; anything longer is not one.
const MAX_HEAD: usize = 8 * 1024;
/// Connections served at once; more are closed at once (a local flood must not exhaust threads).
const MAX_CONNECTIONS: usize = 32;
/// How often the listener looks for a new connection or an outcome.
const TICK: Duration = Duration::from_millis(20);

pub struct Listener {
    listener: TcpListener,
    port: u16,
}

/// The pages the browser shows: fixed text, never anything from the request.
const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>tokex</title><p>Signed in. You can close this tab and return to the terminal.</p>";
const FAILED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>tokex</title><p>The sign-in did not complete; the terminal says why. You can close this tab.</p>";
const STRAY_PAGE: &str = "<!doctype html><meta charset=utf-8><title>tokex</title><p>This is not the sign-in tokex is waiting for (an old tab?). The sign-in goes on.</p>";
const NOT_FOUND_PAGE: &str = "<!doctype html><title>tokex</title><p>Not found.</p>";

impl Listener {
    pub fn bind() -> Result<Listener> {
        // The IP literal, not `localhost`: RFC 8252 §7.3 and §8.3. Only the address the
        // redirect URI names is bound.
        let listener = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| Error::op(format!("cannot listen on 127.0.0.1 for the sign-in: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::op(format!("cannot listen on 127.0.0.1: {e}")))?
            .port();
        Ok(Listener { listener, port })
    }

    /// `http://127.0.0.1:PORT/`, sent as `redirect_uri` and again with the code.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Waits until `deadline` for the callback at `/` with this sign-in's `state` and returns
    /// its `code`, or the identity provider's `error`. Everything else (a browser's
    /// `/favicon.ico`, a forged or stale callback, a connection that never finishes) is
    /// answered or dropped and the wait goes on.
    pub fn wait(self, state: &str, deadline: Instant) -> Result<Secret> {
        let (tx, rx) = mpsc::channel::<Result<Secret>>();
        let live = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        loop {
            match rx.try_recv() {
                Ok(outcome) => return outcome,
                Err(mpsc::TryRecvError::Empty | mpsc::TryRecvError::Disconnected) => {}
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    use std::sync::atomic::Ordering::SeqCst;
                    if live.fetch_add(1, SeqCst) >= MAX_CONNECTIONS {
                        live.fetch_sub(1, SeqCst);
                        continue;
                    }
                    let (tx, state, live) = (tx.clone(), state.to_string(), live.clone());
                    std::thread::spawn(move || {
                        if let Some(outcome) = serve(stream, &state) {
                            let _ = tx.send(outcome);
                        }
                        live.fetch_sub(1, SeqCst);
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(Error::op(
                            "no answer from the browser in time (login --timeout)",
                        ));
                    }
                    std::thread::sleep(TICK.min(deadline - now));
                }
                Err(e) => return Err(Error::op(format!("the sign-in listener failed: {e}"))),
            }
        }
    }
}

/// Serves one connection: `None` when it was not this sign-in's callback, else how the
/// sign-in ends.
fn serve(mut stream: TcpStream, state: &str) -> Option<Result<Secret>> {
    let head = read_head(&mut stream)?;
    match judge(&head, state)? {
        Callback::NotFound => {
            respond(&mut stream, 404, NOT_FOUND_PAGE);
            None
        }
        Callback::Stray(why) => {
            crate::log::debug(|| format!("sign-in listener: {why}; ignored"));
            respond(&mut stream, 400, STRAY_PAGE);
            None
        }
        Callback::Ours(outcome) => {
            let (status, page) = match &outcome {
                Ok(_) => (200, DONE_PAGE),
                Err(_) => (400, FAILED_PAGE),
            };
            respond(&mut stream, status, page);
            Some(outcome)
        }
    }
}

/// A request head that arrived whole within [`REQUEST_DEADLINE`] and [`MAX_HEAD`]; `None` for
/// anything else (slow, long, cut off), which is dropped.
fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    stream.set_nonblocking(false).ok()?;
    let until = Instant::now() + REQUEST_DEADLINE;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let left = until.checked_duration_since(Instant::now())?;
        if left.is_zero() || head.len() > MAX_HEAD {
            return None;
        }
        stream.set_read_timeout(Some(left)).ok()?;
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let _ = stream.set_write_timeout(Some(REQUEST_DEADLINE));
    Some(head)
}

/// What a request head means for the sign-in waiting for `state`: `None` for what is not an
/// HTTP/1 `GET` (dropped unanswered). Pure, so it can be fuzzed.
pub fn judge(head: &[u8], state: &str) -> Option<Callback> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let mut parts = line.split(' ');
    let target = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("GET"), Some(target), Some(v), None) if v.starts_with("HTTP/1.") => target,
        _ => return None,
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/" {
        return Some(Callback::NotFound);
    }
    Some(read_callback(query, state))
}

pub enum Callback {
    /// Another path (a browser's `/favicon.ico`).
    NotFound,
    /// Not for this sign-in (no `state`, another one's): ignored.
    Stray(&'static str),
    /// This sign-in's callback: its code, or why the identity provider refused.
    Ours(Result<Secret>),
}

/// RFC 6749 §4.1.2: `code` and `state`, or `error` (and `error_description`) and `state`.
fn read_callback(query: &str, state: &str) -> Callback {
    let mut code = None;
    let mut got_state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "code" => code = Some(Secret::new(v.into_owned())),
            "state" => got_state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    match got_state {
        None => return Callback::Stray("a callback without `state`"),
        Some(s) if !crate::signin::pkce::same(&s, state) => {
            return Callback::Stray("a callback with another sign-in's `state`");
        }
        Some(_) => {}
    }
    if let Some(error) = error {
        let mut line = format!(
            "the identity provider refused the sign-in: {}",
            clip(&error)
        );
        if let Some(d) = description {
            line.push_str(&format!(": {}", clip(&d)));
        }
        return Callback::Ours(Err(Error::op(line)));
    }
    Callback::Ours(
        code.filter(|c| !c.is_empty())
            .ok_or_else(|| Error::op("the sign-in callback carried no `code`")),
    )
}

fn respond(stream: &mut TcpStream, status: u16, page: &str) {
    let reason = if status == 200 { "OK" } else { "Error" };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        page.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(page.as_bytes()))
        .and_then(|()| stream.flush());
}

/// IdP text, cut to one printable line.
fn clip(s: &str) -> String {
    crate::printable::printable(s, crate::printable::LINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(uri: &str) -> TcpStream {
        let addr = uri.trim_start_matches("http://").trim_end_matches('/');
        TcpStream::connect(addr).unwrap()
    }

    fn get(uri: &str, target: &str) -> std::io::Result<String> {
        let addr = uri.trim_start_matches("http://").trim_end_matches('/');
        let mut s = TcpStream::connect(addr)?;
        write!(s, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n")?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    }

    /// Runs a sign-in's wait while `browser` talks to the listener.
    fn run<T: Send + 'static>(
        wait: Duration,
        browser: impl FnOnce(String) -> T + Send + 'static,
    ) -> (Result<Secret>, T, String) {
        let l = Listener::bind().unwrap();
        let uri = l.redirect_uri();
        let u = uri.clone();
        let browser = std::thread::spawn(move || browser(u));
        let got = l.wait("s1", Instant::now() + wait);
        (got, browser.join().unwrap(), uri)
    }

    #[test]
    fn one_good_callback_then_the_listener_is_closed() {
        let (got, pages, uri) = run(Duration::from_secs(20), |u| {
            ["/favicon.ico", "/?state=s1&code=c%2B1&iss=x"].map(|t| get(&u, t).unwrap())
        });
        assert_eq!(got.unwrap().expose(), "c+1");
        assert!(pages[0].starts_with("HTTP/1.1 404"));
        assert!(
            pages[1].starts_with("HTTP/1.1 200") && pages[1].contains("You can close this tab")
        );
        assert!(
            get(&uri, "/?code=again&state=s1").is_err(),
            "a second callback reached a listener"
        );
    }

    #[test]
    fn forged_and_stateless_callbacks_are_refused_and_the_sign_in_goes_on() {
        let (got, pages, _) = run(Duration::from_secs(20), |u| {
            [
                "/?code=evil&state=forged",
                "/?code=evil",
                "/?state=s1&code=good",
            ]
            .map(|t| get(&u, t).unwrap())
        });
        assert_eq!(got.unwrap().expose(), "good");
        for page in &pages[..2] {
            assert!(
                page.starts_with("HTTP/1.1 400") && page.contains("goes on"),
                "{page}"
            );
            assert!(!page.contains("forged") && !page.contains("evil"));
        }
    }

    #[test]
    fn the_providers_refusal_ends_the_sign_in_in_one_printable_line() {
        let (got, pages, _) = run(Duration::from_secs(20), |u| {
            get(
                &u,
                "/?state=s1&error=access_denied&error_description=User%20said%0A%1B]52;c;x%07no",
            )
            .unwrap()
        });
        let e = got.err().unwrap().to_string();
        assert!(
            e.contains("refused the sign-in: access_denied: User said"),
            "{e}"
        );
        assert!(!e.chars().any(crate::printable::is_unsafe), "{e:?}");
        assert!(pages.starts_with("HTTP/1.1 400"));
    }

    #[test]
    fn a_slow_peer_neither_delays_the_callback_nor_outlasts_the_timeout() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        // One connection trickles a byte now and then and never ends its request (for far
        // longer than the callback takes); another sends half a request and stalls. What is
        // checked is order, not time: the callback is served, and the wait ends, while the slow
        // peer is still trickling.
        let trickle = |u: &str, trickling: Arc<AtomicBool>| {
            let mut slow = connect(u);
            trickling.store(true, Ordering::SeqCst);
            std::thread::spawn(move || {
                for _ in 0..25 {
                    if slow.write_all(b"G").is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                trickling.store(false, Ordering::SeqCst);
            })
        };
        let trickling = Arc::new(AtomicBool::new(false));
        let t = trickling.clone();
        let (got, (page, during), _) = run(Duration::from_secs(20), move |u| {
            let slow = trickle(&u, t.clone());
            let mut stalled = connect(&u);
            stalled.write_all(b"GET /?state=s1&co").unwrap();
            let page = get(&u, "/?state=s1&code=fast").unwrap();
            let during = t.load(Ordering::SeqCst);
            drop(stalled);
            slow.join().unwrap();
            (page, during)
        });
        assert_eq!(got.unwrap().expose(), "fast");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(during, "the callback waited for the slow peer");
        // With no callback at all, the trickle cannot keep the wait past its deadline.
        let l = Listener::bind().unwrap();
        let trickling = Arc::new(AtomicBool::new(false));
        let slow = trickle(&l.redirect_uri(), trickling.clone());
        let e = l
            .wait("s1", Instant::now() + Duration::from_millis(300))
            .err()
            .unwrap();
        let during = trickling.load(Ordering::SeqCst);
        slow.join().unwrap();
        assert!(e.to_string().contains("--timeout"), "{e}");
        assert!(
            during,
            "the wait outlasted its deadline while a peer trickled"
        );
    }

    #[test]
    fn an_oversized_head_is_dropped() {
        let (got, page, _) = run(Duration::from_millis(1500), |u| {
            let mut s = connect(&u);
            let long = format!(
                "GET /?state=s1&code=x&pad={} HTTP/1.1\r\n",
                "a".repeat(20_000)
            );
            let _ = s.write_all(long.as_bytes());
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out
        });
        assert!(got.is_err());
        assert!(page.is_empty(), "{page}");
    }
}

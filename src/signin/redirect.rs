//! The loopback redirect of RFC 8252 §7.3: a listener on `127.0.0.1` on a port the OS picks,
//! waiting a bounded time for the one callback that carries the authorization code. Any local
//! process can connect, which is why the callback must return the `state` it was sent with; a
//! wrong or missing `state` ends the sign-in. The listener closes when [`Listener::wait`]
//! returns, so a second callback finds nothing listening.

use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// How long one connection may take to send its request line and headers.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Listener {
    listener: TcpListener,
    port: u16,
}

/// The pages the browser shows: fixed text, never anything from the request.
const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>tokex</title><p>Signed in. You can close this tab and return to the terminal.</p>";
const FAILED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>tokex</title><p>The sign-in did not complete; the terminal says why. You can close this tab.</p>";

impl Listener {
    pub fn bind() -> Result<Listener> {
        // The IP literal, not `localhost`: RFC 8252 §7.3 and §8.3.
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

    /// Waits until `deadline` for the callback at `/` and returns its `code`. Other paths (a
    /// browser's `/favicon.ico`) get a 404 and the wait goes on; a callback with the wrong
    /// `state`, with none, or with an `error` ends it.
    pub fn wait(self, state: &str, deadline: Instant) -> Result<Secret> {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(outcome) = callback(stream, state) {
                        return outcome;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(Error::op(
                            "no answer from the browser in time (login --timeout)",
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(Error::op(format!("the sign-in listener failed: {e}"))),
            }
        }
    }
}

/// Handles one connection: `None` when it was not the callback, else how the sign-in ends.
fn callback(stream: TcpStream, state: &str) -> Option<Result<Secret>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let mut reader = BufReader::new(stream);
    let request = crate::loopback::read_request(&mut reader).ok()?;
    let mut stream = reader.into_inner();
    let (path, query) = match request.target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (request.target.as_str(), ""),
    };
    if request.method != "GET" || path != "/" {
        respond(
            &mut stream,
            404,
            "<!doctype html><title>tokex</title><p>Not found.</p>",
        );
        return None;
    }
    let outcome = read_callback(query, state);
    let page = if outcome.is_ok() {
        DONE_PAGE
    } else {
        FAILED_PAGE
    };
    respond(&mut stream, if outcome.is_ok() { 200 } else { 400 }, page);
    Some(outcome)
}

/// RFC 6749 §4.1.2: `code` and `state`, or `error` (and `error_description`) and `state`.
fn read_callback(query: &str, state: &str) -> Result<Secret> {
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
        None => {
            return Err(Error::op("the sign-in callback carried no `state`"));
        }
        Some(s) if s != state => {
            return Err(Error::op(
                "the sign-in callback's `state` does not match this sign-in (an old browser tab, or a forged request)",
            ));
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
        return Err(Error::op(line));
    }
    code.filter(|c| !c.is_empty())
        .ok_or_else(|| Error::op("the sign-in callback carried no `code`"))
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
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(uri: &str, target: &str) -> std::io::Result<String> {
        let addr = uri.trim_start_matches("http://").trim_end_matches('/');
        let mut s = TcpStream::connect(addr)?;
        write!(s, "GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n")?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    }

    fn run(
        targets: &'static [&'static str],
    ) -> (Result<Secret>, Vec<String>, std::io::Result<String>) {
        let l = Listener::bind().unwrap();
        let uri = l.redirect_uri();
        let u = uri.clone();
        let browser = std::thread::spawn(move || {
            targets
                .iter()
                .map(|t| get(&u, t).unwrap())
                .collect::<Vec<_>>()
        });
        let got = l.wait("s1", Instant::now() + Duration::from_secs(20));
        let pages = browser.join().unwrap();
        (got, pages, get(&uri, "/?code=again&state=s1"))
    }

    #[test]
    fn one_good_callback_then_the_listener_is_closed() {
        let (got, pages, second) = run(&["/favicon.ico", "/?state=s1&code=c%2B1&iss=x"]);
        assert_eq!(got.unwrap().expose(), "c+1");
        assert!(pages[0].starts_with("HTTP/1.1 404"));
        assert!(
            pages[1].starts_with("HTTP/1.1 200") && pages[1].contains("You can close this tab")
        );
        assert!(second.is_err(), "a second callback reached a listener");
    }

    #[test]
    fn a_bad_callback_ends_the_sign_in_in_one_line() {
        for (target, want) in [
            (&["/?code=c&state=forged"][..], "does not match"),
            (&["/?code=c"][..], "no `state`"),
            (
                &["/?state=s1&error=access_denied&error_description=User%20said%0Ano"],
                "refused the sign-in: access_denied: User said no",
            ),
            (&["/?state=s1"], "no `code`"),
        ] {
            let (got, pages, second) = run(target);
            let e = got.err().unwrap().to_string();
            assert!(e.contains(want) && !e.contains('\n'), "{e}");
            assert!(pages[0].starts_with("HTTP/1.1 400") && !pages[0].contains("forged"));
            assert!(second.is_err());
        }
    }

    #[test]
    fn the_wait_is_bounded() {
        let l = Listener::bind().unwrap();
        let e = l
            .wait("s", Instant::now() + Duration::from_millis(50))
            .err()
            .unwrap();
        assert!(e.to_string().contains("--timeout"), "{e}");
    }
}

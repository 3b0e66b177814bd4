//! Faults at the token endpoint, from a loopback server that misbehaves on demand. Each must end
//! in one clear line and exit 1 within the profile's timeout, with retries only where retrying
//! is right, the still-valid cached token untouched, and the canary secret and token nowhere in
//! stderr, in debug logs, or in any file but the cache.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CANARY_SECRET: &str = "canary-secret-7f3a9c";
const CANARY_TOKEN: &str = "canary-token-51d2e8";

#[derive(Clone)]
enum Mode {
    Good,
    Answer(u16, &'static str, String, Vec<(&'static str, String)>),
    ResetMidResponse,
    Silent,
    Drip,
}

struct Endpoint {
    server: RawServer,
    mode: Arc<Mutex<Mode>>,
    attempts: Arc<AtomicUsize>,
}

impl Endpoint {
    fn start() -> Endpoint {
        let mode = Arc::new(Mutex::new(Mode::Good));
        let attempts = Arc::new(AtomicUsize::new(0));
        let (m, n) = (mode.clone(), attempts.clone());
        let server = RawServer::start(move |stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if tokex::loopback::read_request(&mut reader).is_err() {
                return;
            }
            n.fetch_add(1, Ordering::SeqCst);
            let mode = m.lock().unwrap().clone();
            misbehave(stream, mode);
        });
        Endpoint {
            server,
            mode,
            attempts,
        }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        self.attempts.store(0, Ordering::SeqCst);
    }

    fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }
}

fn misbehave(mut s: TcpStream, mode: Mode) {
    let _ = s.set_write_timeout(Some(Duration::from_secs(10)));
    match mode {
        Mode::Good => {
            let body = format!(
                r#"{{"access_token":"{CANARY_TOKEN}","token_type":"Bearer","expires_in":3600}}"#
            );
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Mode::Answer(status, ctype, body, headers) => {
            let mut head = format!("HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\n");
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body.as_bytes());
        }
        Mode::ResetMidResponse => {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"access_tok",
            );
            // SO_LINGER 0: close with a reset, not a clean end.
            let _ = socket_linger_zero(&s);
        }
        Mode::Silent => std::thread::sleep(Duration::from_secs(20)),
        Mode::Drip => {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
            );
            for _ in 0..60 {
                if s.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    }
}

fn socket_linger_zero(s: &TcpStream) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket fd and a correctly sized linger struct.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn json(status: u16, body: &str) -> Mode {
    Mode::Answer(status, "application/json", body.to_string(), vec![])
}

fn env_for(url: &str) -> Env {
    env_with_secret(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"ci\"\ntimeout = 3"
        ),
        CANARY_SECRET,
    )
}

/// No canary in `text`.
fn clean(what: &str, text: &str) {
    assert!(
        !text.contains(CANARY_SECRET),
        "{what} leaked the secret: {text}"
    );
    assert!(
        !text.contains(CANARY_TOKEN),
        "{what} leaked the token: {text}"
    );
}

#[test]
fn every_server_fault_is_one_line_bounded_and_leaves_the_cache_alone() {
    let endpoint = Endpoint::start();
    let elsewhere = Fake::ok("{}");
    let mut env = env_for(&endpoint.server.url());
    assert_eq!(env.ok(&["token", "p"]), format!("{CANARY_TOKEN}\n"));

    let redirect = Mode::Answer(
        302,
        "text/plain",
        String::new(),
        vec![("Location", format!("{}/steal", elsewhere.url()))],
    );
    let big = format!(
        r#"{{"access_token":"x","pad":"{}"}}"#,
        " ".repeat(2 * 1024 * 1024)
    );
    // (fault, what the line must say, attempts allowed)
    let cases: Vec<(&str, Mode, &str, std::ops::RangeInclusive<usize>)> = vec![
        (
            "500",
            Mode::Answer(
                500,
                "text/html",
                "<html><body>Internal error</body></html>".into(),
                vec![],
            ),
            "HTTP 500",
            1..=1,
        ),
        (
            "502 text",
            Mode::Answer(502, "text/plain", "bad gateway".into(), vec![]),
            "HTTP 502",
            3..=3,
        ),
        (
            "503",
            json(503, r#"{"error":"temporarily_unavailable"}"#),
            "HTTP 503",
            3..=3,
        ),
        (
            "504",
            Mode::Answer(504, "text/html", "<h1>Gateway Timeout</h1>".into(), vec![]),
            "HTTP 504",
            3..=3,
        ),
        (
            "429 Retry-After",
            Mode::Answer(
                429,
                "application/json",
                "{}".into(),
                vec![("Retry-After", "1".into())],
            ),
            "HTTP 429",
            2..=3,
        ),
        (
            "429",
            json(429, r#"{"error":"slow_down"}"#),
            "HTTP 429",
            2..=3,
        ),
        ("reset", Mode::ResetMidResponse, "127.0.0.1", 1..=3),
        ("silent", Mode::Silent, "within 3s", 1..=1),
        ("drip", Mode::Drip, "127.0.0.1", 1..=1),
        (
            "html 200",
            Mode::Answer(200, "text/html", "<html>login page</html>".into(), vec![]),
            "HTML page",
            1..=1,
        ),
        (
            "no access_token",
            json(200, r#"{"token_type":"Bearer","expires_in":60}"#),
            "access_token",
            1..=1,
        ),
        (
            "expires_in 0",
            json(
                200,
                r#"{"access_token":"x","token_type":"Bearer","expires_in":0}"#,
            ),
            "expires_in",
            1..=1,
        ),
        (
            "expires_in negative",
            json(
                200,
                r#"{"access_token":"x","token_type":"Bearer","expires_in":-5}"#,
            ),
            "expires_in",
            1..=1,
        ),
        (
            "expires_in junk",
            json(
                200,
                r#"{"access_token":"x","token_type":"Bearer","expires_in":"soon"}"#,
            ),
            "expires_in",
            1..=1,
        ),
        (
            "token_type mac",
            json(
                200,
                r#"{"access_token":"x","token_type":"mac","expires_in":60}"#,
            ),
            "token_type",
            1..=1,
        ),
        ("huge body", json(200, &big), "larger than", 1..=1),
        ("redirect", redirect, "redirect to", 1..=1),
        (
            "error echoing the secret",
            json(
                400,
                &format!(
                    r#"{{"error":"invalid_client","error_description":"bad secret {CANARY_SECRET}"}}"#
                ),
            ),
            "invalid_client",
            1..=1,
        ),
    ];
    for (name, mode, want, attempts) in cases {
        for debug in [false, true] {
            endpoint.set(mode.clone());
            env.extra_env.retain(|(k, _)| k != "TOKEX_LOG");
            if debug {
                env.set("TOKEX_LOG", "debug");
            }
            let out = env.run(&["token", "p", "--refresh"], "");
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{name}: {err}");
            assert_eq!(stdout(&out), "", "{name}");
            clean(name, &err);
            if !debug {
                assert_eq!(err.lines().count(), 1, "{name}: {err}");
                assert!(
                    err.starts_with("tokex: p: oauth2 token exchange: "),
                    "{name}: {err}"
                );
                assert!(err.contains(want), "{name}: wanted {want:?} in {err}");
                assert!(!err.contains("panicked"), "{name}: {err}");
                assert!(
                    attempts.contains(&endpoint.attempts()),
                    "{name}: {} attempts",
                    endpoint.attempts()
                );
            }
        }
        // The still-valid cached token is untouched by the failed refresh.
        endpoint.set(Mode::Silent);
        env.extra_env.retain(|(k, _)| k != "TOKEX_LOG");
        assert_eq!(
            env.ok(&["token", "p"]),
            format!("{CANARY_TOKEN}\n"),
            "{name}"
        );
        assert_eq!(
            endpoint.attempts(),
            0,
            "{name}: a cache hit went to the network"
        );
    }
    assert_eq!(elsewhere.count(), 0, "the redirect target was contacted");

    // A missing expires_in is not an error: a default lifetime applies (and is said in debug).
    endpoint.set(json(
        200,
        r#"{"access_token":"fresh","token_type":"Bearer"}"#,
    ));
    assert_eq!(env.ok(&["token", "p", "--refresh"]), "fresh\n");
    // An absurdly large one is capped, not trusted.
    endpoint.set(json(
        200,
        r#"{"access_token":"long","token_type":"Bearer","expires_in":99999999999}"#,
    ));
    let json_out = env.ok(&["token", "p", "--refresh", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    assert!(
        v["expires_in"].as_i64().unwrap() <= 400 * 86400,
        "{json_out}"
    );

    no_canary_in_files(&env, "p");
}

/// Every file under the test's HOME, config and cache, except the cache file itself.
fn no_canary_in_files(env: &Env, profile: &str) {
    let cache_file = env.cache_dir().join(format!("{profile}.json"));
    let mut stack = vec![env.dir.path().to_path_buf()];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path != cache_file {
                seen += 1;
                let bytes = std::fs::read(&path).unwrap_or_default();
                clean(
                    &path.display().to_string(),
                    &String::from_utf8_lossy(&bytes),
                );
            }
        }
    }
    assert!(seen >= 1, "nothing scanned");
}

#[test]
fn connection_refused_is_retried_a_little_then_one_line() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let env = env_for(&format!("http://127.0.0.1:{port}"));
    let out = env.run(&["token", "p"], "");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot connect to 127.0.0.1"), "{err}");
    clean("refused", &err);
}

#[test]
fn an_untrusted_certificate_names_ca_file_and_ca_file_fixes_it() {
    let tls = crate::support::tls::Tls::new();
    let server = tls.serve(|_| {
        Response::json(
            200,
            format!(r#"{{"access_token":"{CANARY_TOKEN}","token_type":"Bearer","expires_in":60}}"#),
        )
    });
    let url = format!("https://127.0.0.1:{}", server.addr().port());
    let mut env = env_for(&url);
    let out = env.run(&["token", "p"], "");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("certificate") && err.contains("ca_file"),
        "{err}"
    );
    clean("tls", &err);

    env.write_config(&profile(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"ci\"\ntimeout = 3\nsecret_env = \"SECRET\"\nca_file = \"{}\"",
            path_str(&tls.ca_file)
        ),
    ));
    env.set("SECRET", CANARY_SECRET);
    assert_eq!(env.ok(&["token", "p"]), format!("{CANARY_TOKEN}\n"));
}

#[test]
fn https_to_a_plain_http_port_says_so_in_words() {
    // What nginx or any HTTP server does with a TLS ClientHello: a plain-HTTP 400, then close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    listener.set_nonblocking(true).unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        // Every attempt tokex makes (it retries a failed connection a little), for at most 20 s.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !stop.load(std::sync::atomic::Ordering::SeqCst) && std::time::Instant::now() < until {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(5));
                continue;
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let _ = conn.read(&mut [0u8; 1024]);
            let _ = conn.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let env = env_for(&url);
    let out = env.run(&["token", "p"], "");
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    server.join().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the server answered in plain HTTP, not TLS")
            && !err.contains("InvalidContentType"),
        "{err}"
    );
    clean("plain", &err);
}

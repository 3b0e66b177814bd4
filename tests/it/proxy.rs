//! Token requests through a corporate proxy: `HTTPS_PROXY` is honoured with a CONNECT tunnel (so
//! the proxy sees only TLS), `NO_PROXY` is honoured, and plain http (loopback only) never goes
//! to a proxy.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::tls::Tls;
use crate::support::*;
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const CANARY: &str = "canary-secret-9r0xy";

/// A CONNECT proxy that counts tunnels and keeps every byte the client sent through it.
struct Proxy {
    server: RawServer,
    tunnels: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Proxy {
    fn start() -> Proxy {
        let tunnels = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (t, r, s) = (tunnels.clone(), requests.clone(), seen.clone());
        let server = RawServer::start(move |client| {
            let mut reader = BufReader::new(client.try_clone().unwrap());
            let Ok(req) = tokex::loopback::read_request(&mut reader) else {
                return;
            };
            r.fetch_add(1, Ordering::SeqCst);
            s.lock()
                .unwrap()
                .extend_from_slice(format!("{req:?}").as_bytes());
            if req.method != "CONNECT" {
                let mut c = client;
                let _ = c.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                return;
            }
            t.fetch_add(1, Ordering::SeqCst);
            let Ok(upstream) = TcpStream::connect(&req.target) else {
                return;
            };
            let mut c = client;
            let _ = c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
            let (mut up_w, mut up_r) = (upstream.try_clone().unwrap(), upstream);
            let mut down = c.try_clone().unwrap();
            let down_thread = std::thread::spawn(move || {
                let _ = std::io::copy(&mut up_r, &mut down);
            });
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        s.lock().unwrap().extend_from_slice(&buf[..n]);
                        if up_w.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = up_w.shutdown(std::net::Shutdown::Write);
            let _ = down_thread.join();
        });
        Proxy {
            server,
            tunnels,
            requests,
            seen,
        }
    }
}

fn env_for(url: &str, ca: Option<&std::path::Path>, proxy: &Proxy) -> Env {
    let ca_line = ca
        .map(|p| format!("\nca_file = \"{}\"", path_str(p)))
        .unwrap_or_default();
    let mut env = env_with_secret(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"ci\"\ntimeout = 5{ca_line}"
        ),
        CANARY,
    );
    let proxy_url = proxy.server.url();
    env.set("HTTPS_PROXY", &proxy_url);
    env.set("HTTP_PROXY", &proxy_url);
    env.set("ALL_PROXY", &proxy_url);
    env
}

fn token_server(tls: &Tls) -> Server {
    tls.serve(|req| {
        if req.form_value("grant_type").as_deref() != Some("client_credentials") {
            return Response::json(400, "{}");
        }
        Response::json(
            200,
            r#"{"access_token":"via-tunnel","token_type":"Bearer","expires_in":600}"#,
        )
    })
}

#[test]
fn https_goes_through_the_proxy_tunnel_unless_no_proxy_covers_the_host() {
    let tls = Tls::new();
    let server = token_server(&tls);
    let proxy = Proxy::start();
    let url = format!("https://127.0.0.1:{}", server.addr().port());
    let mut env = env_for(&url, Some(&tls.ca_file), &proxy);
    assert_eq!(env.ok(&["token", "p"]), "via-tunnel\n");
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 1);
    let seen = proxy.seen.lock().unwrap().clone();
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.contains("CONNECT"), "{seen}");
    assert!(
        !seen.contains(CANARY) && !seen.contains("client_credentials"),
        "the proxy saw clear text"
    );

    env.set("NO_PROXY", "127.0.0.1");
    assert_eq!(env.ok(&["token", "p", "--refresh"]), "via-tunnel\n");
    assert_eq!(
        proxy.tunnels.load(Ordering::SeqCst),
        1,
        "NO_PROXY was ignored"
    );
}

#[test]
fn plain_http_to_loopback_never_goes_to_a_proxy() {
    let fake = Fake::ok(r#"{"access_token":"direct","token_type":"Bearer","expires_in":600}"#);
    let proxy = Proxy::start();
    let env = env_for(&fake.url(), None, &proxy);
    assert_eq!(env.ok(&["token", "p"]), "direct\n");
    assert_eq!(proxy.requests.load(Ordering::SeqCst), 0);
    assert_eq!(fake.count(), 1);
}

#[test]
fn a_bad_proxy_url_is_one_line_without_its_credentials() {
    let fake = Fake::ok("{}");
    let proxy = Proxy::start();
    let mut env = env_for(&fake.url(), None, &proxy);
    env.set("HTTPS_PROXY", "http://user:pr0xy-pass@[bad");
    let out = env.run(&["token", "p"], "");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("HTTPS_PROXY is not a proxy URL"), "{err}");
    assert!(!err.contains("pr0xy-pass"));
}

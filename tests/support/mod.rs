//! Shared test fixtures: an isolated tokex environment, a recording fake token endpoint, and
//! real secret stores (a private D-Bus session with gnome-keyring, a private kernel session
//! keyring). Nothing here talks to anything but loopback.
#![allow(dead_code)]

pub mod idp;
pub mod keyring;
#[cfg(target_os = "linux")]
pub mod kube;
pub mod pass;
pub mod tls;
pub mod tools;

pub use keyring::Session;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, Once};
pub use tokex::loopback::{Request, Response, Server};

/// A throw-away HOME, config file and cache directory, and the store to use.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub store_env: Vec<(String, String)>,
    pub extra_env: Vec<(String, String)>,
    /// tokex runs as this user (keyutils environments), in its session.
    pub user: Option<keyring::KeyUser>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(user) = &self.user {
            user.sweep();
        }
    }
}

impl Env {
    /// Secrets in the kernel keyring of a user of the test's own (`keyring::KeyUser`), in
    /// whatever session keyring the test process has.
    pub fn keyutils() -> Env {
        Env::keyutils_in(Session::Inherit)
    }

    pub fn keyutils_in(session: Session) -> Env {
        let mut env = Env::with_store(vec![("TOKEX_STORE".into(), "keyutils".into())]);
        env.user = Some(keyring::KeyUser::new(session));
        env
    }

    pub fn with_store(store_env: Vec<(String, String)>) -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            store_env,
            extra_env: Vec::new(),
            user: None,
        }
    }

    /// The environment's user's tokex keys as `/proc/keys` lists them.
    pub fn kernel_keys(&self) -> Vec<String> {
        self.user
            .as_ref()
            .map(keyring::KeyUser::keys)
            .unwrap_or_default()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Where `tokex install-helpers --dir` puts the git and docker entry points in these tests.
    pub fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// Runs `tokex install-helpers` into `bin()` and the test HOME's terraform plugin dir.
    pub fn install_helpers(&self) {
        let dir = path_str(&self.bin());
        let out = self.run(&["install-helpers", "--dir", &dir], "");
        assert!(out.status.success(), "install-helpers: {}", stderr(&out));
    }

    /// Runs a tool to completion (bounded) with `stdin`.
    pub fn run_tool(&self, mut c: Command, stdin: impl AsRef<[u8]>) -> Output {
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn");
        let mut pipe = child.stdin.take().unwrap();
        let input = stdin.as_ref().to_vec();
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let out = wait_bounded(child, 120);
        let _ = writer.join();
        out
    }

    pub fn set(&mut self, k: &str, v: &str) {
        self.extra_env.push((k.into(), v.into()));
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.tool(env!("CARGO_BIN_EXE_tokex"), args);
        if let Some(user) = &self.user {
            user.own(self.dir.path());
            user.apply(&mut c);
        }
        c
    }

    /// Another program (git, kubectl, …) with the same isolated environment, so the tokex it
    /// runs sees this test's config, cache and store. `bin` (where `install-helpers` puts the
    /// entry points) comes first on PATH.
    pub fn tool(&self, program: &str, args: &[&str]) -> Command {
        let mut path = std::ffi::OsString::from(self.bin());
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut c = Command::new(program);
        c.args(args)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .env("TOKEX_CONFIG", self.config())
            .env("TOKEX_CACHE_DIR", self.cache_dir())
            .stdin(Stdio::null());
        for (k, v) in self.store_env.iter().chain(&self.extra_env) {
            c.env(k, v);
        }
        c
    }

    /// Another program, run as this environment's throw-away user when it has one (kubectl,
    /// whose exec plugin must reach that user's kernel keys).
    pub fn tool_as_user(&self, program: &str, args: &[&str]) -> Command {
        let mut c = self.tool(program, args);
        if let Some(user) = &self.user {
            user.own(self.dir.path());
            user.apply(&mut c);
        }
        c
    }

    /// Runs tokex with `stdin`, returning its output; never hangs for long.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_tool(self.cmd(args), stdin)
    }

    /// Runs tokex and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, "");
        assert!(
            out.status.success(),
            "tokex {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs tokex and insists it fails with `code` and one line on stderr, `tokex: …`, never a
    /// panic; returns that line.
    pub fn fail(&self, args: &[&str], stdin: &str, code: i32) -> String {
        let out = self.run(args, stdin);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "tokex {args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("tokex: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        err
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn login(&self, name: &str, secret: &str) {
        let out = self.run(&["login", name, "--stdin"], &format!("{secret}\n"));
        assert!(
            out.status.success(),
            "login failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `git credential fill` for `url`, with tokex as git's only helper.
pub fn git_fill(env: &Env, url: &str) -> Output {
    let mut c = env.tool(
        "git",
        &[
            "-c",
            "credential.helper=",
            "-c",
            "credential.helper=tokex",
            "credential",
            "fill",
        ],
    );
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    env.run_tool(c, format!("url={url}\n\n"))
}

pub fn wait_bounded(mut child: Child, secs: u64) -> Output {
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed().as_secs() >= secs {
            let _ = child.kill();
            panic!("process did not finish within {secs}s");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fake token endpoint that records every request and answers from a script (the last answer
/// repeats).
pub struct Fake {
    pub server: Server,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl Fake {
    pub fn new(answers: Vec<Response>) -> Fake {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let answers = Arc::new(Mutex::new(answers));
        let server = Server::start(move |req| {
            seen.lock().unwrap().push(req.clone());
            let mut a = answers.lock().unwrap();
            if a.len() > 1 {
                a.remove(0)
            } else {
                a[0].clone()
            }
        })
        .unwrap();
        Fake { server, requests }
    }

    pub fn ok(body: &str) -> Fake {
        Fake::new(vec![Response::json(200, body)])
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn request(&self, i: usize) -> Request {
        self.requests.lock().unwrap()[i].clone()
    }
}

/// Joins a fresh anonymous kernel session keyring for this test thread (the kernel keeps the
/// session keyring per thread); the tokex processes it starts inherit it, so tests never touch
/// the user's own keyring and work in containers whose login set up none.
pub fn private_session_keyring() {
    thread_local!(static JOINED: Once = const { Once::new() });
    JOINED.with(|once| {
        once.call_once(|| {
            // SAFETY: KEYCTL_JOIN_SESSION_KEYRING (1) with a null name reads no memory of ours.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_keyctl,
                    1 as libc::c_long,
                    std::ptr::null::<libc::c_char>(),
                )
            };
            assert!(
                r >= 0,
                "keyctl(JOIN_SESSION_KEYRING) failed: {}",
                std::io::Error::last_os_error()
            );
        })
    });
}

/// A private D-Bus session bus with an unlocked gnome-keyring Secret Service on it. Stops (and
/// the keyring daemon with it) when dropped.
pub struct SecretService {
    bus: Child,
    pub address: String,
    pub home: tempfile::TempDir,
}

impl SecretService {
    pub fn start() -> SecretService {
        SecretService::launch(true)
    }

    /// A Secret Service whose keyring was never unlocked, as on a headless login.
    pub fn start_locked() -> SecretService {
        SecretService::launch(false)
    }

    fn launch(unlocked: bool) -> SecretService {
        let home = tempfile::tempdir().unwrap();
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon not found: install the dbus package (see .ci/run)");
        let mut line = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "no bus address from dbus-daemon: {line:?}"
        );
        let mode = if unlocked { "--unlock" } else { "--start" };
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args([mode, "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_RUNTIME_DIR", home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "gnome-keyring-daemon not found: install the gnome-keyring package (see .ci/run)",
            );
        let mut stdin = keyring.stdin.take().unwrap();
        if unlocked {
            stdin.write_all(b"test-keyring-password").unwrap();
        }
        drop(stdin);
        let out = wait_bounded(keyring, 20);
        assert!(out.status.success(), "gnome-keyring-daemon {mode} failed");
        wait_for_name(&address, "org.freedesktop.secrets");
        SecretService { bus, address, home }
    }

    pub fn env(&self) -> Env {
        let mut e = Env::with_store(vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()),
            ("TOKEX_STORE".into(), "secret-service".into()),
        ]);
        e.set("XDG_RUNTIME_DIR", &self.home.path().display().to_string());
        e
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

fn wait_for_name(address: &str, name: &str) {
    for _ in 0..200 {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
            ])
            .arg(format!("string:{name}"))
            .env("DBUS_SESSION_BUS_ADDRESS", address)
            .output()
            .expect("dbus-send");
        if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("{name} never appeared on the test bus");
}

/// A kernel-keyring env whose profile `name` reads its secret from `$SECRET`.
/// The secret in `$SECRET` (`secret_env`): no secret store is touched, so tokex runs as the test's
/// own user.
pub fn env_with_secret(name: &str, body: &str, secret: &str) -> Env {
    let mut e = Env::with_store(vec![("TOKEX_STORE".into(), "keyutils".into())]);
    e.write_config(&profile(name, &format!("{body}\nsecret_env = \"SECRET\"")));
    e.set("SECRET", secret);
    e
}

/// A config file with one profile table.
pub fn profile(name: &str, body: &str) -> String {
    format!("[profiles.{name}]\n{body}\n")
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// An OAuth2 token endpoint that issues a new token (`tok-1`, `tok-2`, …) on each exchange and
/// tells resource servers which tokens it issued, so they accept exactly those.
pub struct Issuer {
    pub server: Server,
    issued: Arc<Mutex<Vec<String>>>,
    expires_in: Arc<std::sync::atomic::AtomicU64>,
    /// Milliseconds to wait before answering (and issuing), to make callers overlap.
    delay_ms: Arc<std::sync::atomic::AtomicU64>,
    /// Requests received, answered or not.
    pub received: Arc<std::sync::atomic::AtomicUsize>,
}

impl Issuer {
    pub fn new() -> Issuer {
        let issued = Arc::new(Mutex::new(Vec::new()));
        let expires_in = Arc::new(std::sync::atomic::AtomicU64::new(3600));
        let delay_ms = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let received = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (log, life, delay, got) = (
            issued.clone(),
            expires_in.clone(),
            delay_ms.clone(),
            received.clone(),
        );
        let server = Server::start(move |req| {
            got.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let pause = delay.load(std::sync::atomic::Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(pause));
            if req.path() != "/token"
                || req.form_value("grant_type").as_deref() != Some("client_credentials")
            {
                return Response::json(400, r#"{"error":"invalid_request"}"#);
            }
            let mut log = log.lock().unwrap();
            let token = format!("tok-{}", log.len() + 1);
            log.push(token.clone());
            let life = life.load(std::sync::atomic::Ordering::SeqCst);
            Response::json(
                200,
                format!(
                    r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{life}}}"#
                ),
            )
        })
        .unwrap();
        Issuer {
            server,
            issued,
            expires_in,
            delay_ms,
            received,
        }
    }

    pub fn set_delay_ms(&self, ms: u64) {
        self.delay_ms.store(ms, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn received(&self) -> usize {
        self.received.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Lifetime of the tokens issued from now on.
    pub fn set_expires_in(&self, secs: u64) {
        self.expires_in
            .store(secs, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn issued(&self) -> Vec<String> {
        self.issued.lock().unwrap().clone()
    }

    /// A check for resource servers: was this token issued here?
    pub fn validator(&self) -> impl Fn(&str) -> bool + Send + Sync + 'static {
        let issued = self.issued.clone();
        move |t| issued.lock().unwrap().iter().any(|i| i == t)
    }

    /// A kernel-keyring env whose profile `name` exchanges `$SECRET` here and serves `matches`.
    pub fn env(&self, name: &str, matches: &[&str]) -> Env {
        let list = matches
            .iter()
            .map(|m| format!("{m:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        env_with_secret(
            name,
            &format!(
                "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nmatch = [{list}]",
                self.server.url()
            ),
            "client-secret",
        )
    }
}

/// The bearer token in an `Authorization` header, or the password of a Basic one.
pub fn presented_token(req: &Request) -> Option<(String, String)> {
    use base64::Engine;
    let auth = req.header("authorization")?;
    let (scheme, value) = auth.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(("Bearer".into(), value.trim().to_string()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (user, pass) = text.split_once(':')?;
        return Some((format!("Basic {user}"), pass.to_string()));
    }
    None
}

/// What a fake resource server saw: each request's path and the bearer token it carried.
#[derive(Clone, Default)]
pub struct BearerLog(Arc<Mutex<Vec<Seen>>>);

/// A request's path and its bearer token.
pub type Seen = (String, Option<String>);

impl BearerLog {
    /// Records `req` and returns its bearer token, if any.
    pub fn record(&self, req: &Request) -> Option<String> {
        let token = presented_token(req)
            .filter(|(s, _)| s == "Bearer")
            .map(|(_, t)| t);
        self.0
            .lock()
            .unwrap()
            .push((req.path().to_string(), token.clone()));
        token
    }

    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    /// The bearer tokens presented, in order.
    pub fn tokens(&self) -> Vec<String> {
        self.all().into_iter().filter_map(|(_, t)| t).collect()
    }
}

/// A loopback server handing each raw connection to `f`, for faults the HTTP fake cannot make:
/// resets, silence, a slow drip. Stops when dropped (its connections end with the test).
pub struct RawServer {
    pub addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RawServer {
    pub fn start(f: impl Fn(std::net::TcpStream) + Send + Sync + 'static) -> RawServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let f = Arc::new(f);
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while !flag.load(std::sync::atomic::Ordering::Relaxed)
                && started.elapsed() < std::time::Duration::from_secs(600)
            {
                match listener.accept() {
                    Ok((s, _)) => {
                        let f = f.clone();
                        s.set_nonblocking(false).unwrap();
                        std::thread::spawn(move || f(s));
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(2)),
                }
            }
        });
        RawServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

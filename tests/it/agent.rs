//! `tokex agent`: a client with no config, store or cache gets tokens through the agent's
//! socket, from `tokex token`, real git and the docker protocol; `--allow` scopes what it
//! serves; another user is refused; the bytes on the socket hold no secret; a dead agent fails
//! its clients fast; many clients share one exchange; a silent or oversized client holds up
//! nobody.

// Unix sockets, SO_PEERCRED, throw-away user ids and signals: the Linux side.
#![cfg(target_os = "linux")]

use crate::support::keyring::{self, Session};
use crate::support::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running `tokex agent`, stopped (SIGKILL) when dropped.
pub struct Agent {
    child: Option<Child>,
    pub socket: PathBuf,
    pub log: PathBuf,
}

impl Agent {
    /// `tokex agent --socket DIR/agent.sock --log DIR/agent.log ARGS` in `env`.
    pub fn start(env: &Env, args: &[&str]) -> Agent {
        Agent::start_as(env, args, None)
    }

    pub fn start_as(env: &Env, args: &[&str], uid: Option<u32>) -> Agent {
        let socket = env.dir.path().join("agent.sock");
        let log = env.dir.path().join("agent.log");
        let mut all = vec![
            "agent",
            "--socket",
            socket.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        let mut c = env.cmd(&all);
        if let Some(uid) = uid {
            keyring::as_user(&mut c, uid, Session::Inherit);
        }
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("tokex agent");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        if line.is_empty() {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("the agent did not start: {}", stderr(&out));
        }
        assert_eq!(
            line,
            format!("TOKEX_AGENT={}; export TOKEX_AGENT;\n", socket.display())
        );
        Agent {
            child: Some(child),
            socket,
            log,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A machine of its own for a client: an empty HOME, no config file, no store; only
    /// `TOKEX_AGENT` pointing at `socket`.
    pub fn client_of(socket: &Path) -> Env {
        let mut env = Env::with_store(Vec::new());
        env.set("TOKEX_AGENT", socket.to_str().unwrap());
        env
    }

    pub fn client(&self) -> Env {
        Agent::client_of(&self.socket)
    }

    pub fn signal(&mut self, sig: i32) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        // SAFETY: a child process of ours, not yet waited for.
        unsafe { libc::kill(child.id() as i32, sig) };
        for _ in 0..1000 {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        panic!("the agent did not stop on signal {sig}");
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn docker_get(env: &Env, server: &str) -> std::process::Output {
    let helper = env.bin().join("docker-credential-tokex");
    env.run_tool(env.tool(helper.to_str().unwrap(), &["get"]), server)
}

/// Two profiles on one issuer, secrets from `$SECRET`.
fn two_profiles(issuer: &Issuer) -> Env {
    let mut env = Env::with_store(vec![("TOKEX_STORE".into(), "keyutils".into())]);
    let url = issuer.server.url();
    env.write_config(&format!(
        "[profiles.a]\nprovider = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"ci\"\nsecret_env = \"SECRET\"\nmatch = [\"https://a.example.com\"]\n\n\
         [profiles.b]\nprovider = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"ci\"\nsecret_env = \"SECRET\"\nmatch = [\"https://b.example.com\"]\n"
    ));
    env.set("SECRET", "client-secret");
    env
}

#[test]
fn a_client_with_no_config_gets_the_logged_in_profile_s_token_through_token_git_and_docker() {
    let issuer = Issuer::new();
    let ss = SecretService::start();
    let env = ss.env();
    env.write_config(&profile(
        "p",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nmatch = [\"https://git.example.com\"]",
            issuer.server.url()
        ),
    ));
    env.login("p", "client-secret");
    let agent = Agent::start(&env, &[]);
    let client = agent.client();
    client.install_helpers();
    let token = client.ok(&["token", "p"]);
    assert!(token.starts_with("tok-"), "{token}");
    let out = git_fill(&client, "https://git.example.com/org/repo.git");
    assert!(
        stdout(&out).contains(&format!("password={token}")),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = docker_get(&client, "https://git.example.com");
    assert_eq!(
        stdout(&out),
        format!(
            "{{\"ServerURL\":\"https://git.example.com\",\"Username\":\"oauth2\",\"Secret\":\"{}\"}}\n",
            token.trim()
        ),
        "{}",
        stderr(&out)
    );
    // The client's machine kept nothing: no config, no cache, no secret.
    assert!(!client.config().exists());
    assert!(!client.cache_dir().exists());
    let status = client.ok(&["status"]);
    assert!(
        status.contains(&format!("agent: {}", agent.socket.display()))
            && status.contains("p: through the agent; match https://git.example.com"),
        "{status}"
    );
    let err = client.fail(&["login", "p", "--stdin"], "another\n", 2);
    assert!(err.contains("belongs on the agent's machine"), "{err}");
    let log = agent.log();
    for caller in ["token", "git", "docker", "status"] {
        assert!(
            log.contains(&format!("caller={caller} ")),
            "{caller}: {log}"
        );
    }
    assert!(log.contains("op=token profile=p ok"), "{log}");
    assert!(!log.contains(token.trim()), "the log holds a token: {log}");
}

#[test]
fn allow_serves_only_the_named_profiles_and_the_urls_only_they_match() {
    let issuer = Issuer::new();
    let env = two_profiles(&issuer);
    let agent = Agent::start(&env, &["--allow", "a"]);
    let client = agent.client();
    client.install_helpers();
    assert_eq!(client.ok(&["token", "a"]), "tok-1\n");
    let err = client.fail(&["token", "b"], "", 2);
    assert!(err.contains("this agent does not serve profile b"), "{err}");
    let out = git_fill(&client, "https://b.example.com/repo.git");
    assert!(!stdout(&out).contains("password="), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("this agent serves no profile for https://b.example.com"),
        "{}",
        stderr(&out)
    );
    let out = git_fill(&client, "https://a.example.com/repo.git");
    assert!(stdout(&out).contains("password=tok-1"), "{}", stderr(&out));
    let list = client.run_tool(
        client.tool(
            client
                .bin()
                .join("docker-credential-tokex")
                .to_str()
                .unwrap(),
            &["list"],
        ),
        "",
    );
    assert_eq!(stdout(&list), "{\"https://a.example.com\":\"oauth2\"}\n");
    let status = client.ok(&["status"]);
    assert!(
        status.contains("a: through") && !status.contains("b: through"),
        "{status}"
    );
    // Nothing for b was ever exchanged.
    assert_eq!(issuer.issued(), vec!["tok-1".to_string()]);
    let log = agent.log();
    assert!(log.contains("op=token profile=b failed: "), "{log}");
    assert!(log.contains("op=choose profile=b failed: "), "{log}");
}

#[test]
fn a_peer_of_another_user_is_refused_unless_the_agent_is_scoped() {
    if !keyring::root_or_skip("a peer of another user") {
        return;
    }
    let issuer = Issuer::new();
    let env = two_profiles(&issuer);
    let owner = keyring::throwaway_uid();
    keyring::chown_tree(env.dir.path(), owner);
    let agent = Agent::start_as(&env, &[], Some(owner));
    // This test runs as root, not as the agent's user.
    let client = agent.client();
    let err = client.fail(&["token", "a"], "", 2);
    assert!(err.contains("this agent serves only its own user"), "{err}");
    assert!(
        agent.log().contains("uid=0 pid=")
            && agent
                .log()
                .contains("refused: another user, and no --allow"),
        "{}",
        agent.log()
    );
    drop(agent);
    let agent = Agent::start_as(&env, &["--allow", "a"], Some(owner));
    assert_eq!(client.ok(&["token", "a"]), "tok-1\n");
    client.fail(&["token", "b"], "", 2);
    assert_eq!(issuer.issued().len(), 1);
    drop(agent);
}

/// A Unix-socket relay in front of the agent that records every byte both ways.
struct Capture {
    pub socket: PathBuf,
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl Capture {
    fn start(dir: &Path, upstream: &Path) -> Capture {
        let socket = dir.join("capture.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let (record, upstream) = (bytes.clone(), upstream.to_path_buf());
        std::thread::spawn(move || {
            // Bounded: the test makes far fewer connections; the thread ends with the test.
            for _ in 0..100 {
                let Ok((down, _)) = listener.accept() else {
                    return;
                };
                let up = UnixStream::connect(&upstream).unwrap();
                for (mut from, mut to) in [
                    (down.try_clone().unwrap(), up.try_clone().unwrap()),
                    (up, down),
                ] {
                    let record = record.clone();
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 4096];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                            record.lock().unwrap().extend_from_slice(&buf[..n]);
                        }
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        Capture { socket, bytes }
    }

    fn bytes(&self) -> Vec<u8> {
        self.bytes.lock().unwrap().clone()
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn the_socket_carries_issued_tokens_and_never_a_secret_or_a_refresh_token() {
    // One profile exchanges a client secret; the other a refresh token the server rotates.
    let server = Server::start(|req| match req.form_value("grant_type").as_deref() {
        Some("refresh_token") => Response::json(
            200,
            r#"{"access_token":"rt-access","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-rotated-secret"}"#,
        ),
        Some("client_credentials") => Response::json(
            200,
            r#"{"access_token":"cc-access","token_type":"Bearer","expires_in":3600}"#,
        ),
        _ => Response::json(400, r#"{"error":"invalid_request"}"#),
    })
    .unwrap();
    let url = server.url();
    let mut env = Env::with_store(vec![("TOKEX_STORE".into(), "keyutils".into())]);
    env.write_config(&format!(
        "[profiles.cc]\nprovider = \"oauth2\"\ntoken_url = \"{url}/token\"\nclient_id = \"ci\"\nsecret_env = \"CC_SECRET\"\nmatch = [\"https://cc.example.com\"]\n\n\
         [profiles.rt]\nprovider = \"oauth2\"\ngrant = \"refresh_token\"\ntoken_url = \"{url}/token\"\nclient_id = \"app\"\nsecret_env = \"RT_SECRET\"\nmatch = [\"https://rt.example.com\"]\n"
    ));
    env.set("CC_SECRET", "cc-long-lived-secret");
    env.set("RT_SECRET", "rt-long-lived-refresh-token");
    let agent = Agent::start(&env, &[]);
    let capture = Capture::start(env.dir.path(), &agent.socket);
    let client = Agent::client_of(&capture.socket);
    client.install_helpers();
    assert_eq!(client.ok(&["token", "cc"]), "cc-access\n");
    assert!(
        client
            .ok(&["token", "rt", "--format", "json"])
            .contains("rt-access")
    );
    let out = git_fill(&client, "https://rt.example.com/repo.git");
    assert!(
        stdout(&out).contains("password=rt-access"),
        "{}",
        stderr(&out)
    );
    let out = docker_get(&client, "https://cc.example.com");
    assert!(stdout(&out).contains("cc-access"), "{}", stderr(&out));
    client.ok(&["status"]);
    client.ok(&["doctor"]);
    let bytes = capture.bytes();
    // The capture saw the traffic (the issued tokens, the hello) …
    assert!(contains(&bytes, "cc-access") && contains(&bytes, "rt-access"));
    assert!(contains(
        &bytes,
        r#"{"op":"hello","version":1,"caller":"git"}"#
    ));
    // … and nothing long-lived.
    for secret in [
        "cc-long-lived-secret",
        "rt-long-lived-refresh-token",
        "rt-rotated-secret",
    ] {
        assert!(!contains(&bytes, secret), "{secret} crossed the socket");
    }
    // The broker's warnings go to the agent's log too: the rotated token has nowhere to go.
    assert!(
        agent
            .log()
            .contains("rt: warning: the server issued a new refresh token"),
        "{}",
        agent.log()
    );
}

#[test]
fn a_killed_agent_fails_clients_fast_and_its_successor_replaces_the_stale_socket() {
    let issuer = Issuer::new();
    let env = two_profiles(&issuer);
    let mut agent = Agent::start(&env, &[]);
    let client = agent.client();
    client.install_helpers();
    assert_eq!(client.ok(&["token", "a"]), "tok-1\n");
    agent.signal(libc::SIGKILL);
    assert!(agent.socket.exists(), "a crash leaves its socket behind");
    let shown = agent.socket.display().to_string();
    let err = client.fail(&["token", "a"], "", 1);
    assert!(
        err.contains(&format!(
            "the tokex agent at {shown} (TOKEX_AGENT) is not answering"
        )),
        "{err}"
    );
    // git's `get` says nothing on stdout, so git asks its next helper.
    let out = git_fill(&client, "https://a.example.com/repo.git");
    assert!(!stdout(&out).contains("password="), "{}", stdout(&out));
    assert!(stderr(&out).contains("TOKEX_AGENT"), "{}", stderr(&out));
    // A socket someone listens on but never answers (a stopped agent): bounded, and said.
    let hung = env.dir.path().join("hung.sock");
    let _listener = UnixListener::bind(&hung).unwrap();
    let mut c = Agent::client_of(&hung).cmd(&["token", "a"]);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = wait_bounded(c.spawn().unwrap(), 10);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no answer in time"),
        "{}",
        stderr(&out)
    );
    // The next agent replaces the stale socket; SIGTERM removes it.
    let mut agent = Agent::start(&env, &[]);
    assert_eq!(client.ok(&["token", "a"]), "tok-1\n");
    let status = agent.signal(libc::SIGTERM);
    assert!(status.success(), "{status:?}");
    assert!(!agent.socket.exists(), "SIGTERM left the socket");
    assert!(agent.log().contains("stopped; socket removed"));
    // A live agent's socket is not taken over.
    let first = Agent::start(&env, &[]);
    let out = env.run(&["agent", "--socket", first.socket.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("an agent already answers at {shown}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sixty_four_clients_share_one_exchange_and_silent_or_oversized_ones_hold_up_nobody() {
    let issuer = Issuer::new();
    issuer.set_delay_ms(300);
    let env = two_profiles(&issuer);
    let agent = Agent::start(&env, &[]);
    // One client that says nothing, one whose first frame claims 4 GiB.
    let mut silent = UnixStream::connect(&agent.socket).unwrap();
    let mut huge = UnixStream::connect(&agent.socket).unwrap();
    huge.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let client = Arc::new(agent.client());
    let outs: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || client.run(&["token", "a"], ""))
        })
        .collect();
    for out in outs {
        let out = out.join().unwrap();
        assert_eq!(stdout(&out), "tok-1\n", "{}", stderr(&out));
    }
    assert_eq!(issuer.received(), 1, "one exchange for 64 clients");
    // Both are cut off by the agent (the silent one after its read deadline).
    for (what, conn) in [("huge", &mut huge), ("silent", &mut silent)] {
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut rest = Vec::new();
        let got = conn.read_to_end(&mut rest);
        assert!(got.is_ok(), "{what}: the agent never closed it: {got:?}");
    }
    let log = agent.log();
    assert!(log.contains("over the limit"), "{log}");
    assert!(log.contains("op=hello dropped: no answer in time"), "{log}");
    assert_eq!(log.matches("op=token profile=a ok").count(), 64, "{log}");
}

#[test]
fn an_unknown_protocol_version_is_refused_in_one_line() {
    let issuer = Issuer::new();
    let env = two_profiles(&issuer);
    let agent = Agent::start(&env, &[]);
    let mut conn = UnixStream::connect(&agent.socket).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let hello = br#"{"op":"hello","version":99,"caller":"future"}"#;
    conn.write_all(&(hello.len() as u32).to_be_bytes()).unwrap();
    conn.write_all(hello).unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).unwrap();
    let text = String::from_utf8_lossy(&reply[4..]).into_owned();
    assert!(
        text.starts_with(r#"{"re":"failed","kind":"usage","message":"protocol version 99 is not spoken here (this agent speaks 1)"#),
        "{text}"
    );
    assert!(agent.log().contains("op=hello refused: version 99"));
}

#[test]
fn a_socket_where_others_could_replace_it_is_refused() {
    let issuer = Issuer::new();
    let env = two_profiles(&issuer);
    let open = env.dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let socket = open.join("agent.sock");
    let err = env.fail(&["agent", "--socket", socket.to_str().unwrap()], "", 2);
    assert!(
        err.contains("is writable by group or others (mode 0777)"),
        "{err}"
    );
    // The default place: $XDG_RUNTIME_DIR/tokex, made 0700, the socket 0600.
    let mut env = env;
    let run = env.dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    env.set("XDG_RUNTIME_DIR", run.to_str().unwrap());
    let mut c = env.cmd(&["agent"]);
    c.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let path = run.join("tokex/agent.sock");
    assert_eq!(
        line,
        format!("TOKEX_AGENT={}; export TOKEX_AGENT;\n", path.display())
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&run.join("tokex")), mode(&path)), (0o700, 0o600));
    let _ = child.kill();
    let _ = child.wait();
}

/// Stops every process whose command line names `socket` (an agent the test did not spawn).
fn kill_agents_at(socket: &Path) {
    let needle = socket.to_str().unwrap();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            // SAFETY: a pid read from /proc; at worst it is gone already.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
    }
}

#[test]
fn eval_of_a_backgrounded_agent_returns_and_sets_tokex_agent_in_the_shell() {
    let issuer = Issuer::new();
    let env = two_profiles(&issuer);
    let socket = env.dir.path().join("eval.sock");
    // As a user types it; the token comes through the agent (the local config is gone).
    let script = format!(
        "eval \"$(tokex agent --socket {} --log {} 2>/dev/null &)\"; echo \"$TOKEX_AGENT\"; TOKEX_CONFIG=/nonexistent/config.toml tokex token a",
        socket.display(),
        env.dir.path().join("eval.log").display(),
    );
    let mut c = env.tool("sh", &["-c", &script]);
    let dir = Path::new(env!("CARGO_BIN_EXE_tokex")).parent().unwrap();
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap());
    c.env("PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = wait_bounded(c.spawn().unwrap(), 30);
    kill_agents_at(&socket);
    assert_eq!(
        stdout(&out),
        format!("{}\ntok-1\n", socket.display()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_other_entry_point_asks_the_agent_too() {
    let issuer = Issuer::new();
    let env = two_profiles(&issuer);
    let agent = Agent::start(&env, &[]);
    let client = agent.client();
    let kube = client.ok(&["kubectl", "a"]);
    assert!(kube.contains(r#""token":"tok-1""#), "{kube}");
    let exec = client.ok(&["exec", "a", "--", "sh", "-c", "printf %s \"$TOKEX_TOKEN\""]);
    assert_eq!(exec, "tok-1");
    let ran = |args: &[&str], stdin: &str| {
        let out = client.run(args, stdin);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    assert!(ran(&["external"], r#"{"profile":"a"}"#).contains(r#""token":"tok-1""#));
    assert_eq!(
        ran(&["terraform", "get", "a.example.com"], ""),
        "{\"token\":\"tok-1\"}\n"
    );
    let bazel = ran(
        &["bazel", "get"],
        r#"{"uri":"https://a.example.com/cache/x"}"#,
    );
    assert!(
        bazel.contains(r#""Authorization":["Bearer tok-1"]"#),
        "{bazel}"
    );
    // Issue 27's callers.
    assert_eq!(
        ran(
            &["keyring", "get", "https://a.example.com/simple/", "u"],
            ""
        ),
        "tok-1\n"
    );
    let kubelet = ran(
        &["kubelet"],
        "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderRequest\",\"image\":\"a.example.com/app:1\"}",
    );
    assert!(
        kubelet.contains("\"a.example.com\":{\"username\":\"oauth2\",\"password\":\"tok-1\"}"),
        "{kubelet}"
    );
    assert_eq!(
        ran(&["goauth", "a"], ""),
        "https://a.example.com\n\nAuthorization: Bearer tok-1\n\n"
    );
    assert!(ran(&["google-exec", "a"], "").contains("\"id_token\":\"tok-1\""));
    assert_eq!(
        ran(&["setup", "go", "a"], ""),
        "go env -w GOAUTH='tokex goauth a'\n"
    );
    let cargo = ran(
        &["cargo", "--cargo-plugin"],
        "{\"v\":1,\"registry\":{\"index-url\":\"sparse+https://b.example.com/index/\"},\"kind\":\"get\",\"operation\":\"read\"}\n",
    );
    assert!(cargo.contains(r#""token":"Bearer tok-2""#), "{cargo}");
    // cargo's login stores a secret: that is the agent's machine's business.
    let login = ran(
        &["cargo", "--cargo-plugin"],
        "{\"v\":1,\"registry\":{\"index-url\":\"sparse+https://b.example.com/index/\"},\"kind\":\"login\",\"token\":\"x\"}\n",
    );
    assert!(
        login.contains("log in and out on the agent's machine"),
        "{login}"
    );
    assert_eq!(issuer.issued().len(), 2, "a and b, once each");
    let log = agent.log();
    for caller in [
        "kubectl",
        "exec",
        "external",
        "terraform",
        "bazel",
        "cargo",
        "keyring",
        "kubelet",
        "goauth",
        "google-exec",
        "setup",
    ] {
        assert!(
            log.contains(&format!("caller={caller} ")),
            "{caller}: {log}"
        );
    }
}

#[test]
fn what_a_peer_sends_cannot_forge_a_line_of_the_log() {
    let issuer = Issuer::new();
    let env = two_profiles(&issuer);
    let agent = Agent::start(&env, &["--allow", "a"]);
    let mut conn = UnixStream::connect(&agent.socket).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let frame = |conn: &mut UnixStream, body: &str| {
        conn.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
        conn.write_all(body.as_bytes()).unwrap();
        let mut len = [0u8; 4];
        conn.read_exact(&mut len).unwrap();
        let mut reply = vec![0u8; u32::from_be_bytes(len) as usize];
        conn.read_exact(&mut reply).unwrap();
        String::from_utf8(reply).unwrap()
    };
    let forged = "x\\n2026-01-01T00:00:00Z uid=0 pid=1 caller=git op=token profile=a ok\\u001b[2J";
    frame(
        &mut conn,
        &format!(r#"{{"op":"hello","version":1,"caller":"{forged}"}}"#),
    );
    let reply = frame(
        &mut conn,
        &format!(r#"{{"op":"token","profile":"{forged}","min_valid":60,"refresh":false}}"#),
    );
    assert!(reply.contains("does not serve profile"), "{reply}");
    drop(conn);
    let log = agent.log();
    assert!(!log.contains('\u{1b}'), "{log:?}");
    assert!(
        !log.lines().any(|l| l.starts_with("2026-01-01T00:00:00Z")),
        "{log}"
    );
    assert_eq!(
        log.lines().count(),
        2,
        "listening, and the one refusal: {log}"
    );
}

//! The real git judges tokex's credential helper: `git credential fill`, and `git ls-remote` /
//! `git clone` over smart HTTP from a loopback server (`git http-backend` as CGI) that accepts
//! only tokens the fake token endpoint issued.

// These run the Linux binary against Linux stores and the real tools; the Windows binary is
// run under Wine by tests/it/windows.rs, and every platform runs the unit tests.
#![cfg(target_os = "linux")]

use crate::support::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// How the git server asks for credentials.
#[derive(Clone, Copy, PartialEq)]
enum Challenge {
    Bearer,
    Basic,
}

struct GitServer {
    server: Server,
    /// `(scheme, token)` of every request it let through.
    seen: Arc<Mutex<Vec<(String, String)>>>,
    /// Tokens the server no longer accepts.
    revoked: Arc<Mutex<Vec<String>>>,
}

impl GitServer {
    fn start(
        root: &Path,
        challenge: Challenge,
        valid: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> GitServer {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let revoked: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
        let (log, gone, root) = (seen.clone(), revoked.clone(), root.to_path_buf());
        let server = Server::start(move |req| {
            let ok = presented_token(req).filter(|(scheme, token)| {
                let right_scheme = match challenge {
                    Challenge::Bearer => scheme == "Bearer",
                    Challenge::Basic => scheme.starts_with("Basic "),
                };
                right_scheme && valid(token) && !gone.lock().unwrap().contains(token)
            });
            let Some(pair) = ok else {
                let mut r = Response::json(401, "{}");
                let www = match challenge {
                    Challenge::Bearer => "Bearer realm=\"tokex-test\"",
                    Challenge::Basic => "Basic realm=\"tokex-test\"",
                };
                r.headers.push(("WWW-Authenticate".into(), www.into()));
                return r;
            };
            log.lock().unwrap().push(pair);
            http_backend(&root, req)
        })
        .unwrap();
        GitServer {
            server,
            seen,
            revoked,
        }
    }

    fn url(&self) -> String {
        format!("{}/repo.git", self.server.url())
    }

    fn host(&self) -> String {
        self.server.addr().to_string()
    }

    fn seen(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }
}

/// Runs `git http-backend` as a CGI for one request.
fn http_backend(root: &Path, req: &Request) -> Response {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let mut c = Command::new("git");
    c.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", root)
        .env("REQUEST_METHOD", &req.method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (header, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ] {
        if let Some(v) = req.header(header) {
            c.env(var, v);
        }
    }
    let mut child = c.spawn().expect("git http-backend");
    let mut stdin = child.stdin.take().unwrap();
    let body = req.body.clone();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let out = wait_bounded(child, 60);
    let _ = writer.join();
    let raw = out.stdout;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
        .expect("CGI output has a header block");
    let head = String::from_utf8_lossy(&raw[..split.0]).into_owned();
    let mut resp = Response {
        status: 200,
        headers: Vec::new(),
        body: raw[split.0 + split.1..].to_vec(),
    };
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if k.eq_ignore_ascii_case("status") {
            resp.status = v.split_whitespace().next().unwrap().parse().unwrap();
        } else if !k.eq_ignore_ascii_case("content-length") {
            resp.headers.push((k.to_string(), v.to_string()));
        }
    }
    resp
}

/// A bare repository with one commit, under `root/repo.git`.
fn bare_repo(root: &Path) {
    let work = root.join("work");
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", root)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    };
    std::fs::create_dir_all(&work).unwrap();
    git(root, &["init", "-q", "--bare", "-b", "main", "repo.git"]);
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("README"), "hello from the test repo\n").unwrap();
    git(&work, &["add", "README"]);
    git(&work, &["commit", "-q", "-m", "first"]);
    git(&work, &["push", "-q", "../repo.git", "main"]);
}

/// A git command in the test env: no system or global config, no prompts, and tokex as the only
/// credential helper, found on PATH as `git-credential-tokex` the way `credential.helper = tokex`
/// looks for it.
fn git(env: &Env, args: &[&str]) -> Command {
    let mut all = vec!["-c", "credential.helper=", "-c", "credential.helper=tokex"];
    all.extend_from_slice(args);
    let mut c = env.tool("git", &all);
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    c
}

/// git learned `capability[]=authtype` (the Bearer path) in 2.46; Debian 12's own git is 2.39,
/// so the machine's newer git must come first on PATH.
fn require_git_2_46() {
    let out = Command::new("git").arg("--version").output().unwrap();
    let text = stdout(&out);
    let version: Vec<u32> = text
        .trim()
        .trim_start_matches("git version ")
        .split('.')
        .take(2)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    assert!(
        version >= vec![2, 46],
        "these tests need git >= 2.46 on PATH (capability[]=authtype); found {text}"
    );
}

fn setup(challenge: Challenge) -> (Issuer, GitServer, Env, tempfile::TempDir) {
    require_git_2_46();
    let issuer = Issuer::new();
    let root = tempfile::tempdir().unwrap();
    bare_repo(root.path());
    let server = GitServer::start(root.path(), challenge, issuer.validator());
    let env = issuer.env("forge", &[&format!("http://{}", server.host())]);
    env.install_helpers();
    (issuer, server, env, root)
}

fn ok(env: &Env, c: Command) -> String {
    let out = env.run_tool(c, "");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn credential_fill_gets_a_bearer_credential_or_a_password() {
    let (issuer, server, env, _root) = setup(Challenge::Bearer);
    let host = server.host();
    let fill = |input: String| {
        let out = env.run_tool(git(&env, &["credential", "fill"]), &input);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let bearer = fill(format!(
        "capability[]=authtype\nprotocol=http\nhost={host}\n\n"
    ));
    assert!(bearer.contains("authtype=Bearer\n"), "{bearer}");
    assert!(bearer.contains("credential=tok-1\n"), "{bearer}");
    assert!(
        bearer.contains("ephemeral=1\n") || bearer.contains("ephemeral=true\n"),
        "{bearer}"
    );
    let expiry: i64 = bearer
        .lines()
        .find_map(|l| l.strip_prefix("password_expiry_utc="))
        .expect("expiry")
        .parse()
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (now + 3400..=now + 3600).contains(&expiry),
        "{expiry} vs {now}"
    );

    let basic = fill(format!("protocol=http\nhost={host}\n\n"));
    assert!(basic.contains("username=oauth2\n"), "{basic}");
    assert!(basic.contains("password=tok-1\n"), "{basic}");
    // Both answers came from one exchange: the second was a cache hit.
    assert_eq!(issuer.issued(), ["tok-1"]);

    // A host no profile matches: tokex says nothing, so git falls through and, unable to
    // prompt, fails.
    let out = env.run_tool(
        git(&env, &["credential", "fill"]),
        "protocol=https\nhost=elsewhere.example.com\n\n",
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("terminal prompts disabled"),
        "{}",
        stderr(&out)
    );
    assert_eq!(issuer.issued(), ["tok-1"]);
}

#[test]
fn ls_remote_and_clone_with_authtype_bearer() {
    let (issuer, server, env, root) = setup(Challenge::Bearer);
    let refs = ok(&env, git(&env, &["ls-remote", &server.url()]));
    assert!(refs.contains("refs/heads/main"), "{refs}");
    let dest = root.path().join("clone");
    ok(
        &env,
        git(&env, &["clone", "-q", &server.url(), &path_str(&dest)]),
    );
    let readme = std::fs::read_to_string(dest.join("README")).unwrap();
    assert_eq!(readme, "hello from the test repo\n");
    assert_eq!(issuer.issued(), ["tok-1"], "one exchange for both commands");
    let seen = server.seen();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(
        seen.iter().all(|(s, t)| s == "Bearer" && t == "tok-1"),
        "{seen:?}"
    );
}

#[test]
fn clone_with_the_token_as_basic_password_when_the_server_asks_for_basic() {
    let (issuer, server, env, root) = setup(Challenge::Basic);
    let dest = root.path().join("clone");
    ok(
        &env,
        git(&env, &["clone", "-q", &server.url(), &path_str(&dest)]),
    );
    assert!(dest.join("README").exists());
    assert_eq!(issuer.issued(), ["tok-1"]);
    let seen = server.seen();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|(s, t)| s == "Basic oauth2" && t == "tok-1"),
        "{seen:?}"
    );
}

#[test]
fn a_rejected_token_is_erased_and_the_next_run_gets_a_new_one() {
    let (issuer, server, env, _root) = setup(Challenge::Bearer);
    ok(&env, git(&env, &["ls-remote", &server.url()]));
    // The server stops accepting tok-1 (revoked early): git reports the failure and runs
    // `erase`, which must drop tokex's cached copy.
    server.revoked.lock().unwrap().push("tok-1".into());
    let out = env.run_tool(git(&env, &["ls-remote", &server.url()]), "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Authentication failed"),
        "{}",
        stderr(&out)
    );
    let refs = ok(&env, git(&env, &["ls-remote", &server.url()]));
    assert!(refs.contains("refs/heads/main"));
    assert_eq!(issuer.issued(), ["tok-1", "tok-2"]);
    assert_eq!(server.seen().last().unwrap().1, "tok-2");
}

#[test]
fn erase_from_another_helper_s_credential_keeps_ours() {
    let (issuer, server, env, _root) = setup(Challenge::Bearer);
    ok(&env, git(&env, &["ls-remote", &server.url()]));
    let host = server.host();
    let out = env.run_tool(
        git(&env, &["credential", "reject"]),
        format!("protocol=http\nhost={host}\nusername=x\npassword=someone-elses\n\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    ok(&env, git(&env, &["ls-remote", &server.url()]));
    assert_eq!(issuer.issued(), ["tok-1"]);
}

#[test]
fn helper_entry_point_and_unknown_operations() {
    let (_issuer, _server, env, _root) = setup(Challenge::Bearer);
    let helper: PathBuf = env.bin().join("git-credential-tokex");
    let cap = env.run_tool(env.tool(&path_str(&helper), &["capability"]), "");
    assert_eq!(stdout(&cap), "version 0\ncapability authtype\n");
    // git's rule: operations a helper does not know are ignored, silently.
    let future = env.run_tool(env.tool(&path_str(&helper), &["frobnicate"]), "x=y\n");
    assert!(future.status.success());
    assert_eq!(stdout(&future), "");
    assert_eq!(stderr(&future), "");
    // --profile names the profile outright, whatever the host.
    let pinned = env.run_tool(
        env.tool(&path_str(&helper), &["--profile", "forge", "get"]),
        "protocol=https\nhost=elsewhere.example.com\n\n",
    );
    assert_eq!(
        stdout(&pinned).lines().take(2).collect::<Vec<_>>(),
        ["username=oauth2", "password=tok-1"]
    );
    // A malformed request is a clear error, and no credential.
    let bad = env.run_tool(
        env.tool(&path_str(&helper), &["get"]),
        "protocol=http\nnonsense\n",
    );
    assert!(!bad.status.success());
    assert_eq!(stdout(&bad), "");
    assert_eq!(
        stderr(&bad),
        "tokex: line 2 of git's request is not key=value\n"
    );
}

//! Package tools, for real: pip and uv (from PyPI) through the `keyring` entry point, pnpm
//! (from npm) through its `tokenHelper`, each set up by `tokex setup` and installing a package
//! from a loopback index that accepts only the tokens the issuer handed out.

#![cfg(target_os = "linux")]

use crate::support::tools::{pnpm, python_tools};
use crate::support::*;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What the index saw: each request's path and the credential it carried (`Basic USER` or
/// `Bearer`, and the token).
type Seen = Arc<Mutex<Vec<(String, Option<(String, String)>)>>>;

/// A package index that answers only requests carrying a token `issuer` issued.
fn index(
    issuer: &Issuer,
    files: Vec<(String, &'static str, Vec<u8>)>,
    challenge: &'static str,
) -> (Server, Seen) {
    let valid = issuer.validator();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let server = Server::start(move |req| {
        let presented = presented_token(req);
        log.lock()
            .unwrap()
            .push((req.path().to_string(), presented.clone()));
        if !presented.is_some_and(|(_, t)| valid(&t)) {
            let mut r = Response::json(401, "{\"error\":\"unauthorized\"}");
            r.headers
                .push(("WWW-Authenticate".into(), challenge.into()));
            return r;
        }
        match files.iter().find(|(path, _, _)| path == req.path()) {
            Some((_, kind, body)) => Response {
                status: 200,
                headers: vec![("Content-Type".into(), (*kind).into())],
                body: body.clone(),
            },
            None => Response::json(404, "{}"),
        }
    })
    .unwrap();
    (server, seen)
}

/// A wheel of one module, made by the tools' own python.
fn wheel(dir: &Path) -> Vec<u8> {
    let path = dir.join("tokex_probe-1.0-py3-none-any.whl");
    let script = r#"
import base64, hashlib, sys, zipfile
files = {
    "tokex_probe/__init__.py": "VALUE = 1\n",
    "tokex_probe-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tokex-probe\nVersion: 1.0\n",
    "tokex_probe-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tokex-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = ""
for name, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record += f"{name},sha256={digest},{len(text.encode())}\n"
record += "tokex_probe-1.0.dist-info/RECORD,,\n"
files["tokex_probe-1.0.dist-info/RECORD"] = record
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
"#;
    let out = std::process::Command::new(python_tools().join("python"))
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::read(path).unwrap()
}

fn python_index(issuer: &Issuer, dir: &Path) -> (Server, Seen) {
    let whl = wheel(dir);
    let page = "<!DOCTYPE html><html><body><a href=\"/files/tokex_probe-1.0-py3-none-any.whl\">tokex_probe-1.0-py3-none-any.whl</a></body></html>";
    index(
        issuer,
        vec![
            (
                "/simple/tokex-probe/".into(),
                "text/html",
                page.as_bytes().to_vec(),
            ),
            (
                "/files/tokex_probe-1.0-py3-none-any.whl".into(),
                "application/octet-stream",
                whl,
            ),
        ],
        "Basic realm=\"tokex-test\"",
    )
}

/// `tokex setup TOOL PROFILE` in the test's HOME, which must change something.
fn setup(env: &Env, tool: &str, profile: &str) -> String {
    let out = env.run(&["setup", tool, profile], "");
    assert!(out.status.success(), "setup {tool}: {}", stderr(&out));
    stdout(&out)
}

/// The tools first try the URL's user name alone (an empty password); every password they
/// sent was the issued token, and the wheel came with it.
fn assert_presented(seen: &[(String, Option<(String, String)>)], scheme: &str) {
    let sent: Vec<_> = seen
        .iter()
        .filter_map(|(_, c)| c.clone())
        .filter(|(_, t)| !t.is_empty())
        .collect();
    assert!(
        sent.iter().all(|(s, t)| s == scheme && t == "tok-1"),
        "{sent:?}"
    );
    assert!(
        seen.iter()
            .any(|(p, c)| p.ends_with(".whl") && c.as_ref().is_some_and(|(_, t)| t == "tok-1")),
        "{seen:?}"
    );
}

fn installed(target: &Path) -> bool {
    target.join("tokex_probe/__init__.py").exists()
}

/// A private Python index, a profile `pypi` for it (with `extra` keys), and tokex's `keyring`
/// first on PATH: what each pip and uv test starts from.
struct PyIndex {
    issuer: Issuer,
    env: Env,
    /// The test's HOME.
    dir: std::path::PathBuf,
    /// `http://127.0.0.1:PORT/simple/`
    simple: String,
    seen: Seen,
    _server: Server,
}

impl PyIndex {
    fn start(extra: &str) -> PyIndex {
        let issuer = Issuer::new();
        let env = issuer.env("pypi", &[]);
        let dir = env.bin().parent().unwrap().to_path_buf();
        let (server, seen) = python_index(&issuer, &dir);
        let simple = format!("{}/simple/", server.url());
        env.write_config(&profile(
            "pypi",
            &format!(
                "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nmatch = [\"{simple}\"]\nsecret_env = \"SECRET\"\n{extra}",
                issuer.server.url()
            ),
        ));
        let bin = path_str(&env.bin());
        let out = env.run(&["install-helpers", "--dir", &bin, "--keyring"], "");
        assert!(out.status.success(), "{}", stderr(&out));
        PyIndex {
            issuer,
            env,
            dir,
            simple,
            seen,
            _server: server,
        }
    }

    /// `uv pip install tokex-probe` into `target`, with `index` (`--index-url URL`) if any;
    /// it must succeed.
    fn uv_install(&self, target: &Path, index: &[&str]) {
        let tools = python_tools();
        let (python, target) = (path_str(&tools.join("python")), path_str(target));
        let mut args = vec![
            "pip",
            "install",
            "--no-cache",
            "--python",
            &python,
            "--target",
            &target,
        ];
        args.extend_from_slice(index);
        args.push("tokex-probe");
        let mut uv = self.env.tool_as_user(&path_str(&tools.join("uv")), &args);
        uv.env("UV_NO_PROGRESS", "1");
        let out = self.env.run_tool(uv, "");
        assert!(out.status.success(), "uv: {}{}", stdout(&out), stderr(&out));
    }

    /// Every credential went as `scheme` with the issued token, and there was one exchange.
    fn check(&self, scheme: &str) {
        assert_presented(&self.seen.lock().unwrap(), scheme);
        assert_eq!(self.issuer.issued(), ["tok-1"]);
    }
}

#[test]
fn pip_installs_from_a_private_index_with_the_token_through_keyring() {
    let ix = PyIndex::start("");
    assert!(setup(&ix.env, "pip", "pypi").contains("keyring-provider = subprocess"));
    let python = path_str(&python_tools().join("python"));
    // pip 26 asks keyring with the user name from the index URL, and without one.
    let with_user = ix.simple.replace("http://", "http://__token__@");
    for (i, url) in [&with_user, &ix.simple].into_iter().enumerate() {
        let target = ix.dir.join(format!("site-{i}"));
        let target = path_str(&target);
        let pip = ix.env.tool_as_user(
            &python,
            &[
                "-m",
                "pip",
                "install",
                "--no-cache-dir",
                "--no-deps",
                "--disable-pip-version-check",
                "--target",
                &target,
                "--index-url",
                url,
                "tokex-probe",
            ],
        );
        let out = ix.env.run_tool(pip, "");
        assert!(
            out.status.success(),
            "pip via {url}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(installed(Path::new(&target)), "{url}");
    }
    ix.check("Basic __token__");
}

#[test]
fn uv_installs_from_a_private_index_with_the_token_through_keyring() {
    let ix = PyIndex::start("username = \"ci-bot\"");
    assert!(setup(&ix.env, "uv", "pypi").contains("keyring-provider = \"subprocess\""));
    let target = ix.dir.join("site");
    let url = ix.simple.replace("http://", "http://ci-bot@");
    ix.uv_install(&target, &["--index-url", &url]);
    assert!(installed(&target));
    ix.check("Basic ci-bot");
}

#[test]
fn uv_asks_keyring_for_user_and_token_for_an_index_that_always_authenticates() {
    let ix = PyIndex::start("");
    // The index as a uv user names it: no user name anywhere, so uv runs
    // `keyring get URL --mode creds` and takes the user name from tokex's answer.
    let uv_toml = ix.dir.join(".config/uv/uv.toml");
    std::fs::create_dir_all(uv_toml.parent().unwrap()).unwrap();
    let index = format!(
        "[[index]]\nname = \"corp\"\nurl = \"{}\"\nauthenticate = \"always\"\ndefault = true\n",
        ix.simple
    );
    std::fs::write(&uv_toml, index).unwrap();
    setup(&ix.env, "uv", "pypi");
    let target = ix.dir.join("site");
    ix.uv_install(&target, &[]);
    assert!(installed(&target));
    ix.check("Basic __token__");
}

#[test]
fn pnpm_installs_from_a_private_registry_with_the_bearer_token_from_its_helper() {
    use base64::Engine;
    use sha2::Digest;
    let issuer = Issuer::new();
    let env = issuer.env("npm", &[]);
    let dir = env.bin().parent().unwrap().to_path_buf();
    let pkg = dir.join("pkg/package");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("package.json"),
        "{\"name\":\"tokex-probe\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n",
    )
    .unwrap();
    std::fs::write(pkg.join("index.js"), "module.exports = 1;\n").unwrap();
    let tgz = dir.join("tokex-probe-1.0.0.tgz");
    let out = std::process::Command::new("tar")
        .args([
            "-czf",
            &path_str(&tgz),
            "-C",
            &path_str(&dir.join("pkg")),
            "package",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let tarball = std::fs::read(&tgz).unwrap();
    let integrity = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(&tarball))
    );
    // The registry's address is known only once it listens: the packument names it, so it is
    // served from a cell filled after start.
    let packument: Arc<Mutex<Vec<u8>>> = Arc::default();
    let (server, seen) = {
        let doc = packument.clone();
        let valid = issuer.validator();
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let server = Server::start(move |req| {
            let presented = presented_token(req);
            log.lock()
                .unwrap()
                .push((req.path().to_string(), presented.clone()));
            if !presented.is_some_and(|(s, t)| s == "Bearer" && valid(&t)) {
                return Response::json(401, "{\"error\":\"unauthorized\"}");
            }
            let (kind, body) = match req.path() {
                "/tokex-probe" => ("application/json", doc.lock().unwrap().clone()),
                "/tokex-probe/-/tokex-probe-1.0.0.tgz" => {
                    ("application/octet-stream", tarball.clone())
                }
                _ => return Response::json(404, "{}"),
            };
            Response {
                status: 200,
                headers: vec![("Content-Type".into(), kind.into())],
                body,
            }
        })
        .unwrap();
        (server, seen)
    };
    let registry = format!("{}/", server.url());
    *packument.lock().unwrap() = format!(
        "{{\"name\":\"tokex-probe\",\"dist-tags\":{{\"latest\":\"1.0.0\"}},\"versions\":{{\"1.0.0\":{{\"name\":\"tokex-probe\",\"version\":\"1.0.0\",\"dist\":{{\"tarball\":\"{registry}tokex-probe/-/tokex-probe-1.0.0.tgz\",\"integrity\":\"{integrity}\"}}}}}}}}"
    )
    .into_bytes();
    env.write_config(&profile(
        "npm",
        &format!(
            "provider = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"ci\"\nmatch = [\"{registry}\"]\nsecret_env = \"SECRET\"",
            issuer.server.url()
        ),
    ));
    assert!(setup(&env, "pnpm", "npm").contains(":tokenHelper="));
    let project = dir.join("app");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("package.json"),
        "{\"name\":\"app\",\"version\":\"1.0.0\",\"dependencies\":{\"tokex-probe\":\"1.0.0\"}}\n",
    )
    .unwrap();
    std::fs::write(project.join(".npmrc"), format!("registry={registry}\n")).unwrap();
    let mut c = env.tool_as_user(
        &path_str(&pnpm()),
        &["install", "--store-dir", &path_str(&dir.join("store"))],
    );
    c.current_dir(&project)
        .env("npm_config_update_notifier", "false")
        .env("CI", "true");
    let out = env.run_tool(c, "");
    assert!(
        out.status.success(),
        "pnpm: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(project.join("node_modules/tokex-probe/index.js").exists());
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|(_, c)| c
            .as_ref()
            .is_some_and(|(s, t)| s == "Bearer" && t == "tok-1")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|(p, _)| p.ends_with(".tgz")));
    assert_eq!(issuer.issued(), ["tok-1"]);
}

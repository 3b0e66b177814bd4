//! The Windows binary, run for real: tokex cross-built for `x86_64-pc-windows-gnu` runs under
//! Wine in a throw-away prefix (its own registry, so its own Credential Manager, `%APPDATA%` and
//! `%LOCALAPPDATA%`) against the same loopback fakes as the Linux tests. Wine 8 lacks
//! `ProcessPrng`, which Rust's std calls at start, so the prefix gets a shim
//! `bcryptprimitives.dll` (tests/wine/) built with mingw-w64.
//!
//! Needs `wine64`, `gcc-mingw-w64-x86-64` and `rustup target add x86_64-pc-windows-gnu`, which
//! `.ci/run` installs.

#![cfg(target_os = "linux")]

use crate::support::{Fake, Issuer, Response, stderr, stdout};
use crate::wine::Machine;

const HELPERS: [&str; 5] = [
    "git-credential-tokex.exe",
    "docker-credential-tokex.exe",
    "cargo-credential-tokex.exe",
    "bazel-credential-tokex.exe",
    "kubelet-credential-tokex.exe",
];

/// The library's own unit tests, built for Windows, pass there: the Credential Manager's chunk
/// header, private directories, the lock, replacing a file while it is read, `cmd` for
/// `secret_command`, entry-point names, and every platform-neutral test besides.
#[test]
fn the_unit_tests_pass_on_windows() {
    let tests = crate::wine::windows_unit_tests();
    let m = Machine::new();
    let out = m.run(tests.to_str().unwrap(), &["--test-threads", "2"], "");
    let said = stdout(&out);
    assert!(
        out.status.success(),
        "the Windows unit tests failed:\n{said}\n{}",
        stderr(&out)
    );
    let summary = said
        .lines()
        .find(|l| l.starts_with("test result: ok."))
        .unwrap_or_else(|| panic!("no summary in:\n{said}"));
    assert!(!summary.contains(" 0 passed"), "{summary}");
}

#[test]
fn a_windows_session_from_login_to_logout() {
    let idp = Issuer::new();
    let m = oauth2_machine(
        &idp,
        &[
            "--match",
            "https://git.example.test/",
            "--match",
            "registry.example.test",
        ],
    );
    // The config went where `directories` puts it on Windows: %APPDATA%\tokex\config.
    let config = std::fs::read_to_string(m.appdata().join("tokex/config/config.toml")).unwrap();
    assert!(config.contains("[profiles.win]"), "{config}");

    let out = m.run("tokex.exe", &["login", "win", "--stdin"], "client-secret\n");
    assert!(out.status.success(), "login: {}", stderr(&out));
    assert!(
        stderr(&out).contains("Windows Credential Manager"),
        "{}",
        stderr(&out)
    );
    assert_eq!(m.credentials(), ["tokex:win"]);
    assert_eq!(idp.received(), 1, "login verifies with one exchange");

    // A new process reads the secret back... and the token from the cache, with no exchange.
    assert_eq!(m.ok("tokex.exe", &["token", "win"]), "tok-1\n");
    let hit = m.run_with(
        "tokex.exe",
        &["token", "win"],
        "",
        &[("TOKEX_LOG", "debug")],
    );
    assert!(hit.status.success(), "{}", stderr(&hit));
    assert_eq!(stdout(&hit), "tok-1\n");
    let log = stderr(&hit);
    eprintln!("a cache hit on Windows, TOKEX_LOG=debug:\n{log}");
    assert!(log.contains("cache hit"), "{log}");
    for absent in [
        "POST",
        "connect",
        "TLS",
        "Credential Manager",
        "secret store",
    ] {
        assert!(!log.contains(absent), "a hit touched {absent:?}: {log}");
    }
    assert_eq!(idp.received(), 1);
    // The cache is in %LOCALAPPDATA%\tokex\cache.
    assert!(m.local_appdata().join("tokex/cache/win.json").is_file());

    let status = m.ok("tokex.exe", &["status", "win"]);
    assert!(status.contains("Windows Credential Manager"), "{status}");
    let doctor = m.run("tokex.exe", &["doctor", "win"], "");
    assert!(doctor.status.success(), "doctor: {}", stdout(&doctor));
    assert!(
        stdout(&doctor).contains("Windows Credential Manager"),
        "{}",
        stdout(&doctor)
    );

    // The entry points, as copies or hard links with `.exe`, where each tool looks.
    let said = m.run("tokex.exe", &["install-helpers"], "");
    assert!(said.status.success(), "install-helpers: {}", stderr(&said));
    let bin = m.local_appdata().join("tokex/bin");
    for helper in HELPERS {
        assert!(bin.join(helper).is_file(), "{helper} missing");
    }
    let plugins = m.appdata().join("terraform.d/plugins");
    assert!(plugins.join("terraform-credentials-tokex.exe").is_file());
    assert!(
        stderr(&said).contains("SetEnvironmentVariable"),
        "{}",
        stderr(&said)
    );
    // Again, over its own copies: replaced, not refused.
    assert!(
        m.run("tokex.exe", &["install-helpers"], "")
            .status
            .success()
    );

    let local = m.local_appdata_windows();
    let git = m.run(
        &format!(r"{local}\tokex\bin\git-credential-tokex.exe"),
        &["get"],
        "protocol=https\nhost=git.example.test\n\n",
    );
    assert!(git.status.success(), "git helper: {}", stderr(&git));
    assert!(
        stdout(&git).contains("password=tok-1\n"),
        "{}",
        stdout(&git)
    );
    let docker = m.run(
        &format!(r"{local}\tokex\bin\docker-credential-tokex.exe"),
        &["get"],
        "registry.example.test",
    );
    assert!(
        docker.status.success(),
        "docker helper: {}",
        stdout(&docker)
    );
    assert!(
        stdout(&docker).contains(r#""Secret":"tok-1""#),
        "{}",
        stdout(&docker)
    );

    // exec: the command gets the token and its exit code is tokex's.
    let shown = m.run(
        "tokex.exe",
        &["exec", "win", "--", "cmd", "/c", "echo", "%TOKEX_TOKEN%"],
        "",
    );
    assert!(shown.status.success(), "exec: {}", stderr(&shown));
    assert_eq!(stdout(&shown).trim(), "tok-1");
    let code = m.run(
        "tokex.exe",
        &["exec", "win", "--", "cmd", "/c", "exit", "7"],
        "",
    );
    assert_eq!(code.status.code(), Some(7), "{}", stderr(&code));

    let out = m.run("tokex.exe", &["logout", "win"], "");
    assert!(out.status.success(), "logout: {}", stderr(&out));
    assert!(m.credentials().is_empty(), "{:?}", m.credentials());
    let gone = m.run("tokex.exe", &["token", "win"], "");
    assert!(!gone.status.success());
    assert!(
        stderr(&gone).contains("tokex login win"),
        "{}",
        stderr(&gone)
    );
}

/// The cross-process exchange lock on Windows (`LockFileEx` through std's `File::try_lock`):
/// cold callers started together cause one exchange and all print its token.
#[test]
fn concurrent_cold_callers_make_one_exchange() {
    let idp = Issuer::new();
    let m = oauth2_machine(&idp, &[]);
    let out = m.run(
        "tokex.exe",
        &["login", "win", "--stdin", "--no-verify"],
        "client-secret\n",
    );
    assert!(out.status.success(), "login: {}", stderr(&out));
    // Slow enough that every caller is waiting on the lock while the first one exchanges.
    idp.set_delay_ms(2000);
    let callers: Vec<_> = (0..4)
        .map(|_| m.spawn("tokex.exe", &["token", "win"]))
        .collect();
    for caller in callers {
        let out = crate::support::wait_bounded(caller, 120);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "tok-1\n");
    }
    assert_eq!(idp.received(), 1, "one exchange for four cold callers");
}

/// pnpm's token helper on Windows is the `.cmd` wrapper `tokex setup pnpm` writes (pnpm runs it
/// through the shell), and pip's and uv's `keyring` answers as on Linux; uv's config goes to
/// `%APPDATA%\uv\uv.toml`, pip's to `%APPDATA%\pip\pip.ini`.
#[test]
fn setup_writes_windows_paths_and_a_cmd_wrapper_that_prints_the_bearer_value() {
    let idp = Issuer::new();
    let m = oauth2_machine(&idp, &["--match", "https://npm.example.test/"]);
    let out = m.run("tokex.exe", &["login", "win", "--stdin"], "client-secret\n");
    assert!(out.status.success(), "login: {}", stderr(&out));
    let out = m.run("tokex.exe", &["setup", "pnpm", "win"], "");
    assert!(out.status.success(), "setup pnpm: {}", stderr(&out));
    let local = m.local_appdata_windows();
    let wrapper = format!(r"{local}\tokex\pnpm\win.cmd");
    assert!(stdout(&out).contains(&wrapper), "{}", stdout(&out));
    let npmrc = std::fs::read_to_string(
        m.appdata()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join(".npmrc"),
    )
    .unwrap();
    assert_eq!(
        npmrc,
        format!("//npm.example.test/:tokenHelper={wrapper}\n")
    );
    let run = m.run(r"C:\windows\system32\cmd.exe", &["/c", &wrapper], "");
    assert!(run.status.success(), "wrapper: {}", stderr(&run));
    assert_eq!(stdout(&run), "Bearer tok-1\n");
    for tool in ["uv", "pip"] {
        let out = m.run("tokex.exe", &["setup", tool, "win"], "");
        assert!(out.status.success(), "setup {tool}: {}", stderr(&out));
    }
    let uv = std::fs::read_to_string(m.appdata().join("uv/uv.toml")).unwrap();
    assert_eq!(uv, "keyring-provider = \"subprocess\"\n");
    let pip = std::fs::read_to_string(m.appdata().join("pip/pip.ini")).unwrap();
    assert_eq!(pip, "[global]\nkeyring-provider = subprocess\n");
    let keyring = m.run(
        "tokex.exe",
        &["keyring", "get", "https://npm.example.test/", "me"],
        "",
    );
    assert_eq!(stdout(&keyring), "tok-1\n", "{}", stderr(&keyring));
    assert_eq!(idp.issued(), ["tok-1"]);
}

/// A machine with the oauth2 profile `win` (client `ci`) at `idp`, plus `extra` flags.
fn oauth2_machine(idp: &Issuer, extra: &[&str]) -> Machine {
    let m = Machine::new();
    let token_url = format!("{}/token", idp.server.url());
    let mut args = vec!["profile", "add", "win", "--provider", "oauth2"];
    args.extend(["--token-url", &token_url, "--client-id", "ci"]);
    args.extend_from_slice(extra);
    m.ok("tokex.exe", &args);
    m
}

/// A machine with the profile `win` for VMware Cloud Services at `fake`.
fn csp_machine(fake: &Fake) -> Machine {
    let m = Machine::new();
    let url = fake.url();
    m.ok(
        "tokex.exe",
        &[
            "profile",
            "add",
            "win",
            "--provider",
            "vmware-csp",
            "--url",
            &url,
        ],
    );
    m
}

#[test]
fn long_secrets_are_chunked_read_back_exactly_and_swept() {
    let fake = Fake::new(vec![Response::json(
        200,
        r#"{"access_token":"csp-tok","expires_in":1800}"#,
    )]);
    let m = csp_machine(&fake);
    let secret_of = |len: usize| -> String {
        (0..len)
            .map(|i| (b'a' + (i * 7 % 26) as u8) as char)
            .collect()
    };
    let presented = |m: &Machine, secret: &str| {
        let out = m.run("tokex.exe", &["token", "win", "--refresh"], "");
        assert!(out.status.success(), "token: {}", stderr(&out));
        let last = fake.request(fake.count() - 1);
        assert_eq!(last.form_value("api_token").as_deref(), Some(secret));
    };

    // Logs in with `secret`; the credentials stored then, sorted.
    let login = |m: &Machine, secret: &str| {
        let out = m.run(
            "tokex.exe",
            &["login", "win", "--stdin"],
            &format!("{secret}\n"),
        );
        assert!(out.status.success(), "login: {}", stderr(&out));
        let mut stored = m.credentials();
        stored.sort();
        stored
    };

    // 16 KB: seven chunks of at most 2560 bytes, then the header.
    let big = secret_of(16 * 1024);
    let mut expected: Vec<String> = (1..=7).map(|n| format!("tokex:win#a{n}")).collect();
    expected.insert(0, "tokex:win".into());
    assert_eq!(login(&m, &big), expected);
    presented(&m, &big);

    // A shorter long secret goes to the other generation; the old one is swept.
    let medium = secret_of(3000);
    assert_eq!(
        login(&m, &medium),
        ["tokex:win", "tokex:win#b1", "tokex:win#b2"]
    );
    presented(&m, &medium);

    // One that fits is kept whole, and no chunk is left.
    let small = secret_of(2560);
    assert_eq!(login(&m, &small), ["tokex:win"]);
    presented(&m, &small);

    // A partial set (a chunk lost) reads as absent, with the way out, and shows no secret.
    login(&m, &big);
    m.delete_credential("tokex:win#a3");
    let out = m.run("tokex.exe", &["token", "win", "--refresh"], "");
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(
        said.contains("incomplete") && said.contains("tokex login win"),
        "{said}"
    );
    assert!(!said.contains(&big[..40]) && !stdout(&out).contains(&big[..40]));

    m.ok("tokex.exe", &["logout", "win"]);
    assert!(m.credentials().is_empty(), "{:?}", m.credentials());
}

#[test]
fn bad_input_on_windows_is_one_line_and_nothing_is_stored() {
    let fake = Fake::new(vec![Response::json(401, r#"{"message":"bad token"}"#)]);
    let m = csp_machine(&fake);
    let out = m.run("tokex.exe", &["login", "win", "--stdin"], "wrong-secret\n");
    assert!(!out.status.success());
    let said = stderr(&out);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("401"), "{said}");
    assert!(!said.contains("wrong-secret"));
    assert!(m.credentials().is_empty(), "{:?}", m.credentials());
    let out = m.run("tokex.exe", &["token", "nosuch"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// `tokex agent` on Windows: a named pipe; a client with no config of its own (TOKEX_CONFIG
/// names nothing) gets the token through it, and fails in one line once the agent is gone.
#[test]
fn the_agent_serves_a_named_pipe_to_a_client_with_no_config() {
    let idp = Issuer::new();
    let m = oauth2_machine(&idp, &["--match", "https://git.example.test/"]);
    let out = m.run("tokex.exe", &["login", "win", "--stdin"], "client-secret\n");
    assert!(out.status.success(), "login: {}", stderr(&out));
    let pipe = format!(r"\\.\pipe\tokex-test-{}", std::process::id());
    let log = format!(r"{}\agent.log", m.local_appdata_windows());
    let mut agent = m.spawn("tokex.exe", &["agent", "--socket", &pipe, "--log", &log]);
    let said = agent.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(said), &mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_default();
    // Quoted for sh (Git Bash, MSYS2, WSL's interop), where a backslash is special.
    let quoted = shlex::try_quote(&pipe).unwrap();
    assert_eq!(line, format!("TOKEX_AGENT={quoted}; export TOKEX_AGENT;\n"));
    let client = [
        ("TOKEX_AGENT", pipe.as_str()),
        ("TOKEX_CONFIG", r"C:\nowhere\config.toml"),
    ];
    let out = m.run_with("tokex.exe", &["token", "win"], "", &client);
    assert!(out.status.success(), "through the pipe: {}", stderr(&out));
    let token = stdout(&out);
    assert!(token.starts_with("tok-"), "{token}");
    let out = m.run_with(
        "tokex.exe",
        &["git", "get"],
        "protocol=https\nhost=git.example.test\n\n",
        &client,
    );
    assert!(
        stdout(&out).contains(&format!("password={}", token.trim())),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // tokex.exe runs the engine as a child process: end that one, as Task Manager would.
    let out = m.run(
        r"C:\windows\system32\taskkill.exe",
        &["/F", "/IM", "tokex-engine.exe"],
        "",
    );
    assert!(out.status.success(), "taskkill: {}", stderr(&out));
    let _ = agent.kill();
    let _ = agent.wait();
    let log = std::fs::read_to_string(m.local_appdata().join("agent.log")).unwrap();
    assert!(
        log.contains("caller=token op=token profile=win ok"),
        "{log}"
    );
    assert!(log.contains("caller=git op=token profile=win ok"), "{log}");
    let out = m.run_with("tokex.exe", &["token", "win"], "", &client);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "the tokex agent at {pipe} (TOKEX_AGENT) is not answering"
        )),
        "{}",
        stderr(&out)
    );
}

//! A throw-away Windows machine under Wine: its own prefix (registry, Credential Manager, user
//! profile), tokex.exe built once for `x86_64-pc-windows-gnu`, and the ProcessPrng shim.
#![allow(dead_code)]

use super::support::wait_bounded;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const TARGET: &str = "x86_64-pc-windows-gnu";
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

/// What to install when a piece is missing (what `.ci/run` does).
const INSTALL: &str =
    "apt-get install wine64 gcc-mingw-w64-x86-64 && rustup target add x86_64-pc-windows-gnu";

pub struct Machine {
    prefix: tempfile::TempDir,
}

impl Machine {
    /// A fresh prefix with tokex.exe and tokex-engine.exe in `C:\tokex` and the shim in
    /// `C:\windows\system32`.
    pub fn new() -> Machine {
        let (exe, shim) = (windows_exe(), shim_dll());
        let m = Machine {
            prefix: tempfile::Builder::new()
                .prefix("tokex-wine-")
                .tempdir()
                .unwrap(),
        };
        let boot = m.bounded(m.wine(&["wineboot", "--init"]), "");
        assert!(boot.status.success(), "wineboot: {}", text(&boot.stderr));
        let c = m.prefix.path().join("drive_c");
        std::fs::create_dir_all(c.join("tokex")).unwrap();
        std::fs::copy(exe, c.join("tokex/tokex.exe")).unwrap();
        std::fs::copy(
            exe.with_file_name("tokex-engine.exe"),
            c.join("tokex/tokex-engine.exe"),
        )
        .unwrap();
        std::fs::copy(shim, c.join("windows/system32/bcryptprimitives.dll")).unwrap();
        m
    }

    /// The Windows user's profile folder, as a Linux path.
    fn profile(&self) -> PathBuf {
        let users = self.prefix.path().join("drive_c/users");
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let own = users.join(&user);
        if own.is_dir() {
            return own;
        }
        std::fs::read_dir(&users)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.file_name().is_some_and(|n| n != "Public"))
            .expect("a user profile in the prefix")
    }

    /// `%APPDATA%`, as a Linux path.
    pub fn appdata(&self) -> PathBuf {
        self.profile().join("AppData/Roaming")
    }

    /// `%LOCALAPPDATA%`, as Windows programs write it (the prefix's user is whoever runs the
    /// tests).
    pub fn local_appdata_windows(&self) -> String {
        let user = self.profile();
        let user = user.file_name().unwrap().to_string_lossy();
        format!(r"C:\users\{user}\AppData\Local")
    }

    /// `%LOCALAPPDATA%`, as a Linux path.
    pub fn local_appdata(&self) -> PathBuf {
        self.profile().join("AppData/Local")
    }

    fn wine(&self, args: &[&str]) -> Command {
        let mut c = Command::new(wine64());
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("WINEPREFIX", self.prefix.path())
            .env("WINEDEBUG", "-all")
            // No desktop, no Mono or Gecko installers: a console machine.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=;winemenubuilder.exe=d")
            .env("HOME", self.prefix.path())
            .stdin(Stdio::null());
        c
    }

    fn bounded(&self, mut c: Command, stdin: &str) -> Output {
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap_or_else(|e| {
            panic!("cannot start wine64 ({e}); install it: {INSTALL}");
        });
        let mut pipe = child.stdin.take().unwrap();
        let input = stdin.as_bytes().to_vec();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let _ = pipe.write_all(&input);
        });
        let out = wait_bounded(child, 120);
        let _ = writer.join();
        out
    }

    /// Runs `program` (in `C:\tokex` unless it is a path) with `args` and `stdin`.
    pub fn run(&self, program: &str, args: &[&str], stdin: &str) -> Output {
        self.run_with(program, args, stdin, &[])
    }

    pub fn run_with(
        &self,
        program: &str,
        args: &[&str],
        stdin: &str,
        env: &[(&str, &str)],
    ) -> Output {
        let program = if program.contains(['/', '\\']) {
            program.to_string()
        } else {
            format!(r"C:\tokex\{program}")
        };
        let mut all = vec![program.as_str()];
        all.extend_from_slice(args);
        let mut c = self.wine(&all);
        for (k, v) in env {
            c.env(k, v);
        }
        self.bounded(c, stdin)
    }

    /// Starts `program` (in `C:\tokex`) without waiting; stdout and stderr are piped.
    pub fn spawn(&self, program: &str, args: &[&str]) -> std::process::Child {
        let program = format!(r"C:\tokex\{program}");
        let mut all = vec![program.as_str()];
        all.extend_from_slice(args);
        self.wine(&all)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wine64")
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, program: &str, args: &[&str]) -> String {
        let out = self.run(program, args, "");
        assert!(
            out.status.success(),
            "{program} {args:?} failed ({:?}): {}",
            out.status.code(),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Writes `text` to `C:\` + `path` (given with `/`).
    pub fn write_file(&self, path: &str, text: &str) {
        std::fs::write(self.prefix.path().join("drive_c").join(path), text).unwrap();
    }

    /// The generic credentials in this machine's Credential Manager, by target name (Wine keeps
    /// them under `HKCU\Software\Wine\Credential Manager`, one key per credential).
    pub fn credentials(&self) -> Vec<String> {
        let out = self.bounded(
            self.wine(&["reg", "query", r"HKCU\Software\Wine\Credential Manager"]),
            "",
        );
        text(&out.stdout)
            .lines()
            .filter_map(|l| {
                l.trim()
                    .split_once(r"\Generic: ")
                    .map(|(_, t)| t.to_string())
            })
            .collect()
    }

    /// Deletes one credential behind tokex's back, as a crash or a user might.
    pub fn delete_credential(&self, target: &str) {
        let key = format!(r"HKCU\Software\Wine\Credential Manager\Generic: {target}");
        let out = self.bounded(self.wine(&["reg", "delete", &key, "/f"]), "");
        assert!(out.status.success(), "reg delete: {}", text(&out.stderr));
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        // The prefix's wineserver lingers a few seconds after its last process: stop it now.
        let mut c = Command::new(wineserver());
        c.arg("-k").env("WINEPREFIX", self.prefix.path());
        if let Ok(child) = c.stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
            let _ = wait_bounded(child, 30);
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| {
            let name = Path::new(candidates[0]).file_name()?;
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
}

/// Debian installs wine64 outside PATH.
fn wine64() -> PathBuf {
    find(&["/usr/lib/wine/wine64", "/usr/bin/wine64"])
        .unwrap_or_else(|| panic!("wine64 is not installed; {INSTALL}"))
}

fn wineserver() -> PathBuf {
    find(&["/usr/lib/wine/wineserver", "/usr/bin/wineserver"]).unwrap_or("wineserver".into())
}

/// tokex.exe (and tokex-engine.exe beside it), built once per test run with the cargo that
/// runs the tests.
fn windows_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        cargo_for_windows(&["build", "--bins"]);
        target_dir().join(TARGET).join("debug/tokex.exe")
    })
}

/// The library's unit tests built for Windows: the test executable's path.
pub fn windows_unit_tests() -> PathBuf {
    let out = cargo_for_windows(&["test", "--no-run", "--lib", "--message-format=json"]);
    let found = out.lines().find_map(|line| {
        let message: serde_json::Value = serde_json::from_str(line).ok()?;
        message["profile"]["test"].as_bool().filter(|t| *t)?;
        message["executable"].as_str().map(PathBuf::from)
    });
    found.expect("cargo named no unit-test executable")
}

fn target_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Runs cargo `args` for the Windows target with the cargo that runs the tests; its stdout.
fn cargo_for_windows(args: &[&str]) -> String {
    let cargo = std::env::var_os("CARGO").unwrap_or("cargo".into());
    let mut c = Command::new(cargo);
    c.args(args)
        .args(["--locked", "--target", TARGET])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target_dir())
        .stdin(Stdio::null());
    // Read as it comes (`output`): cargo's JSON fills a pipe long before cargo is done.
    let out = c.output().expect("cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} for {TARGET} failed (needs: {INSTALL}): {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The ProcessPrng shim, built once per test run from tests/wine/.
fn shim_dll() -> &'static Path {
    static DLL: OnceLock<PathBuf> = OnceLock::new();
    DLL.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wine");
        let out_dir = tempfile::Builder::new()
            .prefix("tokex-wine-shim-")
            .tempdir()
            .unwrap()
            .keep();
        let dll = out_dir.join("bcryptprimitives.dll");
        let mut c = Command::new(MINGW_GCC);
        c.args(["-shared", "-O2", "-o"])
            .arg(&dll)
            .arg(src.join("bcryptprimitives.c"))
            .arg(src.join("bcryptprimitives.def"))
            .arg("-ladvapi32")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let child = c
            .spawn()
            .unwrap_or_else(|e| panic!("{MINGW_GCC}: {e}; install it: {INSTALL}"));
        let out = wait_bounded(child, 120);
        assert!(out.status.success(), "{MINGW_GCC}: {}", text(&out.stderr));
        dll
    })
}

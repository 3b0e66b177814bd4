//! Real package tools from their registries, installed once per target directory: pip, uv and
//! google-auth from PyPI (a virtualenv of the system's python3, which throw-away users can run),
//! pnpm (its native build) from the npm registry (`npm ci` in `tests/support/pnpm`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static INSTALLING: Mutex<()> = Mutex::new(());

/// The virtualenv's `bin` directory, with `python`, `pip` and `uv`.
pub fn python_tools() -> PathBuf {
    let _one = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-tools");
    let bin = venv.join("bin");
    if bin.join("uv").exists() && venv.join("installed").exists() {
        return bin;
    }
    let _ = std::fs::remove_dir_all(&venv);
    // The system's python3: a throw-away user cannot reach root's pyenv.
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|p| !p.starts_with('/') || Path::new(p).exists())
        .unwrap();
    let run = |c: &mut Command, what: &str| {
        let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        Command::new(python).args(["-m", "venv"]).arg(&venv),
        "python3 -m venv (Debian: python3-venv)",
    );
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/python-tools.txt");
    run(
        Command::new(bin.join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
        "pip install -r tests/support/python-tools.txt",
    );
    std::fs::write(venv.join("installed"), "").unwrap();
    bin
}

/// The pnpm program: the native build for this machine's architecture.
pub fn pnpm() -> PathBuf {
    let _one = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pnpm");
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "x64",
    };
    let program = dir.join(format!("node_modules/@pnpm/exe.linux-{arch}/pnpm"));
    if !program.exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .output()
            .expect("npm (node 20 and npm) is needed to install pnpm");
        assert!(
            out.status.success(),
            "npm ci in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    program
}

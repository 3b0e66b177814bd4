//! Every platform tokex ships for stays buildable from here: clippy with `-D warnings` for the
//! Windows and both Apple targets, all targets (tests included), so a Unix-only call or a
//! platform's unused import can never land. Needs `rustup target add x86_64-pc-windows-gnu
//! aarch64-apple-darwin x86_64-apple-darwin` (`.ci/run` does it); the check builds nothing for
//! those targets' C code, so no Apple toolchain is needed.

#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};

/// Whether the standard library for `target` is installed beside this toolchain's.
fn installed(target: &str) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or("rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc");
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    std::path::Path::new(&sysroot)
        .join("lib/rustlib")
        .join(target)
        .join("lib")
        .is_dir()
}

fn clippy(target: &str) {
    assert!(
        installed(target),
        "the Rust standard library for {target} is not installed: run `rustup target add x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin` (README, \"Run the tests\")"
    );
    let cargo = std::env::var_os("CARGO").unwrap_or("cargo".into());
    let out = Command::new(cargo)
        .args(["clippy", "--locked", "--all-targets", "--target", target])
        .args(["--", "-D", "warnings"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("cargo");
    assert!(
        out.status.success(),
        "cargo clippy --target {target} failed (is the target installed? rustup target add {target}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn clippy_is_clean_for_windows() {
    clippy("x86_64-pc-windows-gnu");
}

#[test]
fn clippy_is_clean_for_apple_silicon() {
    clippy("aarch64-apple-darwin");
}

#[test]
fn clippy_is_clean_for_intel_macs() {
    clippy("x86_64-apple-darwin");
}

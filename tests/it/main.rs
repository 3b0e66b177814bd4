//! Every integration test, in one program (as gitoxide and ripgrep do): `tests/support/` and
//! the library are compiled and linked once, not once per file. Each module is one area, run
//! against the real binaries, tools and stores; `cargo test --test it MODULE::` runs one.

// The shared fixtures and the Wine machine are Linux-side code: on other targets only the
// platform-neutral modules build (clippy checks them for Windows and Apple).
#[cfg(target_os = "linux")]
#[path = "../support/mod.rs"]
mod support;
#[cfg(target_os = "linux")]
#[path = "../wine/mod.rs"]
mod wine;

mod agent;
mod agent_ssh;
mod architecture;
mod bad_input;
mod bazel;
mod cache;
mod cargo;
mod cli;
mod completion;
mod config_corpus;
mod docker;
mod doctor;
mod exec;
mod faults;
mod git;
mod helpers;
mod hotpath;
mod keyless;
mod keyutils;
mod kubectl;
mod kubectl_oidc;
mod man;
mod more_callers;
mod oidc_provider;
mod package_tools;
mod pass;
mod platforms;
mod prompt;
mod providers;
mod proxy;
mod readme;
mod real_machines;
mod refresh_ahead;
mod revocation;
mod setup;
mod signin;
mod stores;
mod terraform;
mod trust;
mod windows;

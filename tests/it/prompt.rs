//! The hidden secret prompt as a user at a terminal meets it, on a real pseudo-terminal: echo is
//! off while typing and back on however `tokex login` ends, Ctrl-C and Ctrl-D included.

// A Unix pseudo-terminal driven by Python's pty support.
#![cfg(target_os = "linux")]

use crate::support::*;

/// What the terminal and tokex did; asserts nothing reached the (private) kernel keyring.
fn end_prompt_with(key: &str) -> String {
    let env = Env::keyutils();
    env.write_config(&profile(
        "p",
        "provider = \"vmware-csp\"\nurl = \"http://127.0.0.1:9\"",
    ));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/hidden_prompt.py"
    );
    let c = env.tool_as_user("python3", &[script, env!("CARGO_BIN_EXE_tokex"), key]);
    let out = env.run_tool(c, "");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(env.kernel_keys(), Vec::<String>::new(), "nothing is stored");
    stdout(&out)
}

#[test]
fn ctrl_c_at_the_hidden_prompt_leaves_echo_on() {
    assert_eq!(
        end_prompt_with("ctrl-c"),
        "echo during prompt: False; echo after: True; signal SIGINT\n"
    );
}

#[test]
fn ctrl_d_at_the_hidden_prompt_leaves_echo_on_and_stores_nothing() {
    assert_eq!(
        end_prompt_with("ctrl-d"),
        "echo during prompt: False; echo after: True; exit 1\n"
    );
}

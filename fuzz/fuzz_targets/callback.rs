//! A request head at the sign-in's loopback listener, as any local process may send it: only
//! one carrying this sign-in's `state` may end the sign-in, and what it says is printable.
#![no_main]
use tokex::signin::redirect::{Callback, judge};

const STATE: &str = "c3RhdGUtb2YtdGhpcy1zaWdu";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(Callback::Ours(outcome)) = judge(data, STATE) else { return };
    let text = String::from_utf8_lossy(data);
    assert!(text.contains(STATE), "a callback without this sign-in's state ended it");
    if let Err(e) = outcome {
        assert!(!e.to_string().chars().any(tokex::printable::is_unsafe), "{e}");
    }
});

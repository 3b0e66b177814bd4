//! docker's stdin for each action (the first byte picks it).
#![no_main]
#[path = "fixture.rs"]
mod fixture;
use tokex::callers::docker::{Action, serve};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    if fixture::names_profile(rest) {
        return;
    }
    let action = ["get", "store", "erase", "list", "version"][first as usize % 5];
    let _ = serve(Action::parse(action), fixture::broker(), &mut &rest[..], &mut Vec::new(), &mut Vec::new());
});

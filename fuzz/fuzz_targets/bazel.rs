//! The credential-helper spec's `{"uri": …}` request, as `tokex bazel get` reads it.
#![no_main]
#[path = "fixture.rs"]
mod fixture;
use tokex::callers::bazel;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if fixture::names_profile(data) {
        return;
    }
    let _ = bazel::serve(bazel::Command::Get, fixture::broker(), &mut &data[..], &mut Vec::new());
});

//! cargo's credential-provider lines, as `cargo-credential-tokex` reads them.
#![no_main]
#[path = "fixture.rs"]
mod fixture;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if fixture::names_profile(data) {
        return;
    }
    let _ = tokex::callers::cargo::serve(fixture::broker(), &mut &data[..], &mut Vec::new());
});

//! git's key=value request, as `git-credential-tokex` reads it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tokex::callers::git::Request::parse(data);
});

//! git's key=value request, as `git-credential-tokex` reads it; what parses must write back to
//! the same pairs (the codec is an exact inverse).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tokex::callers::git::Request::parse(data);
    if let Ok(pairs) = tokex::callers::git::parse(data) {
        let borrowed: Vec<(&str, &str)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Ok(wire) = tokex::callers::git::write(&borrowed) {
            assert_eq!(tokex::callers::git::parse(wire.as_bytes()).unwrap(), pairs);
        }
    }
});

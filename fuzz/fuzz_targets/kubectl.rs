//! `KUBERNETES_EXEC_INFO`, as `tokex kubectl` reads it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tokex::callers::kubectl::api_version(Some(text));
    }
});

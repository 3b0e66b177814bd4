//! A cache file's bytes, as the next `tokex token` reads them: a miss or a token, never a panic.
#![no_main]
use std::sync::OnceLock;

fn dir() -> &'static std::path::Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    std::fs::write(dir().join("p.json"), data).unwrap();
    let cache = tokex::cache::Cache::at(dir());
    if let Some(t) = cache.read("p", "k") {
        let now = time::OffsetDateTime::now_utc();
        let _ = (t.reported_expiry(), t.reported_expires_in(now), t.remaining(now));
    }
});

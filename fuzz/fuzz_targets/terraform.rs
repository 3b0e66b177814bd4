//! terraform's helper arguments and stdin, and the `external` data source's query, against a
//! config with no profiles (so nothing is ever exchanged).
#![no_main]
use std::sync::OnceLock;
use tokex::cache::Cache;
use tokex::config::Config;

fn fixture() -> &'static (Config, Cache, tempfile::TempDir) {
    static F: OnceLock<(Config, Cache, tempfile::TempDir)> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse(std::path::Path::new("fuzz.toml"), "").unwrap();
        (config, Cache::at(dir.path()), dir)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (config, cache, _) = fixture();
    let Some((&first, rest)) = data.split_first() else { return };
    match first % 3 {
        0 => {
            let _ = tokex::callers::terraform::external(config, cache, &mut &rest[..], &mut Vec::new());
        }
        n => {
            let host = String::from_utf8_lossy(rest);
            let verb = if n == 1 { "get" } else { "forget" };
            let _ = tokex::callers::terraform::run(verb, Some(&host), None, config, cache, &mut &b""[..], &mut Vec::new());
        }
    }
});

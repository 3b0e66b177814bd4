//! docker's stdin for each action (the first byte picks it), against a config with one profile
//! whose endpoint is never reached (no input names its registry).
#![no_main]
use std::sync::OnceLock;
use tokex::cache::Cache;
use tokex::config::Config;

fn fixture() -> &'static (Config, Cache, tempfile::TempDir) {
    static F: OnceLock<(Config, Cache, tempfile::TempDir)> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse(
            std::path::Path::new("fuzz.toml"),
            "[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"registry.invalid:1\"]\n",
        )
        .unwrap();
        (config, Cache::at(dir.path()), dir)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let action = ["get", "store", "erase", "list", "version"][first as usize % 5];
    // A request that names the profile's registry would start a real exchange: skip those.
    if String::from_utf8_lossy(rest).contains("registry.invalid:1") {
        return;
    }
    let (config, cache, _) = fixture();
    let _ = tokex::callers::docker::run(action, config, cache, &mut &rest[..], &mut Vec::new());
});

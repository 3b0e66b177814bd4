//! A broker over a config whose one profile matches `registry.invalid:1` (an input naming it is
//! skipped) and a private cache: callers run their whole path, and no exchange ever happens.
use std::sync::OnceLock;
use tokex::broker::Broker;
use tokex::cache::Cache;
use tokex::config::Config;

pub fn broker() -> &'static Broker {
    static FIXTURE: OnceLock<(Broker, tempfile::TempDir)> = OnceLock::new();
    &FIXTURE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let config = Config::parse(
                std::path::Path::new("fuzz.toml"),
                "[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"registry.invalid:1\"]\nsecret_env = \"TOKEX_FUZZ_UNSET\"\n",
            )
            .unwrap();
            // Notices (warnings meant for a user) are dropped: nobody reads a fuzzer's stderr.
            let broker = Broker::with(
                config,
                Cache::at(dir.path()),
                Box::new(tokex::stores::for_profile),
                Box::new(|_| {}),
            );
            (broker, dir)
        })
        .0
}

/// Inputs that name the matched profile would reach its (unset) secret; skipped.
pub fn names_profile(data: &[u8]) -> bool {
    String::from_utf8_lossy(data).contains("invalid")
}

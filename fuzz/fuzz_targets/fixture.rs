//! A broker over a config whose one profile matches `registry.invalid:1` (an input naming it is
//! skipped) and a private cache: callers run their whole path, and no exchange ever happens.
use tokex::broker::Broker;
use tokex::cache::Cache;
use tokex::config::Config;

thread_local! {
    static BROKER: &'static Broker = {
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        let config = Config::parse(
            std::path::Path::new("fuzz.toml"),
            "[profiles.p]\nprovider = \"vmware-csp\"\nmatch = [\"registry.invalid:1\"]\nsecret_env = \"TOKEX_FUZZ_UNSET\"\n",
        )
        .unwrap();
        Box::leak(Box::new(Broker::new(config, Cache::at(dir.path()))))
    };
}

pub fn broker() -> &'static Broker {
    BROKER.with(|b| *b)
}

/// Inputs that name the matched profile would reach its (unset) secret; skipped.
pub fn names_profile(data: &[u8]) -> bool {
    String::from_utf8_lossy(data).contains("invalid")
}

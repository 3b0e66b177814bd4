//! The profiles file, and every `match` entry and caller URL through the matcher.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = tokex::config::Config::parse(std::path::Path::new("fuzz.toml"), text) {
        for line in text.lines() {
            if let Ok(target) = tokex::matching::Target::parse(line) {
                let _ = config.select(&target);
            }
        }
    }
    let _ = tokex::matching::Target::parse(text);
});

//! Debug notes on stderr when `TOKEX_LOG=debug`. Callers pass only redacted text: secrets are a
//! type without `Display`, so they cannot be formatted here by accident.

use std::sync::OnceLock;

pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var("TOKEX_LOG")
            .map(|v| v.eq_ignore_ascii_case("debug"))
            .unwrap_or(false)
    })
}

pub fn debug(message: impl FnOnce() -> String) {
    if enabled() {
        eprintln!("tokex: debug: {}", message());
    }
}

//! Crash points for the kill-safety tests: `TOKEX_CRASH_AT=NAME` makes a debug build abort at
//! the point of that name, as a `kill -9` would stop it there. Release builds compile them out.

#[inline]
pub fn hit(_name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os("TOKEX_CRASH_AT").is_some_and(|v| v == _name) {
        std::process::abort();
    }
}

//! terraform's helper arguments and stdin, and the `external` data source's query.
#![no_main]
#[path = "fixture.rs"]
mod fixture;
use tokex::callers::{external, terraform};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    if fixture::names_profile(rest) {
        return;
    }
    let broker = fixture::broker();
    if first % 2 == 0 {
        let _ = external::serve(broker, &mut &rest[..], &mut Vec::new());
        return;
    }
    let text = String::from_utf8_lossy(rest);
    let (head, input) = text.split_once('\n').unwrap_or((&text, ""));
    let (verb, host) = head.split_once(' ').unwrap_or((head, ""));
    if let Ok(verb) = terraform::Verb::parse(verb) {
        let _ = terraform::serve(verb, host, None, broker, &mut input.as_bytes(), &mut Vec::new(), &mut Vec::new());
    }
});

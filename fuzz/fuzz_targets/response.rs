//! A token endpoint's answer: the one parser every provider's response goes through.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let secret = tokex::sensitive::Secret::from("fuzz-secret");
    let _ = tokex::providers::response::parse(data, time::OffsetDateTime::UNIX_EPOCH, &[&secret]);
});

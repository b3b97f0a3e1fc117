//! Fuzz target `split_parse`: see `leaselint::fuzzing::split_and_parse` for the properties it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    leaselint::fuzzing::split_and_parse(data);
});

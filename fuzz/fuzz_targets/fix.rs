//! Fuzz target `fix`: see `leaselint::fuzzing::fix` for the properties it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    leaselint::fuzzing::fix(data);
});

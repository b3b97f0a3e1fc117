//! Fuzz target `lint`: see `leaselint::fuzzing::lint` for the properties it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    leaselint::fuzzing::lint(data);
});

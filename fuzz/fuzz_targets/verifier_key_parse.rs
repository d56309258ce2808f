#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ledgerless_fuzz::verifier_key_parse(data));

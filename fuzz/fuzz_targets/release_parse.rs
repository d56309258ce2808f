#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ledgerless_fuzz::release_parse(data));

#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ledgerless_fuzz::proof_file_parse(data));

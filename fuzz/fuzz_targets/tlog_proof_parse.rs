#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ledgerless_fuzz::tlog_proof_parse(data));

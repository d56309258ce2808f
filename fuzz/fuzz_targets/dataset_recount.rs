#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ledgerless_fuzz::dataset_recount(data));

#![no_main]
libfuzzer_sys::fuzz_target!(|input: ledgerless_fuzz::MerkleInput| ledgerless_fuzz::merkle_proofs(input));

//! Proofs from outside, with any sizes and indexes a peer could send:
//! verification never panics (no overflow on sizes near 2^64).
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::Hash;
use verifier::merkle::{verify_consistency, verify_inclusion};

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let a = u64::from_le_bytes(data[0..8].try_into().expect("8 bytes"));
    let b = u64::from_le_bytes(data[8..16].try_into().expect("8 bytes"));
    let hashes: Vec<Hash> = data[16..]
        .chunks_exact(32)
        .map(|c| Hash::from_slice(c).expect("32 bytes"))
        .collect();
    let (first, rest) = hashes.split_first().map_or((Hash::default(), &[][..]), |(f, r)| (*f, r));
    let _ = verify_inclusion(a, b, &first, rest, &first);
    let _ = verify_consistency(a, b, rest, &first, &first);
});

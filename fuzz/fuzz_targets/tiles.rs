//! Tile paths from URLs and entry bundles from peers: parsing never panics,
//! and what parses is canonical.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::tiles::{TilePath, decode_entry_bundle, encode_entry_bundle};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(path) = TilePath::parse(text)
    {
        assert_eq!(path.to_path(), text);
    }
    if let Ok(entries) = decode_entry_bundle(data) {
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        assert_eq!(encode_entry_bundle(&refs).expect("re-encodes"), data);
    }
});

//! The CBOR codec of every tenderlog format: serde over `cbor4ii`.
//!
//! Events are encoded exactly as serde's data model maps onto CBOR with
//! definite lengths and shortest-form heads: structs as maps keyed by field
//! name in declaration order, externally tagged enums, `None` as null. The
//! bytes are the format; golden files pin them, and the test suite checks
//! them against a second implementation (`ciborium`), which encoded every
//! leaf written before this module existed. `cbor4ii` is used because it
//! decodes and encodes several times faster, and the canonical check of
//! every leaf (decode, re-encode, compare) is the audit's largest cost.

use serde::{Deserialize, Serialize};

/// The CBOR encoding of `value`.
///
/// Fails only on a value serde's CBOR mapping cannot express; tenderlog's
/// formats have none, so callers that encode their own plain structs may
/// treat an error as impossible.
pub fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    cbor4ii::serde::to_vec(Vec::with_capacity(512), value).map_err(|e| e.to_string())
}

/// Decodes one value from `bytes` (borrowing from them where the type
/// does). Lenient about encoding details (callers that need the canonical
/// form re-encode and compare); bytes after the value are not looked at.
pub fn from_slice<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    cbor4ii::serde::from_slice(bytes).map_err(|e| e.to_string())
}

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

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The CBOR encoding of `value`.
///
/// Fails only on a value serde's CBOR mapping cannot express; tenderlog's
/// formats have none, so callers that encode their own plain structs may
/// treat an error as impossible.
pub fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    to_vec_with(Vec::with_capacity(512), value)
}

/// Like [`to_vec`], reusing `buf`'s allocation (its contents are cleared).
pub fn to_vec_with<T: Serialize>(mut buf: Vec<u8>, value: &T) -> Result<Vec<u8>, String> {
    buf.clear();
    cbor4ii::serde::to_vec(buf, value).map_err(|e| e.to_string())
}

/// Decodes one value from `bytes`. Lenient about encoding details (callers
/// that need the canonical form re-encode and compare); bytes after the
/// value are not looked at.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    cbor4ii::serde::from_slice(bytes).map_err(|e| e.to_string())
}

/// Like [`from_slice`], for types that borrow from `bytes`.
pub fn from_slice_borrowed<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    cbor4ii::serde::from_slice(bytes).map_err(|e| e.to_string())
}

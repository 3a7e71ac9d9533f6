//! A log's identity as every backend keeps it in its `meta` rows: the
//! origin, the key that signs now, the ML-DSA-44 key beside it, and the key
//! history that leads to it. The same rows, whatever the backend, give the
//! same keys (and `tenderlog migrate` copies them as they are).

use std::collections::BTreeMap;

use verifier::log_keys::{KeyHistory, LogKeys};
use verifier::note::NoteVerifier;

use crate::error::{LedgerError, Result};

/// The meta rows, by key.
pub type Meta = BTreeMap<String, String>;

/// The origin and the log's keys, from its meta rows (the schema version
/// is the backend's to check first).
pub fn log_keys(meta: &Meta) -> Result<(String, LogKeys)> {
    let get = |k: &str| meta.get(k).cloned();
    let origin = get("origin").ok_or_else(|| LedgerError::Corrupt("no origin".into()))?;
    let vkey = get("vkey").ok_or_else(|| LedgerError::Corrupt("no vkey".into()))?;
    let verifier = NoteVerifier::parse(&vkey)?;
    let history = match get("key_history") {
        None => None,
        Some(text) => Some(
            KeyHistory::parse(text.as_bytes())
                .map_err(|e| LedgerError::Corrupt(format!("key history: {e}")))?,
        ),
    };
    // The store trusts its own history, from the key that signs now.
    let keys = LogKeys::follow(&origin, &[verifier], history.as_ref())
        .map_err(|e| LedgerError::Corrupt(format!("key history: {e}")))?;
    let post_quantum = match get("mldsa44_vkey") {
        None => vec![],
        Some(v) => vec![
            verifier::cosignature::CosignerKey::parse(&v)
                .map_err(|e| LedgerError::Corrupt(format!("ML-DSA-44 key: {e}")))?,
        ],
    };
    Ok((origin, keys.with_post_quantum(post_quantum)))
}

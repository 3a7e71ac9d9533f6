//! The verifier in the browser.
//!
//! `tenderlog serve`'s pages (`/verify`, `/receipt`, `/entries/{index}`)
//! load this crate, compiled to WebAssembly, only once the reader drops a
//! file: the file is hashed here (SHA-256 and SM3, in chunks, never
//! uploaded), and the evidence the server sends back — a bundle or a receipt
//! — is verified here against the log keys the page shows, which the reader
//! may replace with keys obtained elsewhere. Nothing is taken on the
//! server's word: the same [`verifier`] checks `tenderlog-verify` runs, and
//! the same wording ([`render`]).
//!
//! Every export returns JSON text (`{"error": …}` when the input cannot be
//! read), so a malformed input never throws across the boundary.
#![forbid(unsafe_code)]

pub mod render;

use serde_json::json;
use verifier::Hash;
use verifier::log_keys::{KeyHistory, LogAnchor, LogKeys};
use verifier::report::{GivenDocument, Options, Report};
use wasm_bindgen::prelude::wasm_bindgen;

/// SHA-256 and SM3 of a file, fed in chunks (a 100 MB file is never held
/// in memory at once).
#[wasm_bindgen]
#[derive(Default)]
pub struct Digests {
    sha256: sha2::Sha256,
    sm3: sm3::Sm3,
    bytes: u64,
}

#[wasm_bindgen]
impl Digests {
    /// Empty digests.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Digests {
        Digests::default()
    }

    /// Adds the next chunk of the file.
    pub fn update(&mut self, chunk: &[u8]) {
        use sha2::Digest as _;
        self.sha256.update(chunk);
        sm3::Digest::update(&mut self.sm3, chunk);
        self.bytes += chunk.len() as u64;
    }

    /// `{"sha256": hex, "sm3": hex, "size": bytes}`.
    pub fn finish(self) -> String {
        use sha2::Digest as _;
        let sha = Hash(self.sha256.finalize().into());
        let sm3 = Hash(sm3::Digest::finalize(self.sm3).into());
        json!({ "sha256": sha, "sm3": sm3, "size": self.bytes }).to_string()
    }
}

/// The log's keys as the reader anchors them (vkey lines) and the log's key
/// history (`/key-history.json`, empty when it never rotated).
fn log_keys(keys: &str, history: &str) -> Result<(Vec<LogAnchor>, Option<KeyHistory>), String> {
    let anchors = LogAnchor::parse_lines(keys).map_err(|e| format!("log key: {e}"))?;
    if anchors.is_empty() {
        return Err("give the log's verifier key (the vkey line the page shows)".into());
    }
    let history = match history.trim() {
        "" => None,
        h => Some(KeyHistory::parse(h.as_bytes()).map_err(|e| format!("key history: {e}"))?),
    };
    Ok((anchors, history))
}

/// The answer for a report: the verdict, the report as the page shows it,
/// and the report itself.
fn answer(report: &Report, file: Option<&GivenDocument>) -> String {
    json!({
        "verified": report.verified && report.anchored,
        "html": render::report(report, file).into_string(),
        "report": report,
    })
    .to_string()
}

fn error(message: impl std::fmt::Display) -> String {
    json!({ "error": message.to_string() }).to_string()
}

/// Verifies an evidence bundle (zip bytes) against `keys` (vkey lines;
/// the bundle carries the key history it was made with); when `sha256` is given (hex, with `sm3` if known), that
/// the file with those digests, named `name`, is what the log recorded.
#[wasm_bindgen]
pub fn verify_bundle(bundle: &[u8], keys: &str, name: &str, sha256: &str, sm3: &str) -> String {
    let (anchors, _) = match log_keys(keys, "") {
        Ok(k) => k,
        Err(e) => return error(e),
    };
    let bundle = match verifier::bundle::Bundle::from_zip(bundle) {
        Ok(b) => b,
        Err(e) => return error(format!("not an evidence bundle: {e}")),
    };
    let file = match given(name, sha256, sm3) {
        Ok(f) => f,
        Err(e) => return error(e),
    };
    let documents: Vec<GivenDocument> = file.iter().cloned().collect();
    let report = verifier::report::verify_bundle_with(
        &bundle,
        &Options { keys: Some(&anchors), documents: &documents, ..Options::default() },
    );
    answer(&report, file.as_ref())
}

fn given(name: &str, sha256: &str, sm3: &str) -> Result<Option<GivenDocument>, String> {
    if sha256.is_empty() {
        return Ok(None);
    }
    let sha256 = Hash::from_hex(sha256).map_err(|_| "the SHA-256 must be 64 hex digits")?;
    let sm3 = match sm3 {
        "" => None,
        s => Some(Hash::from_hex(s).map_err(|_| "the SM3 must be 64 hex digits")?),
    };
    Ok(Some(GivenDocument { name: name.to_owned(), sha256, sm3, ofd: None }))
}

/// Verifies a receipt (the JSON `POST /v1/events` answered) against `keys`
/// and `history`.
#[wasm_bindgen]
pub fn verify_receipt(receipt: &[u8], keys: &str, history: &str) -> String {
    let (anchors, history) = match log_keys(keys, history) {
        Ok(k) => k,
        Err(e) => return error(e),
    };
    let Some(origin) = LogAnchor::origin(&anchors) else {
        return error("the log keys name no origin");
    };
    let keys = match LogKeys::from_anchors(origin, &anchors, history.as_ref()) {
        Ok(k) => k,
        Err(e) => return error(format!("log key: {e}")),
    };
    match verifier::report::verify_receipt(receipt, &keys, None) {
        Ok(report) => answer(&report, None),
        Err(e) => error(e),
    }
}

/// Whether `bytes` are an evidence bundle (a zip with a bundle manifest),
/// not a document that happens to be a zip (an OFD, say).
#[wasm_bindgen]
pub fn is_bundle(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK") && verifier::bundle::Bundle::from_zip(bytes).is_ok()
}

/// Whether `bytes` are a receipt: JSON with a leaf hash and a checkpoint,
/// or a refusal carrying one.
#[wasm_bindgen]
pub fn is_receipt(bytes: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else { return false };
    let v = v.get("rejection").unwrap_or(&v);
    v.get("leaf_hash").is_some() && v.get("checkpoint").is_some()
}

/// SHA-256 of `bytes`, hex.
#[wasm_bindgen]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// SM3 of `bytes`, hex.
#[wasm_bindgen]
pub fn sm3_hex(bytes: &[u8]) -> String {
    hex::encode(<sm3::Sm3 as sm3::Digest>::digest(bytes))
}

/// The RFC 6962 leaf hash of `leaf`, hex.
#[wasm_bindgen]
pub fn leaf_hash_hex(leaf: &[u8]) -> String {
    verifier::leaf_hash(leaf).to_hex()
}

/// A JSON array of hex hashes (a proof, leaf to root).
fn hashes(json: &str) -> Result<Vec<Hash>, String> {
    let list: Vec<String> = serde_json::from_str(json)
        .map_err(|e| format!("the proof is not a JSON array of strings: {e}"))?;
    list.iter()
        .map(|h| Hash::from_hex(h).map_err(|_| format!("{h:?} is not 64 hex digits")))
        .collect()
}

fn outcome(r: Result<String, String>) -> String {
    match r {
        Ok(detail) => json!({ "ok": true, "detail": detail }).to_string(),
        Err(e) => json!({ "ok": false, "error": e }).to_string(),
    }
}

/// Checks an RFC 6962 inclusion proof (`proof`: a JSON array of hex
/// hashes). `{"ok": true}` or `{"ok": false, "error": …}`.
#[wasm_bindgen]
pub fn check_inclusion(index: u64, size: u64, leaf_hash: &str, proof: &str, root: &str) -> String {
    outcome((|| {
        let leaf = Hash::from_hex(leaf_hash).map_err(|_| "leaf hash is not 64 hex digits")?;
        let root = Hash::from_hex(root).map_err(|_| "root is not 64 hex digits")?;
        verifier::merkle::verify_inclusion(index, size, &leaf, &hashes(proof)?, &root)
            .map_err(|e| e.to_string())?;
        Ok(String::new())
    })())
}

/// Checks an RFC 6962 consistency proof.
#[wasm_bindgen]
pub fn check_consistency(size1: u64, size2: u64, root1: &str, root2: &str, proof: &str) -> String {
    outcome((|| {
        let r1 = Hash::from_hex(root1).map_err(|_| "root1 is not 64 hex digits")?;
        let r2 = Hash::from_hex(root2).map_err(|_| "root2 is not 64 hex digits")?;
        verifier::merkle::verify_consistency(size1, size2, &hashes(proof)?, &r1, &r2)
            .map_err(|e| e.to_string())?;
        Ok(String::new())
    })())
}

/// Checks a C2SP signed note against one Ed25519 verifier key; the detail
/// is the note's text.
#[wasm_bindgen]
pub fn check_note(note: &[u8], vkey: &str) -> String {
    outcome((|| {
        let key = verifier::note::NoteVerifier::parse(vkey.trim()).map_err(|e| e.to_string())?;
        let note = verifier::note::Note::parse(note).map_err(|e| e.to_string())?;
        note.verify(&key).map(str::to_owned).map_err(|e| e.to_string())
    })())
}

/// Checks a signed checkpoint against the log's keys (vkey lines: the
/// Ed25519 key, and the ML-DSA-44 one to require besides); the detail is
/// `origin size root`.
#[wasm_bindgen]
pub fn check_checkpoint(note: &[u8], keys: &str) -> String {
    outcome((|| {
        let (anchors, _) = log_keys(keys, "")?;
        let origin = LogAnchor::origin(&anchors).ok_or("the log keys name no origin")?;
        let keys = LogKeys::from_anchors(origin, &anchors, None).map_err(|e| e.to_string())?;
        let c = keys.checkpoint(note).map_err(|e| e.to_string())?;
        Ok(format!("{} {} {}", c.checkpoint.origin, c.checkpoint.size, c.checkpoint.root))
    })())
}

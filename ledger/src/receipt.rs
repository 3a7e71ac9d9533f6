//! Receipts: an entry, its leaf and its inclusion proof against a signed
//! checkpoint, as `POST /v1/events` answers and `GET /v1/receipts/{index}`
//! and the evidence certificate give them.

use base64::Engine as _;
use verifier::report::Receipt;
use verifier::tlog_proof::TlogProof;

use crate::error::Result;
use crate::store::Store;

impl Store {
    /// The receipt of entry `index` against the checkpoint of `size`
    /// whose signed note is `note` (the caller read it from this store).
    pub fn receipt_at(
        &self,
        index: u64,
        size: u64,
        note: String,
        duplicate: bool,
    ) -> Result<Receipt> {
        let leaf = self.leaf(index)?;
        let proof = self.inclusion_proof(index, size)?;
        let tlog_proof =
            TlogProof { extra: None, index, proof: proof.clone(), checkpoint: note.clone() }
                .to_text();
        Ok(Receipt {
            index,
            leaf: base64::engine::general_purpose::STANDARD.encode(&leaf),
            leaf_hash: verifier::leaf_hash(&leaf),
            checkpoint: note,
            inclusion_proof: proof,
            tlog_proof,
            duplicate,
            sealed: None,
        })
    }
}

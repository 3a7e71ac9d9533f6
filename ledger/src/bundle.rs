//! Exporting evidence bundles (the format and its checks live in
//! `verifier::bundle` and `verifier::report`).

use crate::storage::Lookups as _;
use std::collections::BTreeMap;

use verifier::bundle::{
    Bundle, ChainHead, ConsistencyRef, EntryRef, FORMAT_V1, Manifest, Selection, TenderHead,
    TrustPolicy, consistency_to_text, members,
};
use verifier::event::{Body, Event, cert_tender, seal_tender};
use verifier::log_keys::LogAnchor;
use verifier::note::NoteSigner;
use verifier::tlog_proof::TlogProof;

use crate::error::{LedgerError, Result};
use crate::store::Store;

/// Most entries one bundle may hold.
pub(crate) const MAX_BUNDLE_ENTRIES: usize = 100_000;

impl Store {
    /// The log's signed statement that entry `index` (sequence `seq`) is the
    /// latest of chain `tender` in the tree of `size` entries.
    fn signed_head(
        &self,
        signer: &NoteSigner,
        size: u64,
        tender: &str,
        seq: u64,
        index: u64,
    ) -> Result<Vec<u8>> {
        let head = TenderHead {
            origin: self.origin().to_owned(),
            size,
            tender: tender.to_owned(),
            seq,
            index,
            leaf_hash: self.leaf_hash(index)?,
        };
        Ok(signer.sign(&head.to_text())?.into_bytes())
    }

    /// The newest cosigned checkpoint (see [`crate::witnessed`]), with its
    /// size, when every index in `indexes` is below its size and its body
    /// is the one this log signed at that size.
    fn cosigned_covering(&self, indexes: &[u64]) -> Result<Option<(u64, String)>> {
        let Some(c) = self.newest_cosigned()? else { return Ok(None) };
        if indexes.iter().any(|i| *i >= c.size) {
            return Ok(None);
        }
        let Ok(parsed) = verifier::note::Note::parse(c.note.as_bytes()) else { return Ok(None) };
        let Some(ours) = self.checkpoint_at(c.size)? else { return Ok(None) };
        let same =
            verifier::note::Note::parse(ours.as_bytes()).is_ok_and(|o| o.text == parsed.text);
        Ok(same.then_some((c.size, c.note)))
    }

    /// An evidence bundle of the selected entries, proved against the newest
    /// checkpoint. The same selection over the same log gives the same bytes.
    /// A tender bundle carries the tender head signed with `signer` (the log's
    /// key, see `keys::load`), so it fails without one.
    /// `roots` is what the bundle proposes beside the log's keys: CA and TSA
    /// roots for signature checks and the witnesses' quorum (see
    /// `trust::bundle_roots`).
    pub fn export_bundle(
        &self,
        selection: &Selection,
        signer: Option<&NoteSigner>,
        roots: &crate::trust::Proposed,
    ) -> Result<Bundle> {
        let latest = self.latest_checkpoint()?;
        let size = latest.checkpoint.size;
        let mut indexes: Vec<u64> = match selection {
            Selection::Tender(t) => self.tender_events(t)?.into_iter().map(|(_, i)| i).collect(),
            Selection::Indexes(list) => list.clone(),
            Selection::Document(h) => self.document_events(h)?,
        };
        indexes.retain(|i| *i < size);
        indexes.sort_unstable();
        indexes.dedup();
        if let Selection::Indexes(list) = selection
            && let Some(missing) = list.iter().find(|i| **i >= size)
        {
            return Err(LedgerError::NoSuchEntry { index: *missing, tree_size: size });
        }
        if indexes.is_empty() {
            return Err(LedgerError::NothingSelected);
        }
        // Proved against the newest checkpoint the witnesses cosigned when
        // it covers the whole selection (a verifier then checks their
        // quorum); otherwise against the newest, so nothing selected is
        // left out.
        let (size, newest_note) = match self.cosigned_covering(&indexes)? {
            Some((cosigned_size, note)) if cosigned_size <= size => (cosigned_size, note),
            _ => (size, latest.note),
        };
        let mut members = BTreeMap::new();
        if indexes.len() > MAX_BUNDLE_ENTRIES {
            return Err(LedgerError::TooManyEntries {
                count: indexes.len(),
                max: MAX_BUNDLE_ENTRIES,
            });
        }
        // Context: every event of each signer certificate's chain, and the
        // rule packs the selected events name.
        let mut chains = std::collections::BTreeSet::new();
        let mut seal_chains = std::collections::BTreeSet::new();
        let mut context = Vec::new();
        for &index in &indexes {
            let ev = Event::decode(&self.leaf(index)?)
                .map_err(|e| LedgerError::Corrupt(format!("leaf {index}: {e}")))?;
            if let Some(d) = ev.body.document() {
                for s in &d.signatures {
                    chains.insert(cert_tender(&s.cert));
                }
                // An e-seal brings its signer's certificate chain and its
                // own binding chain.
                for der in d.seal_ders() {
                    if let Ok(s) = verifier::seal::SealSignature::parse(&der.0) {
                        chains.insert(cert_tender(&verifier::pki::fingerprint_of(&s.signer_cert)));
                        seal_chains.insert(seal_tender(&s.seal.fingerprint()));
                    }
                }
            }
            if let Body::Reveal(r) = &ev.body {
                // The sealed entry is the tender's own; its rule pack applies.
                let sealed = Event::decode(&self.leaf(r.sealed.index)?)
                    .map_err(|e| LedgerError::Corrupt(format!("leaf {}: {e}", r.sealed.index)))?;
                context.push(r.sealed.index);
                if let Some(p) = sealed.policy {
                    context.push(p.index);
                }
            }
            if let Some(p) = ev.policy {
                context.push(p.index);
            }
        }
        // A tender's compliance is judged with the calendar in force: the
        // latest published one comes along.
        if let Selection::Tender(_) = selection
            && let Some(&(_, index)) = self
                .tender_events(verifier::event::CALENDAR_TENDER)?
                .iter()
                .filter(|(_, i)| *i < size)
                .max_by_key(|(_, i)| *i)
        {
            context.push(index);
        }
        // Each chain with the log's signed head; named by position in the
        // manifest's list (a chain with no events — an unregistered
        // certificate — is left out, and the verifier reports it).
        let mut heads = Vec::new();
        let mut seal_heads = Vec::new();
        for (chain, kind) in
            chains.iter().map(|c| (c, "certificate")).chain(seal_chains.iter().map(|c| (c, "seal")))
        {
            let events: Vec<(u64, u64)> =
                self.tender_events(chain)?.into_iter().filter(|(_, i)| *i < size).collect();
            let Some(&(seq, index)) = events.iter().max() else { continue };
            context.extend(events.iter().map(|(_, i)| *i));
            let signer = signer.ok_or_else(|| LedgerError::Key {
                path: std::path::PathBuf::from("log.key"),
                reason: "a bundle of signed documents needs the log's key to sign chain heads"
                    .into(),
            })?;
            let list = if kind == "seal" { &mut seal_heads } else { &mut heads };
            let name = members::chain_head(kind, list.len());
            members.insert(name.clone(), self.signed_head(signer, size, chain, seq, index)?);
            list.push(ChainHead { tender: chain.clone(), head: name });
        }
        indexes.extend(context.into_iter().filter(|i| *i < size));
        indexes.sort_unstable();
        indexes.dedup();
        if indexes.len() > MAX_BUNDLE_ENTRIES {
            return Err(LedgerError::TooManyEntries {
                count: indexes.len(),
                max: MAX_BUNDLE_ENTRIES,
            });
        }
        let mut entries = Vec::with_capacity(indexes.len());
        let mut from_sizes = std::collections::BTreeSet::new();
        for index in indexes {
            let leaf = self.leaf(index)?;
            let (cp_size, note) = self.receipt_checkpoint(index)?;
            let proof = self.inclusion_proof(index, cp_size)?;
            let text = TlogProof { extra: None, index, proof, checkpoint: note }.to_text();
            let e = EntryRef { index, leaf: members::leaf(index), proof: members::proof(index) };
            members.insert(e.leaf.clone(), leaf);
            members.insert(e.proof.clone(), text.into_bytes());
            entries.push(e);
            if cp_size != size {
                from_sizes.insert(cp_size);
            }
        }
        // A log that rotated its key: the history, and a proof that the
        // newest checkpoint extends each tree handed over.
        let key_history = self.key_history().map(|h| {
            for r in self.log_keys().rotations() {
                if r.checkpoint.size < size {
                    from_sizes.insert(r.checkpoint.size);
                }
            }
            members.insert(members::KEY_HISTORY.to_owned(), h.to_bytes());
            members::KEY_HISTORY.to_owned()
        });
        let mut consistency = Vec::new();
        for from in from_sizes {
            let c = ConsistencyRef { from, to: size, proof: members::consistency(from, size) };
            members.insert(
                c.proof.clone(),
                consistency_to_text(&self.consistency_proof(from, size)?).into_bytes(),
            );
            consistency.push(c);
        }
        let checkpoint = members::checkpoint(size);
        // The newest checkpoint's RFC 3161 token, when the stamper has it.
        let checkpoint_timestamp = match self.stamps()? {
            Some(stamps) => stamps.get(size)?.map(|s| {
                let name = members::checkpoint_token(size);
                members.insert(name.clone(), s.token);
                name
            }),
            None => None,
        };
        members.insert(checkpoint.clone(), newest_note.into_bytes());
        let tender_head = match selection {
            Selection::Tender(t) => {
                let signer = signer.ok_or_else(|| LedgerError::Key {
                    path: std::path::PathBuf::from("log.key"),
                    reason: "a tender bundle needs the log's key to sign the tender head".into(),
                })?;
                let &(seq, index) = self
                    .tender_events(t)?
                    .iter()
                    .filter(|(_, i)| *i < size)
                    .max()
                    .ok_or(LedgerError::NothingSelected)?;
                let name = members::TENDER_HEAD.to_owned();
                members.insert(name.clone(), self.signed_head(signer, size, t, seq, index)?);
                Some(name)
            }
            _ => None,
        };
        let manifest = Manifest {
            format: FORMAT_V1.into(),
            origin: self.origin().to_owned(),
            selection: selection.clone(),
            checkpoint,
            checkpoint_timestamp,
            tender_head,
            certificates: heads,
            seals: seal_heads,
            entries,
            consistency,
            documents: Vec::new(),
            trust: TrustPolicy {
                // The Ed25519 key, and the ML-DSA-44 key that also signed
                // every checkpoint (a verifier given it requires it).
                log_keys: self.log_keys().current_anchors().iter().map(LogAnchor::vkey).collect(),
                ca_roots: roots.ca_roots.clone(),
                tsa_roots: roots.tsa_roots.clone(),
                witness_keys: roots.witness_keys.clone(),
                witness_quorum: roots.witness_quorum,
            },
            key_history,
        };
        Ok(Bundle { manifest, members })
    }
}

//! Deterministic evidence for the verifier's tests, built without the ledger:
//! a seven-entry log of two tenders, checkpointed at sizes 3 and 7 by the
//! golden key, the evidence bundle of tender [`TENDER`] with one carried
//! document, and receipts as `POST /v1/events` returns them.
//!
//! Shared by `verifier/tests/*.rs` and, through `#[path]`, by
//! `tests/tests/golden_bundle.rs`, so the golden bundle file is exactly what
//! these builders write.
#![allow(dead_code)]

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;
use sha2::{Digest as _, Sha256};
use verifier::bundle::{
    Bundle, ConsistencyRef, DocumentRef, EntryRef, FORMAT_V1, Manifest, Selection, TenderHead,
    TrustPolicy, consistency_to_text,
};
use verifier::checkpoint::Checkpoint;
use verifier::event::{Body, Document, DocumentType, Event, EventLink, Schedule};
use verifier::merkle::{MemoryTree, consistency_proof, inclusion_proof, tree_root};
use verifier::note::{NoteSigner, NoteVerifier};
use verifier::tlog_proof::TlogProof;
use verifier::{Hash, leaf_hash};

/// The log's origin (the same as the golden checkpoint's).
pub(crate) const ORIGIN: &str = "golden.tenderlog.example/log";
/// The tender the bundle is about.
pub(crate) const TENDER: &str = "ZB2026-007 第二标段";
/// Another tender whose events interleave with [`TENDER`]'s.
pub(crate) const OTHER_TENDER: &str = "ZB2026-008";
/// The document the bundle carries; entry [`DOCUMENT_ENTRY`] logged its SHA-256.
pub(crate) const DOCUMENT: &[u8] = "招标文件 ZB2026-007 第二标段\n\
    Bids are due on 2026-12-01 at 09:30 (UTC+8), opened at the same time.\n"
    .as_bytes();
/// The entry that logged [`DOCUMENT`].
pub(crate) const DOCUMENT_ENTRY: u64 = 2;
/// The checkpoints the log signed: after the first batch, and the newest.
pub(crate) const CHECKPOINT_SIZES: [u64; 2] = [3, 7];
/// The entries of [`TENDER`], in index order.
pub(crate) const TENDER_ENTRIES: [u64; 5] = [0, 2, 3, 4, 6];

/// The golden log key (the seed of `tests/golden/log.key`).
pub(crate) fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[0x42; 32])).unwrap()
}

/// Another key under the same origin name.
pub(crate) fn other_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[7; 32])).unwrap()
}

/// The golden log key's verifier.
pub(crate) fn verifier_key() -> NoteVerifier {
    signer().verifier()
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> Hash {
    Hash(Sha256::digest(bytes).into())
}

fn document(document_type: DocumentType, bytes: &[u8], media: &str, title: &str) -> Body {
    Body::Document(Document {
        document_type,
        sha256: sha256(bytes),
        sm3: None,
        size: bytes.len() as u64,
        media_type: media.into(),
        title: Some(title.into()),
        signatures: Vec::new(),
        timestamps: Vec::new(),
        seals: Vec::new(),
        ofd_seals: Vec::new(),
        received_timestamp: None,
    })
}

/// A log of seven entries: `(tender, principal, body)` of each, in order.
fn contents() -> Vec<(&'static str, &'static str, Body)> {
    vec![
        (
            TENDER,
            "agency-01",
            document(
                DocumentType::TenderNotice,
                b"notice ZB2026-007",
                "application/pdf",
                "招标公告",
            ),
        ),
        (
            OTHER_TENDER,
            "agency-02",
            document(DocumentType::TenderNotice, b"notice ZB2026-008", "application/pdf", "公告"),
        ),
        (
            TENDER,
            "agency-01",
            document(DocumentType::TenderDocuments, DOCUMENT, "text/plain", "招标文件"),
        ),
        (TENDER, "agency-01", Body::Schedule(Schedule::new(1_796_092_200_000, 1_796_092_200_000))),
        (
            TENDER,
            "bidder-a",
            document(DocumentType::Bid, b"bid of bidder-a", "application/ofd", "投标文件"),
        ),
        (
            OTHER_TENDER,
            "bidder-b",
            document(DocumentType::Bid, b"bid of bidder-b", "application/ofd", "投标文件"),
        ),
        (
            TENDER,
            "agency-01",
            document(DocumentType::OpeningRecord, b"opening record", "application/pdf", "开标记录"),
        ),
    ]
}

/// The tender of the second golden log: sealed bids, a reveal, refusals.
pub(crate) const SEALED_TENDER: &str = "ZB2026-009 密封投标";
/// Bidder A's bid, filed under seal (entry 1) and revealed (entry 4).
pub(crate) const SEALED_BID: &[u8] = b"the sealed bid of bidder-a";
/// Bidder B's bid, filed in the open after the deadline and refused (entry 2).
pub(crate) const REFUSED_BID: &[u8] = b"the late bid of bidder-b";
/// Bidder C's sealed bid, refused (entry 3): the refusal logs a commitment.
pub(crate) const SEALED_REFUSED_BID: &[u8] = b"the sealed bid of bidder-c";
/// The salts of the two commitments (a real log derives them from its key).
const SALT_A: [u8; 32] = [0xa5; 32];
const SALT_C: [u8; 32] = [0xc3; 32];

fn bid_document(bytes: &[u8]) -> Document {
    let Body::Document(d) = document(DocumentType::Bid, bytes, "application/pdf", "投标文件")
    else {
        unreachable!()
    };
    d
}

/// The opening of bidder C's refused sealed bid, as its 422 answer gives it.
pub(crate) fn sealed_refusal_opening(refusal: EventLink) -> verifier::event::Reveal {
    verifier::event::Reveal {
        sealed: refusal,
        salt: verifier::event::Bytes(SALT_C.to_vec()),
        principal: "bidder-c".into(),
        document: bid_document(SEALED_REFUSED_BID),
    }
}

/// A second log of seven entries: a tender with a bid filed under seal and
/// revealed, an open bid refused by the procedure, a sealed bid refused
/// (logged as its commitment), and another tender's entry.
pub(crate) fn sealed_contents() -> Vec<(&'static str, &'static str, Body)> {
    use verifier::event::{Rejection, Reveal, SealedDocument};
    let t = SEALED_TENDER;
    let a = bid_document(SEALED_BID);
    let commitment_a = verifier::event::commitment(&SALT_A, t, "bidder-a", &a).unwrap();
    let c = bid_document(SEALED_REFUSED_BID);
    let commitment_c = verifier::event::commitment(&SALT_C, t, "bidder-c", &c).unwrap();
    vec![
        (t, "agency-01", document(DocumentType::TenderNotice, b"notice ZB2026-009", "application/pdf", "招标公告")),
        (
            t,
            "sealed",
            Body::SealedDocument(SealedDocument { document_type: DocumentType::Bid, commitment: commitment_a }),
        ),
        (
            t,
            "bidder-b",
            Body::SubmissionRejected(Rejection::new(
                &bid_document(REFUSED_BID),
                "procedure",
                "a bid received at 2026-11-18 19:08:42 +08:00, at or after the bid deadline 2026-11-18 19:00:00 +08:00",
            )),
        ),
        (
            t,
            "sealed",
            Body::SubmissionRejected(Rejection {
                document_type: DocumentType::Bid,
                sha256: commitment_c,
                check: "sealed submission".into(),
                reason: "a sealed submission was refused (the sha256 is its commitment); the reason went to the submitter".into(),
            }),
        ),
        (
            t,
            "agency-01",
            Body::Reveal(Reveal {
                sealed: EventLink { index: 1, leaf_hash: Hash([0; 32]) },
                salt: verifier::event::Bytes(SALT_A.to_vec()),
                principal: "bidder-a".into(),
                document: a,
            }),
        ),
        (t, "agency-01", document(DocumentType::OpeningRecord, b"opening record ZB2026-009", "application/pdf", "开标记录")),
        (OTHER_TENDER, "agency-02", document(DocumentType::Bid, b"bid of bidder-z", "application/ofd", "投标文件")),
    ]
}

/// A log: its events and leaves, its Merkle tree and the checkpoints it signed.
pub(crate) struct Log {
    /// The events, by index.
    pub events: Vec<Event>,
    /// The leaves, by index.
    pub leaves: Vec<Vec<u8>>,
    /// The tree of their leaf hashes.
    pub tree: MemoryTree,
    /// Signed checkpoint notes by size ([`CHECKPOINT_SIZES`]).
    pub notes: BTreeMap<u64, String>,
}

impl Log {
    /// The real log, signed by [`signer`].
    pub(crate) fn new() -> Log {
        Log::build(u64::MAX, &signer())
    }

    /// A fork of the real log: the same entries before `diverge_at`, different
    /// ones (received a millisecond later) from there on, with checkpoints of
    /// the same sizes signed by `key`.
    pub(crate) fn forked(diverge_at: u64, key: &NoteSigner) -> Log {
        Log::build(diverge_at, key)
    }

    fn build(diverge_at: u64, key: &NoteSigner) -> Log {
        Log::build_from(contents(), diverge_at, key)
    }

    /// The log of [`SEALED_TENDER`] ([`sealed_contents`]), signed by [`signer`].
    pub(crate) fn sealed() -> Log {
        Log::build_from(sealed_contents(), u64::MAX, &signer())
    }

    fn build_from(
        contents: Vec<(&'static str, &'static str, Body)>,
        diverge_at: u64,
        key: &NoteSigner,
    ) -> Log {
        let mut events = Vec::new();
        let mut leaves: Vec<Vec<u8>> = Vec::new();
        let mut tree = MemoryTree::new();
        let mut last: BTreeMap<&str, (u64, u64, Hash)> = BTreeMap::new();
        for (i, (tender, principal, mut body)) in contents.into_iter().enumerate() {
            // A reveal names its sealed entry by leaf hash, known only now.
            if let Body::Reveal(r) = &mut body {
                r.sealed.leaf_hash = leaf_hash(&leaves[r.sealed.index as usize]);
            }
            let i = i as u64;
            let prev = last.get(tender).copied();
            let event = Event {
                v: 1,
                tender: tender.into(),
                seq: prev.map_or(0, |(seq, _, _)| seq + 1),
                prev_tender: prev.map(|(_, index, leaf_hash)| EventLink { index, leaf_hash }),
                prev_leaf: leaves.last().map(|l| leaf_hash(l)),
                received_ms: 1_795_000_000_000 + i * 61_000 + u64::from(i >= diverge_at),
                principal: principal.into(),
                body,
                policy: None,
            };
            let leaf = event.encode().unwrap();
            let lh = leaf_hash(&leaf);
            last.insert(tender, (event.seq, i, lh));
            tree.push(lh);
            events.push(event);
            leaves.push(leaf);
        }
        let mut notes = BTreeMap::new();
        for size in CHECKPOINT_SIZES {
            let root = tree_root(&mut tree, size).unwrap();
            notes.insert(size, key.sign(&Checkpoint::new(ORIGIN, size, root).to_text()).unwrap());
        }
        Log { events, leaves, tree, notes }
    }

    /// The root of the first `size` leaves.
    pub(crate) fn root(&mut self, size: u64) -> Hash {
        tree_root(&mut self.tree, size).unwrap()
    }

    /// The size of the checkpoint signed with entry `index`'s batch.
    pub(crate) fn batch_size(index: u64) -> u64 {
        *CHECKPOINT_SIZES.iter().find(|s| **s > index).unwrap()
    }

    /// The inclusion proof of entry `index` in the tree of `size` leaves.
    pub(crate) fn inclusion(&mut self, index: u64, size: u64) -> Vec<Hash> {
        inclusion_proof(&mut self.tree, index, size).unwrap()
    }

    /// Entry `index`'s tlog-proof against its batch's checkpoint.
    pub(crate) fn tlog_proof(&mut self, index: u64) -> String {
        let size = Log::batch_size(index);
        let proof = self.inclusion(index, size);
        TlogProof { extra: None, index, proof, checkpoint: self.notes[&size].clone() }.to_text()
    }

    /// The consistency proof from `from` leaves to `to` leaves.
    pub(crate) fn consistency(&mut self, from: u64, to: u64) -> Vec<Hash> {
        consistency_proof(&mut self.tree, from, to).unwrap()
    }

    /// The newest checkpoint's size.
    pub(crate) fn size(&self) -> u64 {
        CHECKPOINT_SIZES[CHECKPOINT_SIZES.len() - 1]
    }

    /// A bundle of the entries `indexes` (ascending), as the ledger exports
    /// it: each entry proved against its batch's checkpoint, one consistency
    /// proof from each older checkpoint used to the newest, and `documents`
    /// carried.
    pub(crate) fn bundle(
        &mut self,
        selection: Selection,
        indexes: &[u64],
        documents: &[&[u8]],
    ) -> Bundle {
        let size = self.size();
        let mut members = BTreeMap::new();
        let mut entries = Vec::new();
        let mut from_sizes = std::collections::BTreeSet::new();
        for &index in indexes {
            let e = EntryRef {
                index,
                leaf: format!("leaves/{index}.cbor"),
                proof: format!("proofs/{index}.tlog-proof"),
            };
            members.insert(e.leaf.clone(), self.leaves[index as usize].clone());
            members.insert(e.proof.clone(), self.tlog_proof(index).into_bytes());
            entries.push(e);
            if Log::batch_size(index) != size {
                from_sizes.insert(Log::batch_size(index));
            }
        }
        let mut consistency = Vec::new();
        for from in from_sizes {
            let c = ConsistencyRef {
                from,
                to: size,
                proof: format!("consistency/{from}-{size}.proof"),
            };
            members.insert(
                c.proof.clone(),
                consistency_to_text(&self.consistency(from, size)).into_bytes(),
            );
            consistency.push(c);
        }
        let mut docs: Vec<DocumentRef> = documents
            .iter()
            .map(|d| {
                let sha256 = sha256(d);
                let path = format!("documents/{sha256}");
                members.insert(path.clone(), d.to_vec());
                DocumentRef { sha256, path }
            })
            .collect();
        docs.sort_by_key(|d| d.sha256);
        let checkpoint = format!("checkpoints/{size}.note");
        members.insert(checkpoint.clone(), self.notes[&size].clone().into_bytes());
        // A tender bundle carries the log's signed statement of the tender's
        // latest event at this size, as the ledger's exporter writes it.
        let tender_head = match &selection {
            Selection::Tender(t) => {
                let (index, event) = self
                    .events
                    .iter()
                    .enumerate()
                    .filter(|(i, e)| e.tender == *t && (*i as u64) < size)
                    .max_by_key(|(_, e)| e.seq)
                    .unwrap();
                let head = TenderHead {
                    origin: ORIGIN.into(),
                    size,
                    tender: t.clone(),
                    seq: event.seq,
                    index: index as u64,
                    leaf_hash: leaf_hash(&self.leaves[index]),
                };
                let name = "tender-head.note".to_owned();
                members.insert(name.clone(), signer().sign(&head.to_text()).unwrap().into_bytes());
                Some(name)
            }
            _ => None,
        };
        let manifest = Manifest {
            format: FORMAT_V1.into(),
            origin: ORIGIN.into(),
            selection,
            checkpoint,
            checkpoint_timestamp: None,
            tender_head,
            certificates: Vec::new(),
            seals: Vec::new(),
            entries,
            consistency,
            documents: docs,
            trust: TrustPolicy { log_keys: vec![verifier_key().vkey()], ..TrustPolicy::default() },
            key_history: None,
        };
        Bundle { manifest, members }
    }

    /// The receipt for entry `index`, byte for byte as `POST /v1/events`
    /// answers (compact JSON of `api::v1::Receipt`).
    pub(crate) fn receipt(&mut self, index: u64) -> Vec<u8> {
        let size = Log::batch_size(index);
        let proof = self.inclusion(index, size);
        let leaf = &self.leaves[index as usize];
        let r = Receipt {
            index,
            leaf: B64.encode(leaf),
            leaf_hash: leaf_hash(leaf).to_hex(),
            checkpoint: self.notes[&size].clone(),
            inclusion_proof: proof.iter().map(Hash::to_hex).collect(),
            tlog_proof: self.tlog_proof(index),
            duplicate: false,
        };
        serde_json::to_vec(&r).unwrap()
    }
}

/// `api::v1::Receipt`: the same fields, types and order.
#[derive(serde::Serialize)]
struct Receipt {
    index: u64,
    leaf: String,
    leaf_hash: String,
    checkpoint: String,
    inclusion_proof: Vec<String>,
    tlog_proof: String,
    duplicate: bool,
}

/// The evidence bundle of [`SEALED_TENDER`], from [`Log::sealed`].
pub(crate) fn sealed_tender_bundle() -> Bundle {
    Log::sealed().bundle(Selection::Tender(SEALED_TENDER.into()), &[0, 1, 2, 3, 4, 5], &[])
}

/// The evidence bundle of [`TENDER`], carrying [`DOCUMENT`]: the golden bundle.
pub(crate) fn tender_bundle() -> Bundle {
    Log::new().bundle(Selection::Tender(TENDER.into()), &TENDER_ENTRIES, &[DOCUMENT])
}

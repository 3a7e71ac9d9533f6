//! The name of every check, in one enum shared by the ledger's admission
//! and audit, the offline report and the `submission_rejected` events.
//!
//! Each name's text ([`CheckName::as_str`]) is what reports print, what
//! programs match in JSON, and what a `submission_rejected` leaf records in
//! its `check` field: the texts never change (earlier leaves carry them).

use serde::{Serialize, Serializer};

macro_rules! check_names {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// A check, by the name reports print.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum CheckName {
            $($(#[$doc])* $variant,)*
        }

        impl CheckName {
            /// Every check name.
            pub const ALL: &'static [CheckName] = &[$(CheckName::$variant,)*];

            /// The name's text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CheckName::$variant => $text,)*
                }
            }

            /// The check of this text, if there is one (e.g. the `check` of a
            /// logged rejection).
            pub fn from_text(text: &str) -> Option<CheckName> {
                match text {
                    $($text => Some(CheckName::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

check_names! {
    // The bundle and its anchors.
    /// The bundle's container and manifest are well formed.
    BundleFormat => "bundle format",
    /// What the bundle was asked to hold is what it holds.
    Selection => "selection",
    /// The checkpoint names the expected origin and is signed by the given key.
    CheckpointOriginAndKey => "checkpoint origin and key",
    /// A checkpoint's signature verifies.
    CheckpointSignature => "checkpoint signature",
    /// The log's key history links its keys, each rotation signed by both
    /// keys, and the newest checkpoint extends every tree handed over.
    KeyHistory => "key history",
    /// Enough trusted witnesses cosigned.
    WitnessQuorum => "witness quorum",
    /// A checkpoint is consistent with the newest one.
    ConsistencyToNewest => "consistency to the newest checkpoint",
    // Entries.
    /// A leaf is a canonical v1 event.
    CanonicalLeaf => "canonical leaf",
    /// A leaf hashes to its recorded leaf hash.
    LeafHash => "leaf hash",
    /// An entry is included in the checkpoint.
    Inclusion => "inclusion",
    /// An entry links to the log's previous entry.
    GlobalChainLink => "global chain link",
    /// A tender's (or certificate's, or seal's) chain is complete and linked.
    PerTenderChainCompleteness => "per-tender chain completeness",
    /// A document's file matches its logged digests.
    DocumentDigest => "document digest",
    /// A reveal opens its sealed entry's commitment.
    CommitmentReveal => "commitment reveal",
    // Signed documents.
    /// A signature verifies over the document.
    Signature => "signature",
    /// The signer certificate chains to a trusted CA root.
    CertificateChain => "certificate chain",
    /// The signer certificate was valid (not lost, not revoked) at the trusted time.
    CertificateStatus => "certificate status at trusted time",
    /// A trusted timestamp verifies.
    Timestamp => "timestamp",
    /// An e-seal verifies and is bound.
    Seal => "seal",
    /// The rule pack's rules for the document type hold.
    Policy => "policy",
    /// The tender's procedure allows the event when it was received (the
    /// bid deadline, the opening; `verifier::procedure`).
    Procedure => "procedure",
    /// What a refused sealed submission's public rejection says in place of
    /// the failed check: which check failed is for the submitter alone.
    SealedSubmission => "sealed submission",
    // The store (audit).
    /// Leaves are stored at every index, and only there.
    LeafSequence => "leaf sequence",
    /// Each leaf links to the one before it.
    GlobalChain => "global chain",
    /// Each tender's events link to the one before.
    TenderChain => "tender chain",
    /// Received times never go back.
    ReceivedTime => "received time",
    /// Stored tree nodes are the hashes of the leaves.
    TreeNode => "tree node",
    /// Tile rows hold no more than the tree has.
    TileExtent => "tile extent",
    /// A checkpoint's root is the tree's at its size.
    CheckpointRoot => "checkpoint root",
    /// Checkpoints are consistent with each other.
    CheckpointConsistency => "checkpoint consistency",
    /// `index.db` covers no more than the log.
    IndexExtent => "index extent",
    /// The leaf-hash index is what the leaves imply.
    IndexLeafHashes => "index leaf_hashes",
    /// The content index is what the leaves imply.
    IndexContents => "index contents",
    /// The document index is what the leaves imply.
    IndexDocuments => "index documents",
    /// The tender index is what the leaves imply.
    IndexTenderEvents => "index tender_events",
    /// The audit itself could run.
    Audit => "audit",
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for CheckName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A check name equals its text (for programs that read reports).
impl PartialEq<&str> for CheckName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for CheckName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl From<CheckName> for String {
    fn from(c: CheckName) -> String {
        c.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_distinct_and_reads_back() {
        let mut seen = std::collections::BTreeSet::new();
        for c in CheckName::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(CheckName::from_text(c.as_str()), Some(*c));
        }
        assert_eq!(CheckName::from_text("no such check"), None);
    }
}

//! The hash chains every entry is on, and the one rule of each: the audit
//! (which replays the whole log) and the bundle report (which replays the
//! chains a bundle holds) both decide with these functions.
//!
//! * The **global chain**: every entry's `prev_leaf` is the leaf hash of the
//!   entry before it (none for entry 0).
//! * A **tender chain** (a tender, a certificate's lifecycle, a seal's
//!   bindings): its events are numbered `seq` 0, 1, 2, … and each after the
//!   first links (`prev_tender`) to the index and leaf hash of the one before.

use crate::Hash;
use crate::event::EventLink;

/// The latest event of a tender chain, as replayed so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastEvent {
    /// Its entry index.
    pub index: u64,
    /// Its sequence number in the chain.
    pub seq: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
}

/// Why an event does not follow the head of its chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// Its `seq` is not the next one.
    #[error("seq {got} where {want} was due")]
    Seq {
        /// The next sequence number.
        want: u64,
        /// The event's.
        got: u64,
    },
    /// The first event of its chain names a predecessor.
    #[error("the first event of its chain names a predecessor")]
    LinkAtStart,
    /// A later event names none.
    #[error("no link to its predecessor")]
    NoLink,
    /// It names another entry, or another leaf hash, as its predecessor.
    #[error(
        "links to entry {got}{}",
        if .want == .got {
            " by another leaf hash than that entry's".to_owned()
        } else {
            format!(", not to entry {want}")
        }
    )]
    WrongLink {
        /// The predecessor's index.
        want: u64,
        /// The index it names.
        got: u64,
    },
}

/// Whether an event with `seq` and `prev_tender` is the next event of the
/// chain whose latest event is `head` (`None`: the chain has none yet).
pub fn follows(
    head: Option<&LastEvent>,
    seq: u64,
    prev_tender: Option<EventLink>,
) -> Result<(), ChainBreak> {
    let want = head.map_or(0, |h| h.seq + 1);
    if seq != want {
        return Err(ChainBreak::Seq { want, got: seq });
    }
    match (head, prev_tender) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(ChainBreak::LinkAtStart),
        (Some(_), None) => Err(ChainBreak::NoLink),
        (Some(h), Some(link)) if link.index == h.index && link.leaf_hash == h.leaf_hash => Ok(()),
        (Some(h), Some(link)) => Err(ChainBreak::WrongLink { want: h.index, got: link.index }),
    }
}

/// Whether an entry's `prev_leaf` is the leaf hash of the entry before it
/// (`previous`, `None` for entry 0): the global chain's rule.
pub fn follows_leaf(previous: Option<&Hash>, prev_leaf: Option<&Hash>) -> bool {
    previous == prev_leaf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(index: u64, seq: u64, b: u8) -> LastEvent {
        LastEvent { index, seq, leaf_hash: Hash([b; 32]) }
    }

    fn link(index: u64, b: u8) -> Option<EventLink> {
        Some(EventLink { index, leaf_hash: Hash([b; 32]) })
    }

    #[test]
    fn each_rule_of_a_tender_chain_is_checked() {
        assert_eq!(follows(None, 0, None), Ok(()));
        assert_eq!(follows(None, 1, None), Err(ChainBreak::Seq { want: 0, got: 1 }));
        assert_eq!(follows(None, 0, link(3, 1)), Err(ChainBreak::LinkAtStart));
        let h = head(7, 2, 9);
        assert_eq!(follows(Some(&h), 3, link(7, 9)), Ok(()));
        assert_eq!(follows(Some(&h), 2, link(7, 9)), Err(ChainBreak::Seq { want: 3, got: 2 }));
        assert_eq!(follows(Some(&h), 3, None), Err(ChainBreak::NoLink));
        assert_eq!(
            follows(Some(&h), 3, link(6, 9)),
            Err(ChainBreak::WrongLink { want: 7, got: 6 })
        );
        // The right index with another leaf hash is another predecessor.
        assert_eq!(
            follows(Some(&h), 3, link(7, 8)),
            Err(ChainBreak::WrongLink { want: 7, got: 7 })
        );
    }

    #[test]
    fn the_global_chain_links_each_entry_to_the_one_before() {
        let (a, b) = (Hash([1; 32]), Hash([2; 32]));
        assert!(follows_leaf(None, None));
        assert!(follows_leaf(Some(&a), Some(&a)));
        assert!(!follows_leaf(Some(&a), Some(&b)));
        assert!(!follows_leaf(Some(&a), None));
        assert!(!follows_leaf(None, Some(&a)));
    }
}

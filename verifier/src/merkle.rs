//! RFC 6962 / RFC 9162 Merkle tree: proof verification, proof construction over
//! any store of complete subtrees, and the compact range used to append.
//!
//! Node addressing: `(level, index)` names the complete subtree of `2^level`
//! leaves covering `[index << level, (index + 1) << level)`. Level 0 holds leaf
//! hashes. Only complete subtrees are ever stored; the hash of any other range
//! that appears in an RFC 6962 proof is folded from at most 64 of them.

use crate::Error;
use crate::hash::{EMPTY_ROOT, Hash, node_hash};

/// Checks an inclusion proof (RFC 9162 §2.1.3.2): `leaf_hash` is the entry at
/// `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    let computed = root_from_inclusion(index, size, leaf_hash, proof)?;
    if &computed != root {
        return Err(Error::RootMismatch { tree_size: size });
    }
    Ok(())
}

/// Recomputes the root implied by an inclusion proof, checking its shape.
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
) -> Result<Hash, Error> {
    if index >= size {
        return Err(Error::IndexOutOfRange { index, tree_size: size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(Error::ProofLength { expected, got: proof.len() });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if snode == 0 {
            return Err(Error::ProofLength { expected, got: proof.len() });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(Error::ProofLength { expected, got: proof.len() });
    }
    Ok(r)
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2): the tree of `size1` leaves
/// with root `root1` is a prefix of the tree of `size2` leaves with root `root2`.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), Error> {
    if size1 > size2 {
        return Err(Error::SizeOrder { size1, size2 });
    }
    let expected = consistency_proof_len(size1, size2);
    if proof.len() != expected {
        return Err(Error::ProofLength { expected, got: proof.len() });
    }
    if size1 == size2 {
        return if root1 == root2 { Ok(()) } else { Err(Error::RootMismatch { tree_size: size2 }) };
    }
    if size1 == 0 {
        // Every tree extends the empty tree; the only thing to check is that
        // `root1` really is the empty root.
        return if *root1 == EMPTY_ROOT {
            Ok(())
        } else {
            Err(Error::RootMismatch { tree_size: 0 })
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*root1);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return Err(Error::ProofLength { expected, got: proof.len() });
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(Error::ProofLength { expected, got: proof.len() });
    }
    if &fr != root1 {
        return Err(Error::RootMismatch { tree_size: size1 });
    }
    if &sr != root2 {
        return Err(Error::RootMismatch { tree_size: size2 });
    }
    Ok(())
}

/// The number of hashes in an inclusion proof for `index` in a tree of `size`.
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    // Levels shared with the right edge are skipped where the sibling is empty.
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    inner + border
}

/// The number of hashes in a consistency proof from `size1` to `size2`.
pub fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    if size1 == 0 || size1 >= size2 {
        return 0;
    }
    let level = size1.trailing_zeros();
    let index = (size1 - 1) >> level;
    let p = inclusion_proof_len(index, ((size2 - 1) >> level) + 1);
    if index == 0 { p } else { p + 1 }
}

/// The root of a tree given all its leaf hashes, computed in memory.
///
/// For tests, audits of small ranges, and anyone holding a whole tree.
pub fn root_from_leaf_hashes(leaves: &[Hash]) -> Hash {
    let mut range = CompactRange::new();
    for l in leaves {
        range.push(*l, |_, _, _| {});
    }
    range.root()
}

/// A source of complete-subtree hashes, `(level, index)` as in the module docs.
///
/// The ledger implements it over its stored tiles; tests implement it in memory.
pub trait NodeSource {
    /// The error a read can fail with.
    type Error: From<Error>;
    /// The hash of the complete subtree `(level, index)`.
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// `MTH(D[lo:hi])` for a range that RFC 6962 proofs use: `lo` is a multiple of
/// a power of two at least `hi - lo`. Folded right to left from the complete
/// subtrees of the binary decomposition of `hi - lo`.
pub fn range_hash<S: NodeSource>(src: &mut S, lo: u64, hi: u64) -> Result<Hash, S::Error> {
    if hi <= lo {
        return Ok(EMPTY_ROOT);
    }
    let mut parts: Vec<Hash> = Vec::with_capacity(64);
    let mut at = lo;
    let mut rest = hi - lo;
    while rest > 0 {
        let level = 63 - rest.leading_zeros();
        parts.push(src.node(level, at >> level)?);
        at += 1u64 << level;
        rest -= 1u64 << level;
    }
    let mut acc = parts.pop().unwrap_or(EMPTY_ROOT);
    while let Some(left) = parts.pop() {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}

/// The root of the tree of `size` leaves.
pub fn tree_root<S: NodeSource>(src: &mut S, size: u64) -> Result<Hash, S::Error> {
    range_hash(src, 0, size)
}

fn split(n: u64) -> u64 {
    // Largest power of two strictly less than n (n >= 2).
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The RFC 6962 §2.1.1 audit path for `index` in the tree of `size` leaves,
/// ordered from the leaf towards the root.
pub fn inclusion_proof<S: NodeSource>(
    src: &mut S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, S::Error> {
    if index >= size {
        return Err(Error::IndexOutOfRange { index, tree_size: size }.into());
    }
    let mut out = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0u64, size);
    // Walk down from the root, recording siblings, then reverse.
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            out.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_hash(src, lo, lo + k)?);
            lo += k;
        }
    }
    out.reverse();
    Ok(out)
}

/// The RFC 6962 §2.1.2 consistency proof from `size1` to `size2`.
pub fn consistency_proof<S: NodeSource>(
    src: &mut S,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, S::Error> {
    if size1 > size2 {
        return Err(Error::SizeOrder { size1, size2 }.into());
    }
    let mut out = Vec::with_capacity(64);
    if size1 == 0 || size1 == size2 {
        return Ok(out);
    }
    let (mut lo, mut hi, mut m) = (0u64, size2, size1);
    let mut whole = true;
    loop {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(range_hash(src, lo, hi)?);
            }
            break;
        }
        let k = split(n);
        if m <= k {
            out.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_hash(src, lo, lo + k)?);
            lo += k;
            m -= k;
            whole = false;
        }
    }
    out.reverse();
    Ok(out)
}

/// The right edge of a tree: the complete subtrees of the binary decomposition
/// of its size, largest first. Enough to append leaves and compute the root in
/// O(log n) memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    /// `(level, hash)` pairs, strictly decreasing levels.
    stack: Vec<(u32, Hash)>,
}

impl CompactRange {
    /// The compact range of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads the compact range of the tree of `size` leaves from stored nodes.
    pub fn load<S: NodeSource>(src: &mut S, size: u64) -> Result<Self, S::Error> {
        let mut stack = Vec::new();
        let mut at = 0u64;
        for level in (0..64u32).rev() {
            if size & (1u64 << level) != 0 {
                stack.push((level, src.node(level, at >> level)?));
                at += 1u64 << level;
            }
        }
        Ok(CompactRange { size, stack })
    }

    /// The number of leaves covered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; `new_node(level, index, hash)` is called for the leaf
    /// and for every complete subtree it completes, lowest level first.
    pub fn push(&mut self, leaf: Hash, mut new_node: impl FnMut(u32, u64, &Hash)) {
        let index = self.size;
        new_node(0, index, &leaf);
        let mut level = 0u32;
        let mut h = leaf;
        while let Some(&(top_level, top)) = self.stack.last() {
            if top_level != level {
                break;
            }
            self.stack.pop();
            h = node_hash(&top, &h);
            level += 1;
            new_node(level, index >> level, &h);
        }
        self.stack.push((level, h));
        self.size += 1;
    }

    /// The root of the tree covered.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return EMPTY_ROOT;
        };
        for (_, left) in it {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// An in-memory [`NodeSource`] over a full list of leaf hashes, for tests and
/// for checking small trees. Memory grows with the tree: not for the log itself.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self { levels: vec![Vec::new()] }
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut range = CompactRange { size: self.size(), stack: Vec::new() };
        // Rebuild only the right edge from the stored complete nodes.
        let mut at = 0u64;
        for level in (0..64u32).rev() {
            if range.size & (1u64 << level) != 0 {
                range.stack.push((level, self.levels[level as usize][(at >> level) as usize]));
                at += 1u64 << level;
            }
        }
        let levels = &mut self.levels;
        range.push(leaf, |level, index, h| {
            let l = level as usize;
            if levels.len() <= l {
                levels.push(Vec::new());
            }
            debug_assert_eq!(levels[l].len() as u64, index);
            levels[l].push(*h);
        });
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }
}

impl NodeSource for MemoryTree {
    type Error = Error;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, Error> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or(Error::MissingNode { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn tree(n: u64) -> (MemoryTree, Vec<Hash>) {
        let mut t = MemoryTree::new();
        let mut leaves = Vec::new();
        for i in 0..n {
            let h = leaf_hash(&i.to_be_bytes());
            leaves.push(h);
            t.push(h);
        }
        (t, leaves)
    }

    #[test]
    fn proofs_verify_and_have_predicted_length() {
        let (mut t, leaves) = tree(70);
        for size in 1..=70u64 {
            let root = tree_root(&mut t, size).unwrap();
            assert_eq!(root, root_from_leaf_hashes(&leaves[..size as usize]));
            for i in 0..size {
                let p = inclusion_proof(&mut t, i, size).unwrap();
                assert_eq!(p.len(), inclusion_proof_len(i, size));
                verify_inclusion(i, size, &leaves[i as usize], &p, &root).unwrap();
            }
            for s1 in 0..=size {
                let r1 = tree_root(&mut t, s1).unwrap();
                let p = consistency_proof(&mut t, s1, size).unwrap();
                assert_eq!(p.len(), consistency_proof_len(s1, size), "{s1}->{size}");
                verify_consistency(s1, size, &p, &r1, &root).unwrap();
            }
        }
    }
}

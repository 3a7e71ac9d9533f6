//! Mutation tests: every single-bit change of a valid proof, signed checkpoint
//! or event leaf is caught.
//!
//! What passing proves:
//! * inclusion proofs: flipping any bit of any proof hash, of the leaf hash or
//!   of the root makes verification fail; so do dropping, adding or swapping
//!   hashes. Changing the index or tree size is rejected exactly when the
//!   audit path of the new `(index, size)` has a different shape (sibling
//!   sides, leaf to root, from the recursive RFC 6962 definition computed here
//!   independently). With the same shape the same hashes fold to the same root,
//!   so RFC 9162 verification accepts by design (e.g. index 0 of size 5 and of
//!   size 6): a root only means something together with its size, which a
//!   signed checkpoint binds;
//! * consistency proofs: flipping any bit of any proof hash or of either root
//!   makes verification fail, and so do dropped or added hashes;
//! * signed checkpoints made with `NoteSigner`: every bit flip of every byte of
//!   the note makes `SignedCheckpoint::verify` fail (no flip is accepted: the
//!   text is signed, the name and key ID select the key, and the signature's
//!   base64 must be canonical);
//! * event leaves: for every bit flip of a canonical leaf, `Event::decode`
//!   either fails or returns an event whose encoding is exactly the mutated
//!   bytes (so no two byte strings decode to one event), and the mutated leaf
//!   never verifies against the original inclusion proof and root;
//! * `Event::decode` does not panic on 3,000 seeded random inputs: raw random
//!   bytes, random well-formed CBOR (much of it shaped like an event) and
//!   multi-byte mutations of valid leaves.
#![allow(clippy::unwrap_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use ed25519_dalek::SigningKey;
use rand::rngs::StdRng;
use rand::{Rng as _, RngExt as _, SeedableRng as _};
use verifier::checkpoint::{Checkpoint, SignedCheckpoint};
use verifier::event::{Body, Document, DocumentType, Event, EventLink, Schedule};
use verifier::merkle::{
    MemoryTree, consistency_proof, inclusion_proof, tree_root, verify_consistency, verify_inclusion,
};
use verifier::note::{Note, NoteSigner};
use verifier::{Hash, leaf_hash};

/// Calls `f` with `h` changed in exactly one bit, for each of its 256 bits.
fn each_bit_flip(h: &Hash, mut f: impl FnMut(Hash)) {
    for byte in 0..32 {
        for bit in 0..8 {
            let mut m = *h;
            m.0[byte] ^= 1 << bit;
            f(m);
        }
    }
}

/// A tree of `n` distinct seeded random leaves (each starts with its index,
/// so no two leaf or subtree hashes are equal).
fn random_tree(seed: u64, n: u64) -> (MemoryTree, Vec<Hash>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut t = MemoryTree::new();
    let mut hashes = Vec::new();
    for i in 0..n {
        let mut leaf = vec![0u8; rng.random_range(0..=32usize)];
        rng.fill_bytes(&mut leaf);
        leaf.splice(0..0, i.to_be_bytes());
        let h = leaf_hash(&leaf);
        t.push(h);
        hashes.push(h);
    }
    (t, hashes)
}

/// The shape of `PATH(m, D[n])` (RFC 6962 §2.1.1), leaf to root: `true` where
/// the sibling is on the left. Written from the recursive definition, not
/// from the verifier's bit arithmetic. `None` if `m >= n`.
fn path_shape(m: u64, n: u64) -> Option<Vec<bool>> {
    if m >= n {
        return None;
    }
    let (mut lo, mut hi) = (0u64, n);
    let mut sides = Vec::new();
    while hi - lo > 1 {
        let mut k = 1u64;
        while k < hi - lo - k {
            k *= 2;
        }
        if m < lo + k {
            sides.push(false);
            hi = lo + k;
        } else {
            sides.push(true);
            lo += k;
        }
    }
    sides.reverse();
    Some(sides)
}

#[test]
fn inclusion_proof_mutations() {
    let (mut t, hashes) = random_tree(0x6d75_7401, 1000);
    let mut cases: Vec<(u64, u64)> = Vec::new();
    for n in [1u64, 2, 3, 5, 6, 7, 8, 13] {
        cases.extend((0..n).map(|i| (i, n)));
    }
    cases.extend([
        (0, 1000),
        (1, 1000),
        (499, 1000),
        (511, 1000),
        (512, 1000),
        (998, 1000),
        (999, 1000),
    ]);
    cases.extend([(0, 512), (511, 512), (300, 513), (512, 513)]);

    let (mut flips, mut other, mut same_shape) = (0usize, 0usize, Vec::new());
    for &(i, n) in &cases {
        let root = tree_root(&mut t, n).unwrap();
        let leaf = hashes[i as usize];
        let proof = inclusion_proof(&mut t, i, n).unwrap();
        verify_inclusion(i, n, &leaf, &proof, &root).unwrap();
        let rejects = |i2: u64, n2: u64, leaf: &Hash, proof: &[Hash], root: &Hash| {
            verify_inclusion(i2, n2, leaf, proof, root).is_err()
        };

        for k in 0..proof.len() {
            each_bit_flip(&proof[k], |m| {
                let mut p = proof.clone();
                p[k] = m;
                assert!(rejects(i, n, &leaf, &p, &root), "{i}/{n}: proof[{k}] flip accepted");
                flips += 1;
            });
        }
        each_bit_flip(&leaf, |m| {
            assert!(rejects(i, n, &m, &proof, &root), "{i}/{n}: leaf flip accepted");
            flips += 1;
        });
        each_bit_flip(&root, |m| {
            assert!(rejects(i, n, &leaf, &proof, &m), "{i}/{n}: root flip accepted");
            flips += 1;
        });

        // Structural changes to the proof.
        let mut variants: Vec<Vec<Hash>> = Vec::new();
        if let Some((_, rest)) = proof.split_first() {
            variants.push(rest.to_vec());
            variants.push(proof[..proof.len() - 1].to_vec());
        }
        for extra in [root, leaf, Hash::default()] {
            let mut p = proof.clone();
            p.push(extra);
            variants.push(p);
            let mut p = vec![extra];
            p.extend_from_slice(&proof);
            variants.push(p);
        }
        for k in 1..proof.len() {
            if proof[k] != proof[k - 1] {
                let mut p = proof.clone();
                p.swap(k, k - 1);
                variants.push(p);
            }
        }
        for p in &variants {
            assert!(rejects(i, n, &leaf, p, &root), "{i}/{n}: changed proof {p:?} accepted");
            other += 1;
        }

        // Index and size changes: rejected unless the path has the same shape.
        let shape = path_shape(i, n);
        let mut moved = vec![(i.wrapping_add(1), n), (i.wrapping_sub(1), n), (i ^ 2, n), (i, 0)];
        moved.extend([
            (i, n + 1),
            (i, n - 1),
            (i, n * 2),
            (i, n / 2),
            // The largest size the verifier handles today; see
            // `differential.rs`, `sizes_above_2_pow_63` for larger ones.
            (i, 1 << 63),
            (u64::MAX, n),
        ]);
        moved.extend((1..=2 * n).map(|n2| (i, n2)));
        moved.sort_unstable();
        moved.dedup();
        for (i2, n2) in moved {
            if (i2, n2) == (i, n) {
                continue;
            }
            let accepted = !rejects(i2, n2, &leaf, &proof, &root);
            let expect = path_shape(i2, n2).is_some() && path_shape(i2, n2) == shape;
            assert_eq!(accepted, expect, "{i}/{n} verified as {i2}/{n2}");
            if accepted {
                same_shape.push((i, n, i2, n2));
            }
            other += 1;
        }
    }
    eprintln!(
        "inclusion: {} cases, {flips} bit flips and {other} other changes checked; \
         {} same-shape (index, size) changes accepted as RFC 9162 allows, e.g. {:?}",
        cases.len(),
        same_shape.len(),
        &same_shape[..same_shape.len().min(4)]
    );
    // Sanity of the oracle: index 0 of size 5 has the same path shape as of size 6.
    assert!(same_shape.contains(&(0, 5, 0, 6)));
    // 256 flips each of leaf and root for every case, plus 256 per proof hash.
    let proof_hashes: usize = cases.iter().map(|&(i, n)| path_shape(i, n).unwrap().len()).sum();
    assert_eq!(flips, 256 * (2 * cases.len() + proof_hashes));
}

#[test]
fn consistency_proof_mutations() {
    let (mut t, _) = random_tree(0x6d75_7402, 1000);
    let mut cases: Vec<(u64, u64)> = Vec::new();
    for n in 1..=16u64 {
        cases.extend((1..=n).map(|m| (m, n)));
    }
    cases.extend([
        (1, 1000),
        (37, 999),
        (500, 1000),
        (512, 1000),
        (513, 1000),
        (999, 1000),
        (1000, 1000),
    ]);

    let (mut flips, mut other, mut proof_hashes) = (0usize, 0usize, 0usize);
    for &(m, n) in &cases {
        let r1 = tree_root(&mut t, m).unwrap();
        let r2 = tree_root(&mut t, n).unwrap();
        let proof = consistency_proof(&mut t, m, n).unwrap();
        verify_consistency(m, n, &proof, &r1, &r2).unwrap();
        let rejects = |p: &[Hash], a: &Hash, b: &Hash| verify_consistency(m, n, p, a, b).is_err();
        proof_hashes += proof.len();

        for k in 0..proof.len() {
            each_bit_flip(&proof[k], |h| {
                let mut p = proof.clone();
                p[k] = h;
                assert!(rejects(&p, &r1, &r2), "{m}->{n}: proof[{k}] flip accepted");
                flips += 1;
            });
        }
        each_bit_flip(&r1, |h| {
            assert!(rejects(&proof, &h, &r2), "{m}->{n}: root1 flip accepted");
            flips += 1;
        });
        each_bit_flip(&r2, |h| {
            assert!(rejects(&proof, &r1, &h), "{m}->{n}: root2 flip accepted");
            flips += 1;
        });

        let mut variants: Vec<Vec<Hash>> = Vec::new();
        if !proof.is_empty() {
            variants.push(proof[1..].to_vec());
            variants.push(proof[..proof.len() - 1].to_vec());
        }
        for extra in [r1, r2, Hash::default()] {
            let mut p = proof.clone();
            p.push(extra);
            variants.push(p);
            let mut p = vec![extra];
            p.extend_from_slice(&proof);
            variants.push(p);
        }
        for p in &variants {
            assert!(rejects(p, &r1, &r2), "{m}->{n}: changed proof {p:?} accepted");
            other += 1;
        }
        if r1 != r2 {
            assert!(rejects(&proof, &r2, &r1), "{m}->{n}: swapped roots accepted");
            other += 1;
        }
    }
    // From the empty tree: only the empty root is a prefix.
    let r2 = tree_root(&mut t, 10).unwrap();
    each_bit_flip(&verifier::EMPTY_ROOT, |h| {
        assert!(verify_consistency(0, 10, &[], &h, &r2).is_err(), "0->10 with root1 {h:?}");
        flips += 1;
    });
    eprintln!(
        "consistency: {} cases, {flips} bit flips and {other} other changes checked",
        cases.len()
    );
    assert_eq!(flips, 256 * (2 * cases.len() + proof_hashes + 1));
}

#[test]
fn signed_checkpoint_bit_flips() {
    let signer =
        NoteSigner::new("tenderlog.example/log", SigningKey::from_bytes(&[0x5a; 32])).unwrap();
    let key = signer.verifier();
    let (mut t, _) = random_tree(0x6d75_7403, 77);
    let cp = Checkpoint::new("tenderlog.example/log", 77, tree_root(&mut t, 77).unwrap());
    let note = signer.sign(&cp.to_text()).unwrap();
    let good = SignedCheckpoint::verify(note.as_bytes(), &key).unwrap();
    assert_eq!(good.checkpoint, cp);
    assert_eq!(good.note, note);

    let bytes = note.as_bytes();
    let (mut flips, mut parsed) = (0usize, 0usize);
    for at in 0..bytes.len() {
        for bit in 0..8 {
            let mut bad = bytes.to_vec();
            bad[at] ^= 1 << bit;
            parsed += usize::from(Note::parse(&bad).is_ok());
            if let Ok(v) = SignedCheckpoint::verify(&bad, &key) {
                panic!(
                    "note with byte {at} bit {bit} flipped is accepted:\n{:?}\nas {:?}",
                    String::from_utf8_lossy(&bad),
                    v.checkpoint
                );
            }
            // Rejected by the note layer alone, not only by the checkpoint checks.
            assert!(
                Note::parse(&bad).and_then(|n| n.verify(&key).map(drop)).is_err(),
                "note with byte {at} bit {bit} flipped verifies as a note"
            );
            flips += 1;
        }
    }
    assert_eq!(flips, 8 * bytes.len());
    eprintln!(
        "signed checkpoint: {} bytes, {flips} bit flips rejected ({parsed} still parse as a note)",
        bytes.len()
    );
}

fn h(s: &str) -> Hash {
    leaf_hash(s.as_bytes())
}

/// Events using every field and both body kinds.
fn sample_events() -> Vec<Event> {
    let mut events = vec![
        tenderlog_tests::events::registration_event(),
        Event {
            v: 1,
            tender: "ZB2026-001".into(),
            seq: 0,
            prev_tender: None,
            prev_leaf: None,
            received_ms: 1_790_000_000_000,
            principal: "agency-01".into(),
            body: Body::Schedule(Schedule::new(1_790_100_000_000, 1_790_100_000_000)),
            policy: None,
        },
        Event {
            v: 1,
            tender: "ZB2026-001/标段1".into(),
            seq: 7,
            prev_tender: Some(EventLink { index: 300, leaf_hash: h("prev tender") }),
            prev_leaf: Some(h("prev leaf")),
            received_ms: 1_790_000_123_456,
            principal: "bidder:91350100M000100Y43".into(),
            body: Body::Document(Document {
                document_type: DocumentType::Bid,
                sha256: h("doc sha256"),
                sm3: Some(h("doc sm3")),
                size: 10_485_760,
                media_type: "application/ofd".into(),
                title: Some("投标文件 (technical part)".into()),
                signatures: Vec::new(),
                timestamps: Vec::new(),
                seals: Vec::new(),
                ofd_seals: Vec::new(),
                received_timestamp: None,
            }),
            policy: None,
        },
        Event {
            v: 1,
            tender: "T".into(),
            seq: 1,
            prev_tender: Some(EventLink { index: 0, leaf_hash: h("t0") }),
            prev_leaf: Some(h("t0")),
            received_ms: 0,
            principal: "p".into(),
            body: Body::Document(Document {
                document_type: DocumentType::TenderNotice,
                sha256: h("d"),
                sm3: None,
                size: 23,
                media_type: "application/pdf".into(),
                title: None,
                signatures: Vec::new(),
                timestamps: Vec::new(),
                seals: Vec::new(),
                ofd_seals: Vec::new(),
                received_timestamp: None,
            }),
            policy: None,
        },
    ];
    // One of each procedure step, and the kinds added since the first
    // release: a schedule with every optional time, a sealed withdrawal.
    events.extend(tenderlog_tests::events::procedure_events());
    events.push(tenderlog_tests::events::schedule_all_times_event());
    events.push(tenderlog_tests::events::sealed_withdrawal_event());
    events.push(tenderlog_tests::events::calendar_event());
    events
}

#[test]
fn event_leaf_bit_flips() {
    let events = sample_events();
    let leaves: Vec<Vec<u8>> = events.iter().map(|e| e.encode().unwrap()).collect();
    // Log them among other leaves so each has a real inclusion proof.
    let mut t = MemoryTree::new();
    let mut positions = Vec::new();
    for (k, leaf) in leaves.iter().enumerate() {
        t.push(leaf_hash(format!("filler {k}").as_bytes()));
        positions.push(t.size());
        t.push(leaf_hash(leaf));
    }
    let size = t.size();
    let root = tree_root(&mut t, size).unwrap();

    let (mut flips, mut decoded) = (0usize, 0usize);
    for ((event, leaf), &index) in events.iter().zip(&leaves).zip(&positions) {
        assert_eq!(&Event::decode(leaf).unwrap(), event, "round trip");
        let proof = inclusion_proof(&mut t, index, size).unwrap();
        verify_inclusion(index, size, &leaf_hash(leaf), &proof, &root).unwrap();
        for at in 0..leaf.len() {
            for bit in 0..8 {
                let mut bad = leaf.clone();
                bad[at] ^= 1 << bit;
                flips += 1;
                if let Ok(e) = Event::decode(&bad) {
                    decoded += 1;
                    assert_ne!(&e, event, "byte {at} bit {bit}: decodes to the original event");
                    assert_eq!(e.encode().unwrap(), bad, "byte {at} bit {bit}: not canonical");
                }
                assert!(
                    verify_inclusion(index, size, &leaf_hash(&bad), &proof, &root).is_err(),
                    "byte {at} bit {bit}: mutated leaf verifies"
                );
            }
        }
    }
    assert_eq!(flips, 8 * leaves.iter().map(Vec::len).sum::<usize>());
    eprintln!(
        "event leaves: {flips} bit flips; {decoded} decode (to a different, canonical event)"
    );
    // Flips inside hash bytes, for one, always give another valid event.
    assert!(decoded > 0);
}

// ---------------------------------------------------------------------------
// Random inputs to Event::decode
// ---------------------------------------------------------------------------

/// The text strings an event leaf contains, to steer random CBOR toward it.
const VOCAB: &[&str] = &[
    "v",
    "tender",
    "seq",
    "prev_tender",
    "prev_leaf",
    "received_ms",
    "principal",
    "body",
    "document",
    "schedule",
    "document_type",
    "sha256",
    "sm3",
    "size",
    "media_type",
    "title",
    "index",
    "leaf_hash",
    "bid_deadline_ms",
    "opening_ms",
    "bid",
    "tender_notice",
    "application/pdf",
    "",
];

/// Writes a CBOR head; sometimes in a longer form than needed.
fn head(rng: &mut StdRng, major: u8, arg: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    let widths = [arg < 24, arg < 1 << 8, arg < 1 << 16, arg < 1 << 32, true];
    let mut w = widths.iter().position(|&ok| ok).unwrap();
    if rng.random_range(0..8) == 0 {
        w = rng.random_range(w..5);
    }
    match w {
        0 => out.push(m | arg as u8),
        1 => out.extend([m | 24, arg as u8]),
        2 => {
            out.push(m | 25);
            out.extend((arg as u16).to_be_bytes());
        }
        3 => {
            out.push(m | 26);
            out.extend((arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(arg.to_be_bytes());
        }
    }
}

fn random_arg(rng: &mut StdRng) -> u64 {
    match rng.random_range(0..6) {
        0 => rng.random_range(0..24),
        1 => rng.random_range(0..=255),
        2 => rng.random_range(0..=u64::from(u32::MAX)),
        3 => u64::MAX - rng.random_range(0..3),
        4 => 1,
        _ => rng.random(),
    }
}

fn random_text(rng: &mut StdRng) -> String {
    if rng.random_bool(0.6) {
        return VOCAB[rng.random_range(0..VOCAB.len())].to_owned();
    }
    let len = rng.random_range(0..20);
    (0..len).map(|_| char::from_u32(rng.random_range(0..0x3_0000)).unwrap_or('\u{2014}')).collect()
}

/// A random CBOR item (well-formed apart from occasional lies about lengths).
fn random_item(rng: &mut StdRng, depth: u32, out: &mut Vec<u8>) {
    let leafy = depth >= 5;
    match rng.random_range(0..if leafy { 5 } else { 9 }) {
        0 => {
            let (major, arg) = (rng.random_range(0..2), random_arg(rng));
            head(rng, major, arg, out);
        }
        1 => {
            let len = if rng.random_bool(0.5) { 32 } else { rng.random_range(0..40) };
            if rng.random_range(0..20) == 0 {
                let lie = random_arg(rng); // a length the input does not have
                head(rng, 2, lie, out);
            } else {
                head(rng, 2, len, out);
            }
            out.extend((0..len).map(|_| rng.random::<u8>()));
        }
        2 => {
            let s = random_text(rng);
            head(rng, 3, s.len() as u64, out);
            out.extend(s.as_bytes());
        }
        3 => {
            let simple = [0xf4, 0xf5, 0xf6, 0xf7, 0xff, 0xe0, 0xf8];
            out.push(simple[rng.random_range(0..simple.len())]);
            if out.last() == Some(&0xf8) {
                out.push(rng.random());
            }
        }
        4 => match rng.random_range(0..3) {
            0 => {
                out.push(0xf9);
                out.extend(rng.random::<u16>().to_be_bytes());
            }
            1 => {
                out.push(0xfa);
                out.extend(rng.random::<f32>().to_be_bytes());
            }
            _ => {
                out.push(0xfb);
                out.extend(rng.random::<u64>().to_be_bytes());
            }
        },
        5 | 6 => {
            // A map, usually keyed by event field names.
            let n = rng.random_range(0..10);
            let indefinite = rng.random_range(0..10) == 0;
            if indefinite {
                out.push(0xbf);
            } else {
                head(rng, 5, n, out);
            }
            for _ in 0..n {
                let s = random_text(rng);
                head(rng, 3, s.len() as u64, out);
                out.extend(s.as_bytes());
                random_item(rng, depth + 1, out);
            }
            if indefinite {
                out.push(0xff);
            }
        }
        7 => {
            let n = rng.random_range(0..5);
            if rng.random_range(0..10) == 0 {
                out.push(0x9f);
                for _ in 0..n {
                    random_item(rng, depth + 1, out);
                }
                out.push(0xff);
            } else {
                head(rng, 4, n, out);
                for _ in 0..n {
                    random_item(rng, depth + 1, out);
                }
            }
        }
        _ => {
            let tag = random_arg(rng);
            head(rng, 6, tag, out);
            random_item(rng, depth + 1, out);
        }
    }
}

/// An event-shaped map: the right keys in the right order, random values,
/// sometimes a real value, sometimes a key dropped or renamed.
fn random_event_like(rng: &mut StdRng, real: &[u8], out: &mut Vec<u8>) {
    let keys =
        ["v", "tender", "seq", "prev_tender", "prev_leaf", "received_ms", "principal", "body"];
    let kept: Vec<&str> = keys.iter().copied().filter(|_| rng.random_range(0..12) != 0).collect();
    head(rng, 5, kept.len() as u64, out);
    for k in kept {
        let k = if rng.random_range(0..30) == 0 { random_text(rng) } else { k.to_owned() };
        head(rng, 3, k.len() as u64, out);
        out.extend(k.as_bytes());
        match (k.as_str(), rng.random_range(0..4)) {
            ("v", 0..=2) => out.push(0x01),
            ("body", 0..=1) => {
                // A body map around a random or event-like inner map.
                out.push(0xa1);
                let kind = if rng.random_bool(0.5) { "document" } else { "schedule" };
                head(rng, 3, kind.len() as u64, out);
                out.extend(kind.as_bytes());
                random_item(rng, 1, out);
            }
            ("body", 2) => {
                // The body of a real leaf (its last bytes), which decodes.
                let at = real.len().saturating_sub(rng.random_range(1..real.len()));
                out.extend(&real[at..]);
            }
            _ => random_item(rng, 1, out),
        }
    }
}

/// Decodes `input`; a panic fails the test and names the input.
fn decode_no_panic(input: &[u8]) -> bool {
    match catch_unwind(AssertUnwindSafe(|| Event::decode(input))) {
        Ok(Ok(e)) => {
            assert_eq!(
                e.encode().unwrap(),
                input,
                "decoded but not canonical: {}",
                hex::encode(input)
            );
            true
        }
        Ok(Err(_)) => false,
        Err(_) => panic!("Event::decode panicked on {}", hex::encode(input)),
    }
}

#[test]
fn event_decode_never_panics_on_random_input() {
    let mut rng = StdRng::seed_from_u64(0x6d75_7404);
    let leaves: Vec<Vec<u8>> = sample_events().iter().map(|e| e.encode().unwrap()).collect();
    let (mut inputs, mut decoded) = (0usize, 0usize);

    // 1,000 raw random byte strings, some starting like a map.
    for k in 0..1000 {
        let mut b = vec![0u8; rng.random_range(0..300usize)];
        rng.fill_bytes(&mut b);
        if k % 2 == 0 && !b.is_empty() {
            b[0] = 0xa8;
        }
        decoded += usize::from(decode_no_panic(&b));
        inputs += 1;
    }
    // 1,000 random well-formed CBOR items, most shaped like an event.
    for k in 0..1000 {
        let mut b = Vec::new();
        if k % 4 == 0 {
            random_item(&mut rng, 0, &mut b);
        } else {
            let real = &leaves[k % leaves.len()];
            random_event_like(&mut rng, real, &mut b);
        }
        decoded += usize::from(decode_no_panic(&b));
        inputs += 1;
    }
    // 1,000 valid leaves with several bytes changed, inserted, removed or cut.
    for k in 0..1000 {
        let mut b = leaves[k % leaves.len()].clone();
        for _ in 0..rng.random_range(1..=4) {
            let at = rng.random_range(0..b.len());
            match rng.random_range(0..4) {
                0 => b[at] = rng.random(),
                1 => b.insert(at, rng.random()),
                2 => {
                    b.remove(at);
                }
                _ => b.truncate(at.max(1)),
            }
        }
        decoded += usize::from(decode_no_panic(&b));
        inputs += 1;
    }
    assert_eq!(inputs, 3000);
    eprintln!("random inputs: {inputs} decoded without panic, {decoded} of them valid events");
}

/// `Note::parse` and `SignedCheckpoint::verify` do not panic on mangled notes.
#[test]
fn note_parse_never_panics_on_random_input() {
    let mut rng = StdRng::seed_from_u64(0x6d75_7405);
    let signer =
        NoteSigner::new("tenderlog.example/log", SigningKey::from_bytes(&[0x33; 32])).unwrap();
    let key = signer.verifier();
    let (mut t, _) = random_tree(0x6d75_7406, 5);
    let cp = Checkpoint::new("tenderlog.example/log", 5, tree_root(&mut t, 5).unwrap());
    let note = signer.sign(&cp.to_text()).unwrap();
    SignedCheckpoint::verify(note.as_bytes(), &key).unwrap();
    let alphabet = "\n \u{2014}+=/aZ09—\u{0}\u{7f}é".as_bytes();
    let mut inputs = 0usize;
    for _ in 0..2000 {
        let mut b = note.as_bytes().to_vec();
        for _ in 0..rng.random_range(1..=6) {
            let at = rng.random_range(0..b.len());
            match rng.random_range(0..4) {
                0 => b[at] = alphabet[rng.random_range(0..alphabet.len())],
                1 => b.insert(at, alphabet[rng.random_range(0..alphabet.len())]),
                2 => {
                    b.remove(at);
                }
                _ => b[at] = rng.random(),
            }
        }
        let r = catch_unwind(AssertUnwindSafe(|| {
            let _ = Note::parse(&b);
            SignedCheckpoint::verify(&b, &key).is_ok()
        }));
        match r {
            Ok(accepted) => {
                assert!(!accepted || b == note.as_bytes(), "mangled note accepted: {b:?}")
            }
            Err(_) => panic!("note parsing panicked on {}", hex::encode(&b)),
        }
        inputs += 1;
    }
    assert_eq!(inputs, 2000);
}

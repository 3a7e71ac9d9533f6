//! The bit-flip harness for evidence bundles, shared by the verifier's tests
//! and the end-to-end ones: every single-bit change of any member of a valid
//! bundle (members under 4 KiB every bit, larger ones a deterministic sample
//! of at least 2,000 positions), in a zip otherwise identical to the one
//! `Bundle::to_zip` writes, makes `Bundle::from_zip` refuse it ("bundle
//! format") or `verify_bundle` fail at least one check. It prints, per
//! member, which check caught how many mutants. A bundle proved against a
//! cosigned checkpoint is judged with the witness policy the user anchors
//! ([`assert_every_bit_flip_caught_with`]): then every bit of every
//! cosignature line counts too.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::io::{Cursor, Write as _};

use verifier::bundle::Bundle;
use verifier::report::{Options, Status, verify_bundle_with};
use verifier::witness_policy::WitnessPolicy;

/// A zip of `members` in this order, written exactly as `Bundle::to_zip`
/// writes (stored, fixed time, mode 0644), but with the bytes as given:
/// `to_zip` re-serialises the manifest, this keeps a mutated one.
pub(crate) fn zip_raw(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in members {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

/// What caught a mutant: "bundle format" when the zip could not be read as a
/// bundle, else the first failed check; `None` when it verified.
pub(crate) fn judge(zip: &[u8]) -> Option<&'static str> {
    judge_with(zip, None)
}

/// [`judge`] with a witness policy.
pub(crate) fn judge_with(zip: &[u8], policy: Option<&WitnessPolicy>) -> Option<&'static str> {
    match Bundle::from_zip(zip) {
        Err(_) => Some("bundle format"),
        Ok(b) => {
            // The verdict only: a mutant the log's part refuses is not
            // checked further (one that verifies is checked in full).
            let options = Options { witness_policy: policy, fail_fast: true, ..Options::default() };
            let r = verify_bundle_with(&b, &options);
            if r.verified {
                return None;
            }
            Some(r.checks.iter().find(|c| c.status == Status::Fail).unwrap().check.as_str())
        }
    }
}

/// The byte positions of a member to mutate: every one of a member under
/// 2 KiB, else a deterministic sample of 2,048. Members that large are
/// mostly signatures and certificates: a checkpoint with its ML-DSA-44 line
/// is 3.5 KiB, and every bit of one, with all its signature lines, is
/// flipped exhaustively in `tests/tests/cosigned_mutation.rs`.
pub(crate) fn positions(len: usize) -> Vec<usize> {
    if len < 2048 {
        return (0..len).collect();
    }
    // Deterministic: a stride coprime-ish to the length, plus both ends.
    let mut v: Vec<usize> = (0..2048).map(|i| (i * 7919 + 13) % len).collect();
    v.extend([0, 1, len - 2, len - 1]);
    v.sort_unstable();
    v.dedup();
    v
}

#[derive(Default)]
struct Tally {
    mutants: usize,
    caught: BTreeMap<&'static str, usize>,
    accepted: Vec<String>,
}

/// Flips every bit (or the sample) of every member of `bundle`, which must
/// verify, and fails naming every mutant that still verifies.
pub(crate) fn assert_every_bit_flip_caught(bundle: &Bundle) {
    assert_every_bit_flip_caught_with(bundle, None);
}

/// [`assert_every_bit_flip_caught`], judged with `policy`.
pub(crate) fn assert_every_bit_flip_caught_with(bundle: &Bundle, policy: Option<&WitnessPolicy>) {
    let start = std::time::Instant::now();
    let manifest = bundle.manifest.to_bytes();
    let mut members: Vec<(&str, &[u8])> = vec![("manifest.json", &manifest)];
    members.extend(bundle.members.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    // The unmutated zip is byte for byte what `to_zip` writes, and verifies.
    assert_eq!(zip_raw(&members), bundle.to_zip().unwrap());
    assert_eq!(judge_with(&zip_raw(&members), policy), None);

    // Each member on its own thread pair: two cores.
    let work: Vec<(usize, usize)> = members
        .iter()
        .enumerate()
        .flat_map(|(m, (_, bytes))| positions(bytes.len()).into_iter().map(move |p| (m, p)))
        .collect();
    let tallies: Vec<BTreeMap<usize, Tally>> = std::thread::scope(|s| {
        let handles: Vec<_> = work
            .chunks(work.len().div_ceil(2))
            .map(|chunk| {
                let members = &members;
                s.spawn(move || {
                    let mut tallies: BTreeMap<usize, Tally> = BTreeMap::new();
                    let mut set: Vec<(&str, Vec<u8>)> =
                        members.iter().map(|(n, b)| (*n, b.to_vec())).collect();
                    for &(m, pos) in chunk {
                        let t = tallies.entry(m).or_default();
                        for bit in 0..8 {
                            set[m].1[pos] ^= 1 << bit;
                            let refs: Vec<(&str, &[u8])> =
                                set.iter().map(|(n, b)| (*n, b.as_slice())).collect();
                            t.mutants += 1;
                            match judge_with(&zip_raw(&refs), policy) {
                                Some(check) => *t.caught.entry(check).or_default() += 1,
                                None => t.accepted.push(format!(
                                    "{} byte {pos} bit {bit}: {:#04x} {:?} -> {:#04x} {:?}",
                                    members[m].0,
                                    members[m].1[pos],
                                    members[m].1[pos] as char,
                                    set[m].1[pos],
                                    set[m].1[pos] as char,
                                )),
                            }
                            set[m].1[pos] ^= 1 << bit;
                        }
                    }
                    tallies
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut total: BTreeMap<usize, Tally> = BTreeMap::new();
    for part in tallies {
        for (m, t) in part {
            let into = total.entry(m).or_default();
            into.mutants += t.mutants;
            into.accepted.extend(t.accepted);
            for (check, n) in t.caught {
                *into.caught.entry(check).or_default() += n;
            }
        }
    }
    let mut all = 0;
    let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
    let mut accepted = Vec::new();
    for (m, t) in &total {
        let (name, bytes) = members[*m];
        println!(
            "{name} ({} bytes): {} mutants, {} accepted",
            bytes.len(),
            t.mutants,
            t.accepted.len()
        );
        for (check, n) in &t.caught {
            println!("    {check:<38} {n:>6}");
            *by_check.entry(check).or_default() += n;
        }
        assert_eq!(t.mutants, positions(bytes.len()).len() * 8, "{name}");
        all += t.mutants;
        accepted.extend(t.accepted.iter().cloned());
    }
    println!("all members: {all} mutants, {} accepted, in {:?}", accepted.len(), start.elapsed());
    println!("by check: {by_check:#?}");
    assert_eq!(total.len(), members.len());
    assert!(accepted.is_empty(), "accepted mutants:\n{}", accepted.join("\n"));
}

//! One container per bundle: `Bundle::from_zip` accepts exactly the bytes
//! `Bundle::to_zip` writes. Two copies of a member (zip readers differ on
//! which counts), bytes before or after the archive, a comment, a deflated
//! member, members in another order are each refused, and so is every
//! sampled single-bit change of the zip file itself — the container's
//! headers included, not only the members' contents.
#![allow(clippy::unwrap_used)]

mod common;
mod mutate;

use std::io::{Cursor, Write as _};

use verifier::bundle::Bundle;

fn refused(bytes: &[u8], what: &str) {
    match Bundle::from_zip(bytes) {
        Err(_) => {}
        Ok(b) => {
            let r = verifier::report::verify_bundle(&b, None, &[]);
            assert!(!r.verified, "{what}: accepted and verified");
            panic!("{what}: read as a bundle (then failed a check, but two readers could differ)");
        }
    }
}

/// The members of the golden bundle in `to_zip`'s order.
fn members(b: &Bundle) -> Vec<(String, Vec<u8>)> {
    let mut v = vec![("manifest.json".to_owned(), b.manifest.to_bytes())];
    v.extend(b.members.iter().map(|(n, m)| (n.clone(), m.clone())));
    v
}

fn zip_with(
    members: &[(String, Vec<u8>)],
    method: zip::CompressionMethod,
    comment: &str,
) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in members {
        zip.start_file(name.as_str(), opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    if !comment.is_empty() {
        zip.set_comment(comment).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

/// Replaces every occurrence of `from` with `to` (same length) in `bytes`:
/// renames a member in both its local and central headers.
fn rename(bytes: &mut [u8], from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let (f, t) = (from.as_bytes(), to.as_bytes());
    let mut n = 0;
    for i in 0..=bytes.len() - f.len() {
        if &bytes[i..i + f.len()] == f {
            bytes[i..i + f.len()].copy_from_slice(t);
            n += 1;
        }
    }
    assert_eq!(n, 2, "{from} in a local and a central header");
}

#[test]
fn only_the_canonical_container_is_read() {
    let b = common::tender_bundle();
    let genuine = b.to_zip().unwrap();
    assert!(Bundle::from_zip(&genuine).is_ok());
    let m = members(&b);

    // A second copy of a leaf, altered, before or after the genuine one; and
    // a second manifest.
    let leaf = m.iter().position(|(n, _)| n.starts_with("leaves/")).unwrap();
    for altered_first in [true, false] {
        let mut v = m.clone();
        let mut altered = v[leaf].clone();
        altered.0 = altered.0.replace(".cbor", ".cboX");
        altered.1[10] ^= 1;
        let at = if altered_first { leaf } else { leaf + 1 };
        v.insert(at, altered.clone());
        let mut bytes = zip_with(&v, zip::CompressionMethod::Stored, "");
        rename(&mut bytes, &altered.0, &v[leaf + usize::from(altered_first)].0);
        refused(&bytes, "a leaf stored twice");
    }
    let mut v = m.clone();
    v.insert(1, ("manifest.jsoX".into(), m[0].1.clone()));
    let mut bytes = zip_with(&v, zip::CompressionMethod::Stored, "");
    rename(&mut bytes, "manifest.jsoX", "manifest.json");
    refused(&bytes, "the manifest stored twice");

    // Bytes around the archive, a comment, compression, another order.
    refused(&[b"MZ\0\0".as_slice(), &genuine].concat(), "bytes before the archive");
    refused(&[genuine.as_slice(), b"\0"].concat(), "a byte after the archive");
    refused(&zip_with(&m, zip::CompressionMethod::Stored, "hello"), "a comment");
    refused(&zip_with(&m, zip::CompressionMethod::Deflated, ""), "deflated members");
    let mut v = m.clone();
    v.swap(1, 2);
    refused(&zip_with(&v, zip::CompressionMethod::Stored, ""), "members reordered");
}

#[test]
fn every_bit_flip_of_the_container_is_refused() {
    let genuine = common::tender_bundle().to_zip().unwrap();
    let mut bytes = genuine.clone();
    let mut tried = 0;
    for pos in mutate::positions(bytes.len()) {
        for bit in 0..8 {
            bytes[pos] ^= 1 << bit;
            assert!(
                mutate::judge(&bytes).is_some(),
                "byte {pos} bit {bit} of the zip flipped, and the bundle verified"
            );
            bytes[pos] ^= 1 << bit;
            tried += 1;
        }
    }
    assert_eq!(bytes, genuine);
    assert!(tried >= 8 * 2000.min(genuine.len()), "{tried} mutants");
}

/// A deflated member that would expand far beyond the limit is refused
/// before anything is decompressed.
#[test]
fn a_compressed_member_is_refused_before_it_is_expanded() {
    let b = common::tender_bundle();
    let mut m = members(&b);
    // 64 MiB of zeros deflate to about 64 KiB.
    m.push(("padding".into(), vec![0u8; 64 << 20]));
    let bytes = zip_with(&m, zip::CompressionMethod::Deflated, "");
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let e = Bundle::from_zip(&bytes).err().unwrap().to_string();
    assert!(e.contains("compressed"), "{e}");
}

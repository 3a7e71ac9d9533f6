//! The event codec against a second CBOR implementation: `ciborium`, which
//! wrote every leaf before the codec moved to `cbor4ii`. Both must give the
//! same bytes for every event, including integers and strings on each side
//! of every CBOR head-length boundary, and the digests built from CBOR
//! (content digest, sealed-bid commitment) must be the ones `ciborium`'s
//! bytes give. Leaves that `ciborium` reads but that are not canonical must
//! be refused.
#![allow(clippy::unwrap_used)]

use serde::Serialize;
use sha2::{Digest, Sha256};
use tenderlog_tests::events;
use verifier::Hash;
use verifier::event::{Body, Content, Document, Event, EventLink};

fn ciborium_bytes<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

/// Integers on both sides of each head length (1, 2, 3, 5, 9 bytes).
const NUMBERS: &[u64] = &[
    0,
    1,
    23,
    24,
    255,
    256,
    65_535,
    65_536,
    u32::MAX as u64,
    u32::MAX as u64 + 1,
    u64::MAX / 2,
    u64::MAX,
];

/// Text lengths on both sides of each head length.
const LENGTHS: &[usize] = &[1, 23, 24, 255, 256, 1_000];

fn variants() -> Vec<Event> {
    let mut out = Vec::new();
    for (_, e) in events::all() {
        out.push(e.clone());
        for &n in NUMBERS {
            let mut v = e.clone();
            v.received_ms = n;
            v.seq = n.max(1);
            v.prev_tender = Some(EventLink { index: n, leaf_hash: Hash([7; 32]) });
            if let Body::Document(d) = &mut v.body {
                d.size = n;
            }
            out.push(v);
        }
        for &len in LENGTHS {
            let mut v = e.clone();
            if !matches!(v.body, Body::SealedDocument(_)) {
                v.principal = "p".repeat(len.min(128));
            }
            if let Body::Document(d) = &mut v.body {
                d.title = Some("标".repeat(len / 3 + 1));
                d.media_type = format!("application/{}", "m".repeat(len.min(100)));
            }
            out.push(v);
        }
    }
    out
}

#[test]
fn both_implementations_give_the_same_leaves() {
    let all = variants();
    assert!(all.len() > 150, "{} variants", all.len());
    for e in &all {
        let ours = e.encode().unwrap();
        assert_eq!(ours, ciborium_bytes(e), "encodings differ for {:?}", e.kind());
        let theirs: Event = ciborium::from_reader(&ours[..]).unwrap();
        assert_eq!(&theirs, e);
        assert_eq!(&Event::decode(&ours).unwrap(), e);
    }
}

#[test]
fn digests_built_from_cbor_match_the_second_implementation() {
    #[derive(Serialize)]
    struct ContentRef<'a> {
        tender: &'a str,
        principal: &'a str,
        body: &'a Body,
    }
    #[derive(Serialize)]
    struct Opening<'a> {
        tender: &'a str,
        principal: &'a str,
        document: &'a Document,
    }
    for e in variants() {
        let body = match &e.body {
            Body::Document(d) => Body::Document(Document { received_timestamp: None, ..d.clone() }),
            b => b.clone(),
        };
        let bytes =
            ciborium_bytes(&ContentRef { tender: &e.tender, principal: &e.principal, body: &body });
        let mut h = Sha256::new();
        h.update(b"tenderlog/content/v1\n");
        h.update(&bytes);
        assert_eq!(e.content_digest().unwrap(), Hash(h.finalize().into()), "{}", e.kind());
        let content = Content { tender: e.tender.clone(), principal: e.principal.clone(), body };
        assert_eq!(content.digest().unwrap(), e.content_digest().unwrap());

        if let Body::Document(d) = &e.body {
            let salt = [9u8; 32];
            let opening = Opening { tender: &e.tender, principal: &e.principal, document: d };
            let mut h = Sha256::new();
            h.update(b"tenderlog/commitment/v1\n");
            h.update(salt);
            h.update(ciborium_bytes(&opening));
            assert_eq!(
                verifier::event::commitment(&salt, &e.tender, &e.principal, d).unwrap(),
                Hash(h.finalize().into())
            );
        }
    }
}

#[test]
fn leaves_the_lenient_reader_accepts_but_that_are_not_canonical_are_refused() {
    for (name, e) in events::all() {
        let leaf = e.encode().unwrap();
        // The envelope is a map of 8 or 9 fields: a one-byte head.
        assert!(matches!(leaf[0], 0xa8 | 0xa9), "{name}");
        let fields = leaf[0] & 0x1f;
        // The same map with a two-byte length head, and with an indefinite length.
        let long_head = [&[0xb8, fields][..], &leaf[1..]].concat();
        let indefinite = [&[0xbf][..], &leaf[1..], &[0xff][..]].concat();
        // Trailing bytes after the event.
        let trailing = [&leaf[..], &[0x00][..]].concat();
        for (how, bad) in [
            ("two-byte map head", long_head),
            ("indefinite map", indefinite),
            ("trailing", trailing),
        ] {
            if how != "trailing" {
                let lenient: Event = ciborium::from_reader(&bad[..]).unwrap();
                assert_eq!(lenient, e, "{name}: {how}");
            }
            assert!(Event::decode(&bad).is_err(), "{name}: {how} was accepted");
        }
    }
}

#[test]
fn envelopes_read_the_same_facts_as_the_full_decode() {
    use verifier::event::Envelope;
    for e in variants() {
        let leaf = e.encode().unwrap();
        assert_eq!(Envelope::read(&leaf).unwrap(), Envelope::from(&e), "{}", e.kind());
        // A leaf cut inside the envelope, or of another version, is refused.
        assert!(Envelope::read(&leaf[..20]).is_err());
        let mut v2 = e.clone();
        v2.v = 2;
        assert!(Envelope::read(&ciborium_bytes(&v2)).is_err());
    }
    // Fields out of their canonical order are refused.
    #[derive(Serialize)]
    struct Swapped<'a> {
        tender: &'a str,
        v: u64,
    }
    assert!(Envelope::read(&ciborium_bytes(&Swapped { tender: "T", v: 1 })).is_err());

    // Envelopes built value by value with ciborium: the good one reads, and
    // a link with another shape, a hash of another length, or a map too
    // short for the envelope are refused.
    use ciborium::Value;
    let text = |s: &str| Value::Text(s.into());
    let link = |fields: &[(&str, Value)]| {
        Value::Map(fields.iter().map(|(k, v)| (text(k), v.clone())).collect())
    };
    let h = Value::Bytes(vec![7; 32]);
    let good_link = link(&[("index", Value::Integer(3.into())), ("leaf_hash", h.clone())]);
    let envelope = |prev_tender: Value, prev_leaf: Value, extra: bool| {
        let mut m = vec![
            (text("v"), Value::Integer(1.into())),
            (text("tender"), text("ZB2026-001")),
            (text("seq"), Value::Integer(1.into())),
            (text("prev_tender"), prev_tender),
            (text("prev_leaf"), prev_leaf),
            (text("received_ms"), Value::Integer(1_700_000_000_000u64.into())),
        ];
        if extra {
            m.push((text("principal"), text("agency")));
        }
        let mut out = Vec::new();
        ciborium::into_writer(&Value::Map(m), &mut out).unwrap();
        out
    };
    let leaf = envelope(good_link.clone(), h.clone(), true);
    let e = Envelope::read(&leaf).unwrap();
    assert_eq!((e.tender, e.seq, e.received_ms), ("ZB2026-001", 1, 1_700_000_000_000));
    assert_eq!(e.prev_tender.map(|l| (l.index, l.leaf_hash.0)), Some((3, [7; 32])));
    assert_eq!(e.prev_leaf.map(|p| p.0), Some([7; 32]));
    let leaf = envelope(Value::Null, Value::Null, true);
    let e = Envelope::read(&leaf).unwrap();
    assert_eq!((e.prev_tender, e.prev_leaf), (None, None));
    let three = link(&[
        ("index", Value::Integer(3.into())),
        ("leaf_hash", h.clone()),
        ("extra", Value::Integer(0.into())),
    ]);
    let renamed = link(&[("idx", Value::Integer(3.into())), ("leaf_hash", h.clone())]);
    let short_hash =
        link(&[("index", Value::Integer(3.into())), ("leaf_hash", Value::Bytes(vec![7; 31]))]);
    for (how, leaf) in [
        ("link of three fields", envelope(three, h.clone(), true)),
        ("link with another key", envelope(renamed, h.clone(), true)),
        ("link hash of 31 bytes", envelope(short_hash, h.clone(), true)),
        ("prev_leaf of 33 bytes", envelope(good_link.clone(), Value::Bytes(vec![7; 33]), true)),
        ("prev_leaf as text", envelope(good_link.clone(), text("07"), true)),
        ("a map of five entries", {
            let mut l = envelope(good_link.clone(), h.clone(), false);
            l[0] = 0xa5;
            l
        }),
    ] {
        assert!(Envelope::read(&leaf).is_err(), "{how} was read");
    }
}

//! The C2SP `tlog-witness` `add-checkpoint` request body, read by the
//! witness and written by the log's witness client — one format, one
//! parser (fuzzed: `fuzz/fuzz_targets/add_checkpoint.rs`).
//!
//! ```text
//! old 20852014
//! PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
//! jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
//!
//! example.com/behind-the-sofa
//! 20852163
//! CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
//!
//! — example.com/behind-the-sofa Az3grlgt…
//! ```

use crate::Error;
use crate::hash::Hash;
use crate::note::MAX_NOTE_BYTES;

/// Most consistency proof lines a request may carry (the spec's limit).
pub const MAX_PROOF_LINES: usize = 63;
/// Largest request body: the old-size line, 63 proof lines and a note.
pub const MAX_BODY_BYTES: usize = 32 + MAX_PROOF_LINES * 45 + MAX_NOTE_BYTES;

/// A parsed `add-checkpoint` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness holds.
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, bytes as sent (not yet parsed or verified).
    pub checkpoint: Vec<u8>,
}

fn bad(m: &'static str) -> Error {
    Error::NoteFormat(m)
}

/// A decimal with no leading zeroes (`0` alone for zero), as the spec
/// writes sizes.
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl AddCheckpoint {
    /// Parses a request body strictly: every line ends in a newline, the
    /// size has no leading zeroes, each proof line is one canonical base64
    /// hash, at most 63 of them, and an empty line before the checkpoint.
    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, Error> {
        if body.len() > MAX_BODY_BYTES {
            return Err(bad("add-checkpoint body is too large"));
        }
        let mut rest = body;
        let mut line = || -> Result<&[u8], Error> {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or(bad("add-checkpoint line without a newline"))?;
            let (l, r) = rest.split_at(end);
            rest = &r[1..];
            Ok(l)
        };
        let first = std::str::from_utf8(line()?).map_err(|_| bad("old-size line is not text"))?;
        let old = first
            .strip_prefix("old ")
            .and_then(decimal)
            .ok_or(bad("first line is not `old <size>`"))?;
        let mut proof = Vec::new();
        loop {
            let l = line()?;
            if l.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad("more than 63 consistency proof lines"));
            }
            let text = std::str::from_utf8(l).map_err(|_| bad("proof line is not text"))?;
            let h = Hash::from_base64(text).map_err(|_| bad("proof line is not a base64 hash"))?;
            if h.to_base64() != text {
                return Err(bad("proof line is not canonical base64"));
            }
            proof.push(h);
        }
        Ok(AddCheckpoint { old, proof, checkpoint: rest.to_vec() })
    }

    /// The request body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old).into_bytes();
        for h in &self.proof {
            out.extend_from_slice(h.to_base64().as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.checkpoint);
        out
    }
}

/// Parses a `409 Conflict` body (`text/x.tlog.size`): the witness's size.
pub fn parse_size(body: &[u8]) -> Result<u64, Error> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|s| s.strip_suffix('\n'))
        .and_then(decimal)
        .ok_or(bad("not a text/x.tlog.size body"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_example_round_trips_and_malformed_bodies_are_refused() {
        let body = "old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
                    jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\nexample.com/behind-the-sofa\n\
                    20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} x AAAA\n";
        let r = AddCheckpoint::parse(body.as_bytes()).unwrap();
        assert_eq!(r.old, 20852014);
        assert_eq!(r.proof.len(), 2);
        assert!(r.checkpoint.starts_with(b"example.com/behind-the-sofa\n"));
        assert_eq!(r.to_bytes(), body.as_bytes());
        let ok = AddCheckpoint::parse(b"old 0\n\ncp").unwrap();
        assert_eq!((ok.old, ok.proof.len()), (0, 0));
        let line = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n";
        for bad in [
            "old 01\n\n".to_owned(),
            "old -1\n\n".into(),
            "old 1".into(),
            "old  1\n\n".into(),
            "Old 1\n\n".into(),
            "old 1\nPlRN\n\n".into(),
            "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw\n\n".into(),
            "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=".into(),
            format!("old 1\n{}\n", line.repeat(64)),
            "old 18446744073709551616\n\n".into(),
        ] {
            assert!(AddCheckpoint::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(AddCheckpoint::parse(format!("old 1\n{}\n", line.repeat(63)).as_bytes()).is_ok());
        assert_eq!(parse_size(b"17\n").unwrap(), 17);
        for bad in ["17", "017\n", "x\n", "\n"] {
            assert!(parse_size(bad.as_bytes()).is_err());
        }
    }
}

//! C2SP `tlog-policy`: which logs are trusted, which witnesses, and the
//! quorum of cosignatures a checkpoint needs — the file a regulator or an
//! arbitrator gives the offline verifier (`--policy FILE`).
//!
//! ```text
//! log ggzy.example.gov.cn/tenderlog+1a2b3c4d+AQ…
//! witness fgw ggzy-witness.fgw.example.gov.cn+5e6f7a8b+BA…
//! witness audit audit.example.gov.cn/witness+9c0d1e2f+BA…
//! group regulators any fgw audit
//! quorum regulators
//! ```
//!
//! Parsed strictly: every rule of the spec is checked (names defined
//! before use, no duplicates, `1 ≤ k ≤ n`, exactly one quorum line), and a
//! line that is not understood is an error naming it, never skipped.

use std::collections::{BTreeMap, BTreeSet};

use crate::Error;
use crate::cosignature::CosignerKey;
use crate::note::{Note, NoteVerifier};

/// Largest policy file read, in bytes.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
/// Most witnesses, groups or logs in one policy.
pub const MAX_ENTRIES: usize = 256;

/// A parsed policy.
#[derive(Clone, Debug)]
pub struct WitnessPolicy {
    /// The trusted logs, with their URLs if given.
    pub logs: Vec<(NoteVerifier, Option<String>)>,
    /// The witnesses by name, with their URLs if given.
    pub witnesses: BTreeMap<String, (CosignerKey, Option<String>)>,
    groups: BTreeMap<String, Group>,
    quorum: Option<String>,
}

/// A group: at least `k` of `members` (witnesses or earlier groups).
#[derive(Clone, Debug)]
struct Group {
    k: usize,
    members: Vec<String>,
}

/// How a checkpoint fared against the policy's witnesses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumCheck {
    /// The witnesses whose cosignature verified, with its time.
    pub cosigned: BTreeMap<String, u64>,
    /// The witnesses that had a line on the note that did not verify.
    pub invalid: Vec<String>,
    /// Whether the quorum is met.
    pub met: bool,
}

fn bad(line: usize, m: impl Into<String>) -> Error {
    Error::Submission(format!("witness policy line {line}: {}", m.into()))
}

impl WitnessPolicy {
    /// Parses a policy file.
    pub fn parse(text: &str) -> Result<WitnessPolicy, Error> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(Error::Submission(format!(
                "witness policy: over {MAX_POLICY_BYTES} bytes"
            )));
        }
        let mut p = WitnessPolicy {
            logs: Vec::new(),
            witnesses: BTreeMap::new(),
            groups: BTreeMap::new(),
            quorum: None,
        };
        for (i, raw) in text.split('\n').enumerate() {
            let n = i + 1;
            // Whitespace is ASCII space and tab only.
            let words: Vec<&str> = raw.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some(&keyword) = words.first() else { continue };
            if keyword.starts_with('#') {
                continue;
            }
            if raw.chars().any(|c| c.is_control() && c != '\t' && c != '\r') {
                return Err(bad(n, "a control character"));
            }
            if p.logs.len() + p.witnesses.len() + p.groups.len() >= MAX_ENTRIES {
                return Err(bad(n, format!("more than {MAX_ENTRIES} logs, witnesses and groups")));
            }
            let words: Vec<&str> =
                words.iter().map(|w| w.trim_end_matches('\r')).filter(|w| !w.is_empty()).collect();
            match words.as_slice() {
                ["log", vkey, rest @ ..] if rest.len() <= 1 => {
                    let key = NoteVerifier::parse(vkey).map_err(|e| bad(n, e.to_string()))?;
                    if p.logs.iter().any(|(k, _)| k.vkey() == key.vkey()) {
                        return Err(bad(n, "a log listed twice"));
                    }
                    p.logs.push((key, rest.first().map(|u| (*u).to_owned())));
                }
                ["witness", name, vkey, rest @ ..] if rest.len() <= 1 => {
                    p.new_name(n, name)?;
                    let key = CosignerKey::parse(vkey).map_err(|e| bad(n, e.to_string()))?;
                    if p.witnesses.values().any(|(k, _)| k.same_key(&key)) {
                        return Err(bad(n, "a witness key listed twice"));
                    }
                    p.witnesses
                        .insert((*name).to_owned(), (key, rest.first().map(|u| (*u).to_owned())));
                }
                ["group", name, k, members @ ..] if !members.is_empty() => {
                    p.new_name(n, name)?;
                    let mut seen = BTreeSet::new();
                    for m in members {
                        if *m == "none" {
                            return Err(bad(n, "none is not a group member"));
                        }
                        if !p.defined(m) {
                            return Err(bad(n, format!("{m} is not defined on an earlier line")));
                        }
                        if !seen.insert(*m) {
                            return Err(bad(n, format!("{m} listed twice in the group")));
                        }
                    }
                    let k = match *k {
                        "all" => members.len(),
                        "any" => 1,
                        k => match k.parse::<usize>() {
                            // Decimal as written: `02` or `+2` is not 2.
                            Ok(v) if v >= 1 && v <= members.len() && v.to_string() == k => v,
                            _ => {
                                return Err(bad(
                                    n,
                                    format!("threshold {k}: all, any or 1 to {}", members.len()),
                                ));
                            }
                        },
                    };
                    let members = members.iter().map(|m| (*m).to_owned()).collect();
                    p.groups.insert((*name).to_owned(), Group { k, members });
                }
                ["quorum", name] => {
                    if p.quorum.is_some() {
                        return Err(bad(n, "a second quorum line"));
                    }
                    if *name != "none" && !p.defined(name) {
                        return Err(bad(n, format!("{name} is not defined on an earlier line")));
                    }
                    p.quorum = Some((*name).to_owned());
                }
                _ => {
                    return Err(bad(
                        n,
                        format!("not a log, witness, group or quorum line: {raw:?}"),
                    ));
                }
            }
        }
        if p.quorum.is_none() {
            return Err(Error::Submission("witness policy: no quorum line".into()));
        }
        Ok(p)
    }

    /// The policy "any `k` of these witness keys" (what a bundle proposes:
    /// `trust.witness_keys`, `trust.witness_quorum`), each witness named by
    /// its key name.
    pub fn any_of(vkeys: &[String], k: u32) -> Result<WitnessPolicy, Error> {
        let mut text = String::new();
        let mut names = Vec::new();
        for v in vkeys {
            let key = CosignerKey::parse(v)?;
            names.push(format!("{}#{:08x}", key.name(), key.key_id()));
            text += &format!("witness {} {v}\n", names[names.len() - 1]);
        }
        if k == 0 {
            text += "quorum none\n";
        } else {
            text += &format!("group proposed {k} {}\nquorum proposed\n", names.join(" "));
        }
        WitnessPolicy::parse(&text)
    }

    /// This policy as "any `k` of these witness keys" (what a bundle can
    /// propose), when it is one: its quorum one witness, or one group of
    /// witnesses only. `None` for no quorum or nested groups (a verifier
    /// must then be given the policy itself).
    pub fn as_any_of(&self) -> Option<(Vec<String>, u32)> {
        let quorum = self.quorum.as_deref()?;
        if let Some((key, _)) = self.witnesses.get(quorum) {
            return Some((vec![key.vkey()], 1));
        }
        let g = self.groups.get(quorum)?;
        let keys: Option<Vec<String>> =
            g.members.iter().map(|m| self.witnesses.get(m).map(|(k, _)| k.vkey())).collect();
        Some((keys?, u32::try_from(g.k).ok()?))
    }

    fn defined(&self, name: &str) -> bool {
        self.witnesses.contains_key(name) || self.groups.contains_key(name)
    }

    fn new_name(&self, line: usize, name: &str) -> Result<(), Error> {
        if name == "none" || self.defined(name) {
            return Err(bad(line, format!("the name {name} is taken")));
        }
        Ok(())
    }

    /// Whether witnesses `cosigned` satisfy `name` (a witness or a group).
    fn satisfies(&self, name: &str, cosigned: &BTreeMap<String, u64>, depth: usize) -> bool {
        if name == "none" {
            return true;
        }
        if let Some(g) = self.groups.get(name) {
            // Groups only name earlier ones, so this ends; the depth is a
            // guard all the same.
            return depth < MAX_ENTRIES
                && g.members.iter().filter(|m| self.satisfies(m, cosigned, depth + 1)).count()
                    >= g.k;
        }
        cosigned.contains_key(name)
    }

    /// Checks the cosignatures on `note` (a checkpoint the log's key
    /// already verified) against the witnesses and the quorum.
    pub fn check(&self, note: &Note) -> QuorumCheck {
        let mut cosigned = BTreeMap::new();
        let mut invalid = Vec::new();
        for (name, (key, _)) in &self.witnesses {
            match key.verify(note) {
                Ok(t) => {
                    cosigned.insert(name.clone(), t);
                }
                Err(Error::NoteUnsigned { .. }) => {}
                Err(_) => invalid.push(name.clone()),
            }
        }
        let quorum = self.quorum.as_deref().unwrap_or("none");
        let met = self.satisfies(quorum, &cosigned, 0);
        QuorumCheck { cosigned, invalid, met }
    }

    /// The quorum line's name (`none` when no cosignature is required).
    pub fn quorum(&self) -> &str {
        self.quorum.as_deref().unwrap_or("none")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosignature::Cosigner;
    use crate::note::NoteSigner;
    use ed25519_dalek::SigningKey;

    fn witness(n: u8) -> Cosigner {
        Cosigner::new(&format!("w{n}.example"), SigningKey::from_bytes(&[n; 32])).unwrap()
    }

    #[test]
    fn a_two_level_quorum_as_the_spec_describes() {
        let log = NoteSigner::new("example.com/log", SigningKey::from_bytes(&[99; 32])).unwrap();
        let ws: Vec<Cosigner> = (1..=6).map(witness).collect();
        let policy = format!(
            "# the spec's example\nlog {}\n\nwitness X1 {}\nwitness X2 {}\nwitness X3 {}\ngroup X-witnesses 2 X1 X2 X3\n\
             witness Y1 {}\n  witness\tY2 {} https://y2.example/\nwitness Y3 {}\ngroup Y-witnesses any Y1 Y2 Y3\n\
             group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
            log.verifier().vkey(),
            ws[0].public().vkey(),
            ws[1].public().vkey(),
            ws[2].public().vkey(),
            ws[3].public().vkey(),
            ws[4].public().vkey(),
            ws[5].public().vkey(),
        );
        let p = WitnessPolicy::parse(&policy).unwrap();
        assert_eq!(p.quorum(), "X-and-Y");
        let note =
            log.sign("example.com/log\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n").unwrap();
        let with = |idx: &[usize]| {
            let mut n = note.clone();
            for &i in idx {
                n = ws[i].cosign(&n, 1_700_000_000 + i as u64).unwrap();
            }
            p.check(&Note::parse(n.as_bytes()).unwrap())
        };
        assert!(with(&[0, 1, 3]).met, "two X and one Y");
        assert!(!with(&[0, 3, 4]).met, "one X only");
        assert!(!with(&[0, 1, 2]).met, "no Y");
        let c = with(&[0, 1, 2, 5]);
        assert!(c.met);
        assert_eq!(c.cosigned["Y3"], 1_700_000_005);
        // A line in X1's name and key ID that does not verify (it signs
        // another body) is named as invalid, not counted.
        let forged = format!("{note}{}", ws[0].line("other\n", 5).unwrap());
        let c = p.check(&Note::parse(forged.as_bytes()).unwrap());
        assert!(!c.met);
        assert!(c.cosigned.is_empty(), "{c:?}");
        assert_eq!(c.invalid, ["X1"]);
    }

    /// Only a flat quorum can be proposed by a bundle, and what it proposes
    /// judges a checkpoint as the policy does.
    #[test]
    fn a_flat_quorum_as_a_bundle_proposes_it() {
        let ws: Vec<Cosigner> = (1..=3).map(witness).collect();
        let v: Vec<String> = ws.iter().map(|w| w.public().vkey()).collect();
        let flat = format!(
            "witness A {}\nwitness B {}\nwitness C {}\ngroup two 2 A B C\nquorum two\n",
            v[0], v[1], v[2]
        );
        let p = WitnessPolicy::parse(&flat).unwrap();
        assert_eq!(p.as_any_of(), Some((v.clone(), 2)));
        let one = WitnessPolicy::parse(&format!("witness A {}\nquorum A\n", v[0])).unwrap();
        assert_eq!(one.as_any_of(), Some((vec![v[0].clone()], 1)));
        let nested = format!("{flat}group top 1 two C\nquorum top\n").replace("quorum two\n", "");
        assert_eq!(WitnessPolicy::parse(&nested).unwrap().as_any_of(), None);
        assert_eq!(WitnessPolicy::parse("quorum none\n").unwrap().as_any_of(), None);
        let (keys, k) = p.as_any_of().unwrap();
        let proposed = WitnessPolicy::any_of(&keys, k).unwrap();
        let log = NoteSigner::new("example.com/log", SigningKey::from_bytes(&[99; 32])).unwrap();
        let note =
            log.sign("example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n").unwrap();
        for idx in [&[0usize][..], &[0, 2], &[1, 2], &[0, 1, 2]] {
            let mut n = note.clone();
            for &i in idx {
                n = ws[i].cosign(&n, 1_700_000_000).unwrap();
            }
            let n = Note::parse(n.as_bytes()).unwrap();
            assert_eq!(p.check(&n).met, proposed.check(&n).met, "{idx:?}");
        }
    }

    #[test]
    fn malformed_policies_are_refused_naming_the_line() {
        let w = witness(1).public().vkey();
        let w2 = witness(2).public().vkey();
        for (text, why) in [
            ("".to_owned(), "no quorum"),
            (format!("witness a {w}\nquorum b\n"), "not defined"),
            (format!("witness a {w}\nquorum a\nquorum a\n"), "second quorum"),
            (format!("witness a {w}\nwitness a {w2}\nquorum a\n"), "taken"),
            (format!("witness a {w}\nwitness b {w}\nquorum a\n"), "twice"),
            (format!("witness a {w}\ngroup g 2 a\nquorum g\n"), "threshold"),
            (format!("witness a {w}\ngroup g 0 a\nquorum g\n"), "threshold"),
            (format!("witness a {w}\ngroup g 01 a\nquorum g\n"), "threshold"),
            (format!("witness a {w}\ngroup g any a a\nquorum g\n"), "twice"),
            (format!("witness a {w}\ngroup g any none\nquorum g\n"), "none is not"),
            (format!("group g any a\nwitness a {w}\nquorum g\n"), "not defined"),
            (format!("witnes a {w}\nquorum none\n"), "not a log"),
            ("witness none x\nquorum none\n".to_owned(), "taken"),
            (format!("log {w}\nquorum none\n"), "verifier key"),
        ] {
            let err = WitnessPolicy::parse(&text).unwrap_err().to_string();
            assert!(err.contains(why), "{text:?}: {err}");
        }
        assert_eq!(WitnessPolicy::parse("quorum none\n").unwrap().quorum(), "none");
    }
}

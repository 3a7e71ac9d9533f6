//! A tender's compliance report from the log: its chain as of the newest
//! checkpoint, judged by `verifier::rules` — the same function an offline
//! verifier runs on the tender's bundle, with the same calendar and rule
//! pack, so the two reports are identical.

use std::collections::HashMap;

use verifier::event::{Body, CertificateEvent, Event};
use verifier::rules::{Compliance, Reading, Step};
use verifier::signing::CertRecord;

use crate::error::{LedgerError, Result};
use crate::storage::Lookups as _;
use crate::store::Store;

impl Store {
    /// The compliance report of `tender` over the log covered by the newest
    /// signed checkpoint (its size is returned with it); `None` when the
    /// tender has no events there.
    pub fn compliance(&self, tender: &str, reading: Reading) -> Result<Option<(u64, Compliance)>> {
        let size = self.latest_checkpoint()?.checkpoint.size;
        let mut chain = Vec::new();
        for (_, index) in self.tender_events(tender)? {
            if index < size {
                let leaf = self.leaf(index)?;
                let event = Event::decode(&leaf)
                    .map_err(|e| LedgerError::Corrupt(format!("leaf {index}: {e}")))?;
                chain.push((index, event));
            }
        }
        if chain.is_empty() {
            return Ok(None);
        }
        let refs: Vec<(u64, &Event)> = chain.iter().map(|(i, e)| (*i, e)).collect();
        let pack = match verifier::rules::pack_link(&refs) {
            Some(link) if link.index < size => {
                let leaf = self.leaf(link.index)?;
                match Event::decode(&leaf).map(|e| e.body) {
                    Ok(Body::Policy(p)) => p,
                    _ => {
                        return Err(LedgerError::Corrupt(format!(
                            "entry {} named as a rule pack is not one",
                            link.index
                        )));
                    }
                }
            }
            _ => verifier::policy::RulePack::default_pack(),
        };
        let certs = self.signer_records(&refs, size)?;
        let calendar = self.calendar_in_force(size)?;
        let steps: Vec<Step<'_>> = refs.iter().map(|(i, e)| Step::of(*i, e)).collect();
        let ctx = verifier::rules::Context {
            calendar: &calendar,
            reading,
            pack: &pack,
            certs: Some(&certs),
        };
        Ok(Some((size, verifier::rules::judge(tender, &steps, &ctx))))
    }

    /// The holiday calendar in force in the tree of `size` entries: the
    /// latest published (`calendar` events), else the shipped one.
    pub fn calendar_in_force(&self, size: u64) -> Result<verifier::calendar::Calendar> {
        let latest = self
            .tender_events(verifier::event::CALENDAR_TENDER)?
            .into_iter()
            .map(|(_, i)| i)
            .filter(|i| *i < size)
            .max();
        let event = match latest {
            Some(index) => Some((
                index,
                Event::decode(&self.leaf(index)?)
                    .map_err(|e| LedgerError::Corrupt(format!("leaf {index}: {e}")))?,
            )),
            None => None,
        };
        verifier::calendar::Calendar::in_force(event.iter().map(|(i, e)| (*i, e)))
            .map_err(|e| LedgerError::Corrupt(format!("the calendar in force: {e}")))
    }

    /// The registered certificates of every signer of the chain's documents
    /// (open or revealed), from their lifecycle chains in the tree of `size`
    /// entries: what a tender bundle carries for the same documents.
    fn signer_records(
        &self,
        chain: &[(u64, &Event)],
        size: u64,
    ) -> Result<HashMap<verifier::Hash, CertRecord>> {
        let mut out = HashMap::new();
        for (_, e) in chain {
            let Some(doc) = e.body.document() else { continue };
            for fp in verifier::signing::signer_fingerprints(doc) {
                if out.contains_key(&fp) {
                    continue;
                }
                let tender = verifier::event::cert_tender(&fp);
                let mut events = Vec::new();
                for (_, index) in self.tender_events(&tender)? {
                    if index >= size {
                        continue;
                    }
                    let leaf = self.leaf(index)?;
                    match Event::decode(&leaf).map(|e| e.body) {
                        Ok(Body::Certificate(c)) => events.push((index, c)),
                        _ => {
                            return Err(LedgerError::Corrupt(format!(
                                "entry {index} in chain {tender} is not a certificate event"
                            )));
                        }
                    }
                }
                if events.is_empty() {
                    continue;
                }
                let list: Vec<(u64, &CertificateEvent)> =
                    events.iter().map(|(i, c)| (*i, c)).collect();
                let record = CertRecord::from_chain(&list)
                    .map_err(|e| LedgerError::Corrupt(format!("chain {tender}: {e}")))?;
                out.insert(fp, record);
            }
        }
        Ok(out)
    }
}

//! What-if timelines: one tender's events given as JSON rather than read
//! from a log, so an agency can check a planned schedule before publishing
//! it, and rules can be tried without certificates.
//!
//! A timeline is a JSON array, in time order, of
//! `{"at": <RFC 3339 time with offset>, "event": <a submission>}`; the
//! submission is exactly what `POST /v1/events` takes (`kind`, `tender`,
//! `principal`, `body`). `at` plays the platform's received time. A
//! `sealed_document` is judged as a sealed filing; a `reveal` names the
//! sealed filing by its position in the timeline (`sealed.index`, from 0);
//! its salt and leaf hash are not checked. A principal left out is
//! [`DEFAULT_PRINCIPAL`].

use jiff::Timestamp;
use serde::Deserialize;

use crate::Error;
use crate::event::{Body, Request, SEALED_PRINCIPAL, SealedDocument, Submission, commitment};

use super::Step;

/// Largest timeline read, in bytes.
pub const MAX_TIMELINE_BYTES: usize = 16 << 20;
/// Most events in a timeline.
pub const MAX_TIMELINE_EVENTS: usize = 100_000;
/// The principal of an event that names none.
pub const DEFAULT_PRINCIPAL: &str = "timeline";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    at: String,
    event: Submission,
}

/// The entries, read one at a time: an error names the entry, and the
/// count is bounded while reading.
struct Entries(Vec<Entry>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON array of {\"at\": <RFC 3339 time>, \"event\": <submission>}")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Entries, A::Error> {
                use serde::de::Error as _;
                let mut out = Vec::new();
                loop {
                    let i = out.len();
                    if i == MAX_TIMELINE_EVENTS {
                        if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                            return Err(A::Error::custom(format!(
                                "more than {MAX_TIMELINE_EVENTS} events"
                            )));
                        }
                        break;
                    }
                    match seq.next_element::<Entry>() {
                        Ok(Some(e)) => out.push(e),
                        Ok(None) => break,
                        Err(e) => return Err(A::Error::custom(format!("event {i}: {e}"))),
                    }
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_seq(V)
    }
}

/// One event of a timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// When it is received, ms since the Unix epoch.
    pub received_ms: u64,
    /// Who files it ([`SEALED_PRINCIPAL`] for a sealed filing).
    pub principal: String,
    /// What it is.
    pub body: Body,
}

/// A tender's events, read from a timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// The tender.
    pub tender: String,
    /// Its events, in order.
    pub items: Vec<Item>,
}

impl Timeline {
    /// The events as the rules read them; each is at its position.
    pub fn steps(&self) -> Vec<Step<'_>> {
        (0u64..)
            .zip(&self.items)
            .map(|(at, i)| Step {
                at,
                received_ms: i.received_ms,
                principal: &i.principal,
                body: &i.body,
            })
            .collect()
    }
}

/// Reads a timeline, refusing what is not one tender's events in time order.
pub fn read(json: &[u8]) -> Result<Timeline, Error> {
    let bad = |m: String| Error::Submission(format!("timeline: {m}"));
    if json.len() > MAX_TIMELINE_BYTES {
        return Err(bad(format!("{} bytes; the limit is {MAX_TIMELINE_BYTES}", json.len())));
    }
    let Entries(entries) = serde_json::from_slice(json).map_err(|e| bad(e.to_string()))?;
    if entries.is_empty() {
        return Err(bad("no events".into()));
    }
    let mut tender: Option<String> = None;
    let mut items = Vec::with_capacity(entries.len());
    let mut last = 0u64;
    for (i, e) in entries.into_iter().enumerate() {
        let at = |m: String| bad(format!("event {i}: {m}"));
        let ts: Timestamp = e.at.parse().map_err(|err| {
            at(format!("at {:?} is not an RFC 3339 time with an offset: {err}", e.at))
        })?;
        let received_ms = u64::try_from(ts.as_millisecond())
            .map_err(|_| at(format!("at {:?} is before 1970", e.at)))?;
        if received_ms < last {
            return Err(at(format!("at {:?} is earlier than the event before it", e.at)));
        }
        last = received_ms;
        let request =
            e.event.into_request(Some(DEFAULT_PRINCIPAL)).map_err(|err| at(err.to_string()))?;
        let (t, principal, body) = match request {
            Request::Log(c) => {
                if !matches!(
                    c.body,
                    Body::Document(_)
                        | Body::Schedule(_)
                        | Body::Reveal(_)
                        | Body::Registration(_)
                        | Body::Procedure(_)
                ) {
                    return Err(at(format!(
                        "a {} event is not part of a tender's procedure; a timeline holds registration, schedule, document, sealed_document, reveal and procedure events",
                        c.body.kind()
                    )));
                }
                (c.tender, c.principal, c.body)
            }
            Request::Seal(s) => {
                let c = commitment(&[0; 32], &s.tender, &s.principal, &s.document)
                    .map_err(|err| at(err.to_string()))?;
                let body = Body::SealedDocument(SealedDocument {
                    document_type: s.document.document_type,
                    commitment: c,
                });
                (s.tender, SEALED_PRINCIPAL.to_owned(), body)
            }
        };
        match &tender {
            None => tender = Some(t),
            Some(first) if *first != t => {
                return Err(at(format!("tender {t:?}; a timeline is one tender's ({first:?})")));
            }
            Some(_) => {}
        }
        if let Body::Reveal(r) = &body
            && r.sealed.index >= i as u64
        {
            return Err(at(format!(
                "the reveal names position {}, which is not an earlier event",
                r.sealed.index
            )));
        }
        items.push(Item { received_ms, principal, body });
    }
    Ok(Timeline { tender: tender.unwrap_or_default(), items })
}

//! Admission: what happens to a submission before it is queued.
//!
//! Everything that may wait on the network happens here, on the submitter's
//! own thread, never on the sequencer's: a document of a type whose rule pack
//! requires a trusted timestamp, and that arrives without one, gets the
//! platform's token (`received_timestamp`) from the configured TSA now. A
//! slow or silent TSA therefore delays only the submissions that need its
//! token; every other submission keeps its receipt latency.
//!
//! The decision against the log's state (certificate chains, seal bindings,
//! the rule pack's rules) is made when the submission is sequenced, against
//! the log with every earlier entry of its batch (`writer::checks`): two
//! submissions in flight may depend on each other (a certificate and the
//! first document it signs), and only the sequencer sees them in order.

use std::sync::{Arc, RwLock};

use verifier::event::{Body, Bytes, Content, Request};
use verifier::hash::Hash;
use verifier::policy::RulePack;

use crate::clock::Clock;
use crate::stamper::Stamper;

/// A submission that has been through admission: the only thing the
/// sequencer's queue takes.
///
/// It carries its content digest (the duplicate check's key), computed
/// here on the submitter's thread: the encoding and hashing of every
/// submission then runs in parallel, off the one sequencer thread.
#[derive(Debug)]
pub struct Admitted {
    pub(crate) request: Request,
    /// The content digest of a [`Request::Log`]; `None` for a seal request
    /// (its content is made at sequencing) or content whose digest fails
    /// (the sequencer refuses it with the reason).
    pub(crate) digest: Option<Hash>,
}

impl Admitted {
    /// The submission as it will be sequenced.
    pub fn request(&self) -> &Request {
        &self.request
    }
}

impl From<Request> for Admitted {
    /// Admits `request` with no platform timestamp (for callers that hold
    /// the [`Ledger`](crate::Ledger) itself).
    fn from(request: Request) -> Admitted {
        let digest = match &request {
            Request::Log(content) => content.digest().ok(),
            Request::Seal(_) => None,
        };
        Admitted { request, digest }
    }
}

impl From<Content> for Admitted {
    fn from(content: Content) -> Admitted {
        Admitted::from(Request::Log(content))
    }
}

/// The rule pack in force, as the sequencer last published it.
#[derive(Debug, Default)]
pub(crate) struct PolicyView {
    /// The index of the policy event, and its pack.
    pack: Option<(u64, Arc<RulePack>)>,
}

impl PolicyView {
    /// Publishes the pack logged at `link`, if it differs from the one held.
    pub(crate) fn publish(&mut self, current: Option<(u64, &RulePack)>) {
        match (current, &self.pack) {
            (Some((i, _)), Some((j, _))) if i == *j => {}
            (Some((i, p)), _) => self.pack = Some((i, Arc::new(p.clone()))),
            (None, _) => self.pack = None,
        }
    }
}

/// The admission stage: the platform's TSA and the rule pack in force.
pub(crate) struct Admission {
    pub(crate) stamper: Option<Arc<Stamper>>,
    pub(crate) policy: Arc<RwLock<PolicyView>>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Admission {
    /// Whether admitting `content` calls the TSA (and so may block for up
    /// to the TSA's timeout): a document without a token, of a type whose
    /// rule pack requires one, while a TSA is configured.
    pub(crate) fn needs_token(&self, request: &Request) -> bool {
        let Request::Log(Content { body: Body::Document(doc), .. }) = request else {
            return false;
        };
        if self.stamper.is_none() || !doc.timestamps.is_empty() || doc.received_timestamp.is_some()
        {
            return false;
        }
        let Ok(view) = self.policy.read() else { return false };
        view.pack
            .as_ref()
            .is_some_and(|(_, p)| p.rule_for(doc.document_type).is_some_and(|r| r.timestamp))
    }

    /// Admits `content`: a document that needs the platform's token gets it
    /// (in `received_timestamp`, which the content digest leaves out, so the
    /// same submission is still a duplicate). When no TSA answers, the
    /// document goes on without it, and the rule pack's check refuses it.
    pub(crate) fn admit(&self, mut request: Request) -> Admitted {
        if self.needs_token(&request)
            && let (Request::Log(Content { body: Body::Document(doc), .. }), Some(stamper)) =
                (&mut request, &self.stamper)
        {
            let now = self.clock.now_ms();
            match stamper.stamp(&doc.sha256.0, crate::tsa::ImprintAlg::Sha256, now) {
                Ok(s) => doc.received_timestamp = Some(Bytes(s.token)),
                Err(e) => {
                    tracing::warn!(document = %doc.sha256, error = %e, "no token for a document");
                }
            }
        }
        Admitted::from(request)
    }
}

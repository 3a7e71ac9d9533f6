//! Rate limits per client: writes per token (per address for a request
//! without one) and expensive reads (bundles, timelines, compliance
//! reports) per address. Beyond its rate a client gets 429 `rate_limited`
//! with `Retry-After`; other clients are not slowed. Cheap reads
//! (checkpoints, proofs, tiles) are not limited: their capacity is kept
//! apart in the reader pool instead.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::{ApiError, Code};
use crate::state::AppState;

/// The address a request came from, set per connection by the accept loop.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub IpAddr);

/// Keys tracked before idle ones are forgotten.
const RETAIN_AT: usize = 10_000;

/// The limiters (`None`: that limit is off).
pub struct RateLimits {
    writes: Option<DefaultKeyedRateLimiter<String>>,
    heavy: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl RateLimits {
    /// `writes_per_sec` submissions per token, `heavy_per_sec` expensive
    /// reads per address; each may burst to twice its rate; 0 turns it off.
    pub fn new(writes_per_sec: u32, heavy_per_sec: u32) -> RateLimits {
        fn keyed<K: Hash + Eq + Clone>(rate: u32) -> Option<DefaultKeyedRateLimiter<K>> {
            let per_sec = NonZeroU32::new(rate)?;
            let burst = NonZeroU32::new(rate.saturating_mul(2)).unwrap_or(per_sec);
            Some(RateLimiter::keyed(Quota::per_second(per_sec).allow_burst(burst)))
        }
        RateLimits { writes: keyed(writes_per_sec), heavy: keyed(heavy_per_sec) }
    }
}

/// `Ok`, or the whole seconds to wait.
fn check<K: Hash + Eq + Clone>(lim: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), u32> {
    if lim.len() > RETAIN_AT {
        lim.retain_recent();
    }
    lim.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        u32::try_from(wait.as_millis().div_ceil(1000)).unwrap_or(u32::MAX).max(1)
    })
}

/// The public ID of a bearer token (`tlk_<id>_<secret>`), never its secret.
fn token_id(req: &Request) -> Option<String> {
    let auth = req.headers().get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = auth.strip_prefix("Bearer ")?;
    let id = token.strip_prefix("tlk_")?.split('_').next()?;
    Some(id.to_owned())
}

/// Whether a GET of `path` is an expensive read.
fn heavy(path: &str) -> bool {
    path == "/v1/bundles"
        || path.starts_with("/v1/tenders/")
        || path.starts_with("/console")
        || path.starts_with("/v1/certificates/")
}

/// The middleware: counts the request against its client's limit.
pub async fn limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let addr = req.extensions().get::<ClientAddr>().map(|c| c.0);
    let limits = &state.rate;
    let verdict = match (req.method(), addr) {
        (&Method::POST, _) if req.uri().path() == "/v1/events" => match &limits.writes {
            Some(lim) => {
                let key = token_id(&req)
                    .or_else(|| addr.map(|a| format!("address {a}")))
                    .unwrap_or_default();
                check(lim, &key).map_err(|s| (s, "submissions from this token"))
            }
            None => Ok(()),
        },
        (&Method::GET, Some(a)) if heavy(req.uri().path()) => match &limits.heavy {
            Some(lim) => {
                check(lim, &a).map_err(|s| (s, "bundles, timelines and reports from this address"))
            }
            None => Ok(()),
        },
        _ => Ok(()),
    };
    let submission = req.method() == Method::POST && req.uri().path() == "/v1/events";
    match verdict {
        Ok(()) => {
            let response = next.run(req).await;
            // Submissions turned away before they reach the sequencer (no
            // or a wrong token, a bad body) count as refused too; the
            // sequencer counts its own refusals.
            if submission && matches!(response.status().as_u16(), 400 | 401 | 403 | 408 | 413 | 415)
            {
                state.metrics.refused.inc();
            }
            response
        }
        Err((secs, what)) => {
            state.metrics.rate_limited.inc();
            if submission {
                state.metrics.refused.inc();
            }
            ApiError::new(Code::RateLimited, format!("too many {what}; retry in {secs} s"))
                .retry_after(secs)
                .into_response()
        }
    }
}

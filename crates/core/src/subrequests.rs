//! Counting every subrequest of one review against the Workers plan's limits.
//!
//! A Worker invocation may make a bounded number of subrequests: on the free plan
//! 50 to the outside world (`fetch`: GitHub and the LLM) and 1,000 to Cloudflare
//! services (KV, Durable Objects, Queues) per invocation
//! (<https://developers.cloudflare.com/workers/platform/limits/#subrequests>).
//! A review that goes over the limit fails mid-way, so every adapter counts into
//! one [`Subrequests`] ledger per review, and the summary and status page show it.
//!
//! The ledger is a cheap handle (`Rc` inside): clone it into every adapter of a
//! review. It uses `Cell`s because Workers futures live on one thread.

use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// Where a subrequest goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubrequestKind {
    /// GitHub's REST or GraphQL API (a `fetch`).
    GitHub,
    /// The model provider (a `fetch`).
    Llm,
    /// Workers KV reads, writes and deletes.
    Kv,
    /// Calls to a Durable Object stub.
    DurableObject,
    /// Queue sends.
    Queue,
}

impl SubrequestKind {
    pub const ALL: [SubrequestKind; 5] =
        [SubrequestKind::GitHub, SubrequestKind::Llm, SubrequestKind::Kv, SubrequestKind::DurableObject, SubrequestKind::Queue];

    /// `fetch` to the outside world, counted against the external limit; the
    /// rest count against the limit for Cloudflare services.
    pub fn is_external(self) -> bool {
        matches!(self, SubrequestKind::GitHub | SubrequestKind::Llm)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SubrequestKind::GitHub => "GitHub",
            SubrequestKind::Llm => "LLM",
            SubrequestKind::Kv => "KV",
            SubrequestKind::DurableObject => "Durable Objects",
            SubrequestKind::Queue => "Queues",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The per-invocation subrequest limits of a Workers plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PlanLimits {
    /// `fetch` subrequests (GitHub + LLM).
    pub external: u32,
    /// Subrequests to Cloudflare services (KV, Durable Objects, Queues).
    pub internal: u32,
}

impl PlanLimits {
    /// The free plan: 50 external and 1,000 internal subrequests per invocation.
    pub const FREE: PlanLimits = PlanLimits { external: 50, internal: 1000 };
}

/// The counts of one ledger at one moment, for the summary, status and logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SubrequestCounts {
    pub github: u32,
    pub llm: u32,
    pub kv: u32,
    pub durable_object: u32,
    pub queue: u32,
}

impl SubrequestCounts {
    pub fn external(&self) -> u32 {
        self.github + self.llm
    }
    pub fn internal(&self) -> u32 {
        self.kv + self.durable_object + self.queue
    }
    pub fn fits(&self, limits: PlanLimits) -> bool {
        self.external() <= limits.external && self.internal() <= limits.internal
    }
}

impl fmt::Display for SubrequestCounts {
    /// `23 external subrequests (GitHub 17, LLM 6); 5 to Cloudflare (KV 4, Durable Objects 1, Queues 0)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} external subrequests (GitHub {}, LLM {}); {} to Cloudflare (KV {}, Durable Objects {}, Queues {})",
            self.external(),
            self.github,
            self.llm,
            self.internal(),
            self.kv,
            self.durable_object,
            self.queue
        )
    }
}

#[derive(Default)]
struct Inner {
    counts: [Cell<u32>; 5],
    /// (kind, route family) → count, e.g. (GitHub, "POST graphql").
    families: RefCell<BTreeMap<(SubrequestKind, String), u32>>,
}

/// One review's subrequest ledger. Clones share the same counters.
#[derive(Clone, Default)]
pub struct Subrequests {
    inner: Rc<Inner>,
}

impl fmt::Debug for Subrequests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Subrequests").field(&self.counts()).finish()
    }
}

impl Subrequests {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one subrequest of `kind`; `family` names the route for the
    /// breakdown (e.g. `GET pulls/:n/files`); an empty family is not broken down.
    pub fn record(&self, kind: SubrequestKind, family: &str) {
        let cell = &self.inner.counts[kind.index()];
        cell.set(cell.get().saturating_add(1));
        if !family.is_empty() {
            *self.inner.families.borrow_mut().entry((kind, family.to_string())).or_insert(0) += 1;
        }
    }

    pub fn count(&self, kind: SubrequestKind) -> u32 {
        self.inner.counts[kind.index()].get()
    }

    pub fn counts(&self) -> SubrequestCounts {
        SubrequestCounts {
            github: self.count(SubrequestKind::GitHub),
            llm: self.count(SubrequestKind::Llm),
            kv: self.count(SubrequestKind::Kv),
            durable_object: self.count(SubrequestKind::DurableObject),
            queue: self.count(SubrequestKind::Queue),
        }
    }

    /// External subrequests still allowed under `limits` (0 when over).
    pub fn external_left(&self, limits: PlanLimits) -> u32 {
        limits.external.saturating_sub(self.counts().external())
    }

    /// The per-route breakdown of one kind, most frequent first, ties by name.
    pub fn families(&self, kind: SubrequestKind) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> =
            self.inner.families.borrow().iter().filter(|((k, _), _)| *k == kind).map(|((_, family), n)| (family.clone(), *n)).collect();
        crate::sort::sort_by(&mut out, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Whether two handles count into the same ledger.
    pub fn same_ledger(&self, other: &Subrequests) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// An [`HttpClient`] that counts every request into a ledger before sending it,
/// for adapters that do not count themselves (the LLM providers). The GitHub
/// client records its own requests with their route family, so do not wrap its
/// transport too or they count twice.
pub struct CountingHttp<H> {
    inner: H,
    ledger: Subrequests,
    kind: SubrequestKind,
}

impl<H> CountingHttp<H> {
    pub fn new(inner: H, ledger: Subrequests, kind: SubrequestKind) -> Self {
        Self { inner, ledger, kind }
    }
    pub fn ledger(&self) -> &Subrequests {
        &self.ledger
    }
    pub fn inner(&self) -> &H {
        &self.inner
    }
}

/// `METHOD host/path` without the query: the family of a request to an unknown API.
pub fn url_family(req: &HttpRequest) -> String {
    let rest = req.url.split_once("://").map(|(_, r)| r).unwrap_or(&req.url);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    format!("{} {rest}", req.method.as_str())
}

impl<H: HttpClient> HttpClient for CountingHttp<H> {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        // A fetch counts when it is made, whether or not it succeeds.
        self.ledger.record(self.kind, &url_family(&req));
        self.inner.send(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;

    struct Echo;
    impl HttpClient for Echo {
        async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
            if req.url.contains("down") {
                return Err(TransportError::Network("refused".into()));
            }
            Ok(HttpResponse { status: 200, headers: vec![], body: req.url.into_bytes() })
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The futures here never pend; poll once with a no-op waker.
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("pending"),
        }
    }

    #[test]
    fn clones_share_one_ledger_and_kinds_are_split_external_internal() {
        let ledger = Subrequests::new();
        let other = ledger.clone();
        assert!(other.same_ledger(&ledger));
        assert!(!Subrequests::new().same_ledger(&ledger));
        for _ in 0..3 {
            ledger.record(SubrequestKind::GitHub, "GET pulls/:n");
        }
        other.record(SubrequestKind::GitHub, "POST graphql");
        other.record(SubrequestKind::Llm, "");
        other.record(SubrequestKind::Kv, "");
        other.record(SubrequestKind::DurableObject, "");
        let c = ledger.counts();
        assert_eq!(c, SubrequestCounts { github: 4, llm: 1, kv: 1, durable_object: 1, queue: 0 });
        assert_eq!((c.external(), c.internal()), (5, 2));
        assert_eq!(ledger.families(SubrequestKind::GitHub), vec![("GET pulls/:n".to_string(), 3), ("POST graphql".to_string(), 1)]);
        assert!(ledger.families(SubrequestKind::Llm).is_empty(), "an empty family is not broken down");
        assert_eq!(ledger.external_left(PlanLimits::FREE), 45);
        assert_eq!(c.to_string(), "5 external subrequests (GitHub 4, LLM 1); 2 to Cloudflare (KV 1, Durable Objects 1, Queues 0)");
    }

    #[test]
    fn the_free_plan_fits_fifty_external_and_a_thousand_internal() {
        let at = |github, llm, kv| SubrequestCounts { github, llm, kv, durable_object: 0, queue: 0 };
        assert!(at(45, 5, 1000).fits(PlanLimits::FREE));
        assert!(!at(46, 5, 0).fits(PlanLimits::FREE));
        assert!(!at(0, 0, 1001).fits(PlanLimits::FREE));
        let ledger = Subrequests::new();
        for _ in 0..60 {
            ledger.record(SubrequestKind::Llm, "");
        }
        assert_eq!(ledger.external_left(PlanLimits::FREE), 0, "saturates, never wraps");
    }

    #[test]
    fn counting_http_counts_every_fetch_even_failed_ones() {
        let ledger = Subrequests::new();
        let http = CountingHttp::new(Echo, ledger.clone(), SubrequestKind::Llm);
        let ok = block_on(http.send(HttpRequest::new(Method::Post, "https://models.github.ai/inference/chat/completions?x=1")));
        assert_eq!(ok.unwrap().status, 200);
        let down = block_on(http.send(HttpRequest::new(Method::Post, "https://down.example/v1")));
        assert!(down.is_err());
        assert_eq!(ledger.count(SubrequestKind::Llm), 2);
        assert_eq!(ledger.count(SubrequestKind::GitHub), 0);
        assert_eq!(
            ledger.families(SubrequestKind::Llm),
            vec![("POST down.example/v1".to_string(), 1), ("POST models.github.ai/inference/chat/completions".to_string(), 1)]
        );
    }
}

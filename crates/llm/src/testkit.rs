//! Test support, also for other crates' tests (feature `testkit`): a simulated
//! clock whose sleeps complete in virtual time, an executor that advances that
//! time whenever every task is waiting, and a scripted `HttpClient` with
//! per-request latency, hangs and failures that records what it was sent.

use argus_core::http::{Clock, HttpClient, HttpRequest, HttpResponse, TransportError};
use argus_core::ids::UnixMillis;
use futures_executor::LocalPool;
use futures_util::task::LocalSpawnExt;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct SimState {
    now: u64,
    next_id: u64,
    /// (wake-up time, id) → waker of a pending sleep.
    timers: BTreeMap<(u64, u64), Option<Waker>>,
}

/// Virtual time: `sleep` never blocks a thread; [`run_sim`] jumps the clock to
/// the next wake-up whenever all tasks are waiting.
#[derive(Clone, Default)]
pub struct SimClock {
    state: Rc<RefCell<SimState>>,
}

impl SimClock {
    pub fn starting_at(ms: u64) -> Self {
        let c = Self::default();
        c.state.borrow_mut().now = ms;
        c
    }

    /// Jumps to the earliest pending wake-up and wakes every sleeper due then.
    /// False when nothing is sleeping.
    fn advance(&self) -> bool {
        let mut st = self.state.borrow_mut();
        let Some(&(at, _)) = st.timers.keys().next() else {
            return false;
        };
        st.now = st.now.max(at);
        let due: Vec<_> = st.timers.range(..(at + 1, 0)).map(|(k, _)| *k).collect();
        let wakers: Vec<_> = due.into_iter().filter_map(|k| st.timers.remove(&k).flatten()).collect();
        drop(st);
        wakers.into_iter().for_each(Waker::wake);
        true
    }
}

struct Sleep {
    clock: SimClock,
    key: (u64, u64),
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.clock.state.borrow_mut();
        if st.now >= self.key.0 {
            st.timers.remove(&self.key);
            return Poll::Ready(());
        }
        st.timers.insert(self.key, Some(cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // A timer that lost a race (the call answered first) must not hold the clock.
        if let Ok(mut st) = self.clock.state.try_borrow_mut() {
            st.timers.remove(&self.key);
        }
    }
}

impl Clock for SimClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.state.borrow().now)
    }
    async fn sleep(&self, ms: u64) {
        let key = {
            let mut st = self.state.borrow_mut();
            st.next_id += 1;
            (st.now.saturating_add(ms), st.next_id)
        };
        Sleep { clock: self.clone(), key }.await
    }
}

/// The simulated run ended with the future still waiting and no timer left.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("simulation stalled: the future waits on something that is not a timer")]
pub struct Stalled;

/// Drives `fut` to completion in virtual time.
pub fn run_sim<T: 'static>(clock: &SimClock, fut: impl Future<Output = T> + 'static) -> Result<T, Stalled> {
    let mut pool = LocalPool::new();
    let out = Rc::new(RefCell::new(None));
    let slot = out.clone();
    pool.spawner()
        .spawn_local(async move {
            *slot.borrow_mut() = Some(fut.await);
        })
        .map_err(|_| Stalled)?;
    loop {
        pool.run_until_stalled();
        if let Some(v) = out.borrow_mut().take() {
            return Ok(v);
        }
        if !clock.advance() {
            return Err(Stalled);
        }
    }
}

/// What the scripted server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer after `latency_ms` of virtual time.
    Respond { latency_ms: u64, response: HttpResponse },
    /// Fail at the transport level after `latency_ms`.
    Fail { latency_ms: u64, error: TransportError },
    /// Never answer (the client's deadline must end it).
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self::Respond { latency_ms: 0, response: response(status, &[("content-type", "application/json")], body) }
    }
    pub fn sse(body: &str) -> Self {
        Self::Respond { latency_ms: 0, response: response(200, &[("content-type", "text/event-stream")], body) }
    }
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Self::Respond { response, .. } = &mut self {
            response.headers.push((name.to_ascii_lowercase(), value.to_string()));
        }
        self
    }
    pub fn after(mut self, ms: u64) -> Self {
        match &mut self {
            Self::Respond { latency_ms, .. } | Self::Fail { latency_ms, .. } => *latency_ms = ms,
            Self::Hang => {}
        }
        self
    }
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse { status, headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), body: body.as_bytes().to_vec() }
}

type Script = Box<dyn Fn(&HttpRequest, usize) -> Reply>;

/// A scripted HTTP server on the simulated clock. Records every request and
/// the highest number of requests in flight at once.
#[derive(Clone)]
pub struct ScriptedHttp {
    clock: SimClock,
    script: Rc<Script>,
    pub requests: Rc<RefCell<Vec<(UnixMillis, HttpRequest)>>>,
    in_flight: Rc<Cell<usize>>,
    pub max_in_flight: Rc<Cell<usize>>,
}

impl ScriptedHttp {
    /// `script(request, index)` decides each reply; `index` counts from 0.
    pub fn new(clock: &SimClock, script: impl Fn(&HttpRequest, usize) -> Reply + 'static) -> Self {
        Self {
            clock: clock.clone(),
            script: Rc::new(Box::new(script)),
            requests: Rc::default(),
            in_flight: Rc::default(),
            max_in_flight: Rc::default(),
        }
    }

    /// Replies in order; the last one repeats. An empty list answers every
    /// request with a 500 saying so, rather than panicking inside the client.
    pub fn sequence(clock: &SimClock, replies: Vec<Reply>) -> Self {
        Self::new(clock, move |_, i| match replies.get(i.min(replies.len().saturating_sub(1))) {
            Some(r) => r.clone(),
            None => Reply::json(500, r#"{"error":{"message":"ScriptedHttp::sequence was given no replies"}}"#),
        })
    }

    pub fn request_count(&self) -> usize {
        self.requests.borrow().len()
    }

    /// The JSON body of request `i`.
    pub fn body(&self, i: usize) -> serde_json::Value {
        let reqs = self.requests.borrow();
        serde_json::from_slice(reqs[i].1.body.as_deref().unwrap_or(b"null")).unwrap_or(serde_json::Value::Null)
    }
}

struct InFlight(Rc<Cell<usize>>);
impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl HttpClient for ScriptedHttp {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let index = {
            let mut reqs = self.requests.borrow_mut();
            reqs.push((self.clock.now(), req.clone()));
            reqs.len() - 1
        };
        self.in_flight.set(self.in_flight.get() + 1);
        self.max_in_flight.set(self.max_in_flight.get().max(self.in_flight.get()));
        let _guard = InFlight(self.in_flight.clone());
        match (self.script)(&req, index) {
            Reply::Respond { latency_ms, response } => {
                self.clock.sleep(latency_ms).await;
                Ok(response)
            }
            Reply::Fail { latency_ms, error } => {
                self.clock.sleep(latency_ms).await;
                Err(error)
            }
            Reply::Hang => std::future::pending().await,
        }
    }
}

/// A clock-free `HttpClient` that answers at once, for benchmarks.
pub struct InstantHttp(pub HttpResponse);

impl HttpClient for InstantHttp {
    async fn send(&self, _req: HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(self.0.clone())
    }
}

/// A clock that never waits, for benchmarks driven by `block_on`.
#[derive(Default)]
pub struct FrozenClock(pub u64);

impl Clock for FrozenClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.0)
    }
    async fn sleep(&self, _ms: u64) {}
}

//! The client in simulated time against a scripted server: retry and backoff
//! schedule, Retry-After, fallback order, deadlines and hangs, structured-output
//! downgrade, the circuit breaker across calls, bounded parallelism and usage.

use crate::config;
use argus_core::error::{Classify, ErrorClass};
use argus_core::http::{Clock, TransportError};
use argus_core::ids::UnixMillis;
use argus_llm::testkit::{Reply, ScriptedHttp, SimClock, run_sim};
use argus_llm::{
    BreakerState, CallFailure, ChatRequest, Completion, FinishReason, HttpProvider, Jitter, LlmClient, LlmConfig, LlmError, MemoryBreakerStore,
    Message, UsageLedger, Wire,
};
use std::rc::Rc;

const T0: u64 = 1_795_521_600_000;
type Client = LlmClient<HttpProvider<ScriptedHttp>, SimClock, Rc<MemoryBreakerStore>>;

struct Harness {
    clock: SimClock,
    http: ScriptedHttp,
    store: Rc<MemoryBreakerStore>,
    client: Rc<Client>,
}

fn harness(cfg: LlmConfig, script: impl Fn(&SimClock) -> ScriptedHttp) -> Harness {
    let clock = SimClock::starting_at(T0);
    let http = script(&clock);
    let store = Rc::new(MemoryBreakerStore::default());
    let provider = HttpProvider::new(Wire::from_config(&cfg).unwrap(), http.clone());
    let client = Rc::new(LlmClient::new(provider, clock.clone(), store.clone(), cfg, 42));
    Harness { clock, http, store, client }
}

fn gh(extra: &[(&str, &str)]) -> LlmConfig {
    let mut vars = vec![("GITHUB_TOKEN", "ghp_secret"), ("LLM_STREAM", "false")];
    vars.extend_from_slice(extra);
    config(&vars)
}

fn request() -> ChatRequest {
    ChatRequest::new(vec![Message::system("review"), Message::user("12 + x")], 500)
}

fn ok(text: &str) -> Reply {
    Reply::json(
        200,
        &serde_json::json!({"model": "gpt-4o-mini", "choices": [{"message": {"content": text}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 100, "completion_tokens": 20}}).to_string(),
    )
}

fn status(code: u16) -> Reply {
    Reply::json(code, r#"{"error":{"code":"x","message":"scripted"}}"#)
}

impl Harness {
    fn call(&self, review_deadline: Option<u64>) -> Result<Completion, CallFailure> {
        let client = self.client.clone();
        run_sim(&self.clock, async move { client.complete(&request(), review_deadline.map(UnixMillis)).await }).expect("no stall")
    }
    fn request_times(&self) -> Vec<u64> {
        self.http.requests.borrow().iter().map(|(t, _)| t.0 - T0).collect()
    }
    fn request_models(&self) -> Vec<String> {
        (0..self.http.request_count()).map(|i| self.http.body(i)["model"].as_str().unwrap_or("").to_string()).collect()
    }
}

#[test]
fn retries_5xx_with_the_seeded_backoff_schedule() {
    let h = harness(gh(&[]), |c| ScriptedHttp::sequence(c, vec![status(500), status(503).after(100), ok("{}")]));
    let done = h.call(None).unwrap();
    assert_eq!(done.attempts.len(), 3);
    assert!(done.fallback.is_none());
    // The same policy and seed give the same pauses the client took.
    let policy = h.client.config().retry;
    let mut j = Jitter::new(42);
    let d1 = policy.delay_ms(1, None, &mut j);
    let d2 = policy.delay_ms(2, None, &mut j);
    assert_eq!(h.request_times(), [0, d1, d1 + 100 + d2]);
    assert_eq!(done.attempts.iter().map(|a| a.waited_ms).collect::<Vec<_>>(), [d1, d2, 0]);
    assert!((500..=1000).contains(&d1) && (1000..=2000).contains(&d2), "{d1} {d2}");
}

#[test]
fn gives_up_after_max_attempts_with_a_retryable_error() {
    let h = harness(gh(&[("LLM_MAX_ATTEMPTS", "2")]), |c| ScriptedHttp::sequence(c, vec![status(502)]));
    let f = h.call(None).unwrap_err();
    assert_eq!(h.http.request_count(), 2);
    assert!(matches!(f.error, LlmError::Unavailable { status: 502, .. }), "{f}");
    assert_eq!(f.class(), ErrorClass::Retryable { after_secs: None });
}

#[test]
fn rate_limit_moves_to_the_lighter_fallback_and_records_it() {
    let cfg = gh(&[("GITHUB_MODEL", "openai/gpt-4.1"), ("LLM_FALLBACK_MODELS", "openai/gpt-4o-mini")]);
    let h = harness(cfg, |c| {
        ScriptedHttp::new(c, |req, _| {
            let body: serde_json::Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
            if body["model"] == "openai/gpt-4.1" { status(429).with_header("retry-after", "30") } else { ok("{\"findings\":[]}") }
        })
    });
    let done = h.call(None).unwrap();
    assert_eq!(h.request_models(), ["openai/gpt-4.1", "openai/gpt-4o-mini"]);
    assert_eq!(h.request_times(), [0, 0], "no waiting when a fallback has its own quota");
    assert_eq!(done.model_used, "openai/gpt-4o-mini");
    let fb = done.fallback.expect("fallback recorded");
    assert_eq!((fb.from.as_str(), fb.to.as_str()), ("openai/gpt-4.1", "openai/gpt-4o-mini"));
    assert!(fb.reason.contains("HTTP 429"), "{}", fb.reason);
}

#[test]
fn rate_limit_on_the_last_model_waits_for_retry_after() {
    let h = harness(gh(&[]), |c| ScriptedHttp::sequence(c, vec![status(429).with_header("retry-after", "5"), ok("{}")]));
    let done = h.call(None).unwrap();
    let times = h.request_times();
    assert!((5_000..=5_250).contains(&times[1]), "{times:?}");
    assert_eq!(done.attempts.len(), 2);
}

#[test]
fn a_spent_quota_is_not_waited_out() {
    // GitHub Models answers an exhausted daily quota with a long Retry-After.
    let h = harness(gh(&[]), |c| ScriptedHttp::sequence(c, vec![status(429).with_header("retry-after", "3600")]));
    let f = h.call(None).unwrap_err();
    assert_eq!(h.http.request_count(), 1);
    assert_eq!(f.class(), ErrorClass::Retryable { after_secs: Some(3600) }, "the queue learns when to come back");
}

#[test]
fn fallback_order_and_what_stops_it() {
    let cfg = gh(&[("GITHUB_MODEL", "a/one"), ("LLM_FALLBACK_MODELS", "a/two, a/three"), ("LLM_MAX_ATTEMPTS", "1")]);
    // one: model not found; two: timeout at transport; three: answers.
    let h =
        harness(cfg, |c| ScriptedHttp::sequence(c, vec![status(404), Reply::Fail { latency_ms: 10, error: TransportError::Timeout(10) }, ok("{}")]));
    let done = h.call(None).unwrap();
    assert_eq!(h.request_models(), ["a/one", "a/two", "a/three"]);
    assert_eq!(done.model_used, "a/three");
    assert_eq!(done.fallback.unwrap().from, "a/one");

    // A rejected key stops everything: every model shares it.
    let cfg = gh(&[("LLM_FALLBACK_MODELS", "a/two")]);
    let h = harness(cfg, |c| ScriptedHttp::sequence(c, vec![status(401)]));
    let f = h.call(None).unwrap_err();
    assert_eq!(h.http.request_count(), 1);
    assert_eq!(f.class(), ErrorClass::Permanent);
    assert!(f.to_string().contains("GITHUB_TOKEN"), "{f}");
}

#[test]
fn a_hang_times_out_then_the_retry_answers() {
    let cfg = gh(&[("LLM_TIMEOUT_MS", "20000")]);
    let h = harness(cfg, |c| ScriptedHttp::sequence(c, vec![Reply::Hang, ok("{}").after(300)]));
    let done = h.call(None).unwrap();
    assert!(matches!(done.attempts[0].error, Some(LlmError::Timeout { after_ms: 20_000 })));
    assert_eq!(done.attempts[0].elapsed_ms, 20_000);
    let times = h.request_times();
    assert!((20_500..=21_000).contains(&times[1]), "{times:?}");
}

#[test]
fn the_review_deadline_bounds_a_call_that_always_hangs() {
    let h = harness(gh(&[]), |c| ScriptedHttp::sequence(c, vec![Reply::Hang]));
    let f = h.call(Some(T0 + 45_000)).unwrap_err();
    let elapsed = h.clock.now().0 - T0;
    assert!(elapsed <= 45_000, "ended after {elapsed} ms");
    assert!(matches!(f.error, LlmError::Timeout { .. } | LlmError::DeadlineExceeded { .. }), "{f}");
    assert!(f.error.is_retryable() || matches!(f.error, LlmError::DeadlineExceeded { .. }));
    // The last attempt's own timeout was cut to what was left of the budget.
    let last = f.attempts.last().unwrap();
    assert_eq!(last.started_at.0 + last.elapsed_ms, T0 + 45_000);
}

#[test]
fn structured_output_refusal_steps_down_to_json_mode() {
    let schema = argus_llm::JsonSchema { name: "review".into(), schema: crate::findings_schema(), strict: true };
    let h = harness(gh(&[]), |c| {
        ScriptedHttp::new(c, |req, _| {
            let body: serde_json::Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
            if body["response_format"]["type"] == "json_schema" {
                Reply::json(
                    400,
                    r#"{"error":{"message":"Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."}}"#,
                )
            } else {
                ok("{\"findings\":[]}")
            }
        })
    });
    let client = h.client.clone();
    let done = run_sim(&h.clock, async move { client.complete(&request().with_schema(schema), None).await }).unwrap().unwrap();
    assert_eq!(h.http.body(1)["response_format"]["type"], "json_object");
    assert!(h.http.body(1)["messages"][0]["content"].as_str().unwrap().contains("JSON Schema"));
    assert_eq!(done.response.structured, Some(argus_llm::StructuredMode::JsonObject));
    assert_eq!(h.request_times(), [0, 0]);
    assert_eq!(done.problems.len(), 1);
}

#[test]
fn a_truncated_stream_is_a_partial_answer_not_a_retry() {
    let cfg = config(&[("GITHUB_TOKEN", "t")]);
    let h = harness(cfg, |c| {
        ScriptedHttp::sequence(
            c,
            vec![Reply::sse(
                "data: {\"choices\":[{\"delta\":{\"content\":\"{\\\"findings\\\":[{\\\"line\\\":3}\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\",{\\\"li\"}}]}\n",
            )],
        )
    });
    let done = h.call(None).unwrap();
    assert_eq!(h.http.request_count(), 1);
    assert_eq!(done.response.finish_reason, FinishReason::Incomplete);
    assert_eq!(done.response.text, "{\"findings\":[{\"line\":3},{\"li");
    assert!(done.usage.estimated, "no usage chunk arrived: counts are estimates");
    assert_eq!(h.http.body(0)["stream_options"]["include_usage"], true);
}

#[test]
fn breaker_opens_fails_fast_then_half_opens_and_closes() {
    let cfg = gh(&[("LLM_MAX_ATTEMPTS", "1")]);
    let threshold = cfg.breaker.failure_threshold;
    let cool_down = cfg.breaker.cool_down_ms;
    let key = cfg.breaker_key();
    let h = harness(cfg, |c| {
        let threshold = threshold as usize;
        ScriptedHttp::new(c, move |_, i| if i < threshold { status(503) } else { ok("{}") })
    });
    for _ in 0..threshold {
        assert!(matches!(h.call(None).unwrap_err().error, LlmError::Unavailable { .. }));
    }
    assert!(matches!(h.store.get(&key), Some(BreakerState::Open { .. })));
    // Open: no request leaves, the queue is told when to come back.
    let f = h.call(None).unwrap_err();
    assert!(matches!(f.error, LlmError::CircuitOpen { .. }), "{f}");
    assert_eq!(f.class(), ErrorClass::Retryable { after_secs: Some(cool_down / 1000) });
    assert_eq!(h.http.request_count(), threshold as usize);
    // After the cool-down one probe goes through, succeeds, and closes the breaker.
    let clock = h.clock.clone();
    run_sim(&h.clock, async move { clock.sleep(cool_down).await }).unwrap();
    h.call(None).unwrap();
    assert_eq!(h.store.get(&key), Some(BreakerState::Closed { consecutive_failures: 0 }));
    // Writes happen on transitions only: N-1 counts, open, half-open, closed.
    assert_eq!(h.store.writes(), threshold + 2);
    h.call(None).unwrap();
    assert_eq!(h.store.writes(), threshold + 2, "a healthy call writes nothing");
}

#[test]
fn parallel_calls_respect_the_model_concurrency() {
    // (model, LLM_CONCURRENCY, expected in flight): 20 chunks at a fixed 2 s latency.
    // The issue's goal (≤ 3× one call for 20 chunks) needs ≥ 7 in flight: a paid tier
    // with LLM_CONCURRENCY; the free tier's 5 gives 4×.
    let cases = [("openai/gpt-4o-mini", None, 5u64), ("openai/gpt-4.1", None, 2), ("openai/o4-mini", None, 1), ("openai/gpt-4o-mini", Some("7"), 7)];
    for (model, concurrency_override, concurrency) in cases {
        let mut vars = vec![("GITHUB_MODEL", model)];
        if let Some(c) = concurrency_override {
            vars.push(("LLM_CONCURRENCY", c));
        }
        // Each reply echoes its chunk, and later chunks answer faster, so
        // completion order differs from input order.
        let h = harness(gh(&vars), |c| {
            ScriptedHttp::new(c, |req, _| {
                let body: serde_json::Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
                let chunk = body["messages"][0]["content"].as_str().unwrap().to_string();
                let n: u64 = chunk.trim_start_matches("chunk ").parse().unwrap();
                ok(&chunk).after(2_000 - n % 2)
            })
        });
        let client = h.client.clone();
        let reqs: Vec<ChatRequest> = (0..20).map(|i| ChatRequest::new(vec![Message::user(format!("chunk {i}"))], 100)).collect();
        let results = run_sim(&h.clock, async move { client.complete_all(&reqs, None).await }).unwrap();
        let texts: Vec<String> = results.into_iter().map(|r| r.unwrap().response.text).collect();
        assert_eq!(texts, (0..20).map(|i| format!("chunk {i}")).collect::<Vec<_>>(), "results in input order");
        let wall = h.clock.now().0 - T0;
        let waves = 20u64.div_ceil(concurrency);
        assert!((waves * 2_000 - waves..=waves * 2_000).contains(&wall), "{model}: {wall} ms");
        assert_eq!(h.http.max_in_flight.get() as u64, concurrency, "{model}");
    }
}

#[test]
fn usage_is_accounted_per_call_and_per_review() {
    let cfg = config(&[("LLM_PROVIDER", "openai"), ("LLM_API_KEY", "k"), ("LLM_STREAM", "false")]);
    let h = harness(cfg, |c| ScriptedHttp::sequence(c, vec![ok("{}")]));
    let client = h.client.clone();
    let reqs: Vec<ChatRequest> = (0..3).map(|_| request()).collect();
    let results = run_sim(&h.clock, async move { client.complete_all(&reqs, None).await }).unwrap();
    let mut ledger = UsageLedger::default();
    for r in results {
        ledger.record(r.unwrap().usage);
    }
    let t = ledger.totals();
    assert_eq!((t.calls, t.prompt_tokens, t.completion_tokens), (3, 300, 60));
    // gpt-4o-mini at $0.15 / $0.60 per million tokens.
    assert!((t.cost_usd - (300.0 * 0.15 + 60.0 * 0.60) / 1e6).abs() < 1e-12, "{}", t.cost_usd);
    assert!(t.cost_complete && !t.estimated);
}

/// Workers AI through a fake binding: same client, same retries and fallback.
mod workers_ai {
    use super::*;
    use argus_llm::{WorkersAi, WorkersAiError, WorkersAiProvider};
    use serde_json::{Value, json};
    use std::cell::RefCell;

    /// Records every `run`; the 70B model is "over capacity".
    #[derive(Clone, Default)]
    struct FakeAi {
        calls: Rc<RefCell<Vec<(String, Value)>>>,
    }

    impl WorkersAi for FakeAi {
        async fn run(&self, model: &str, input: Value) -> Result<Value, WorkersAiError> {
            self.calls.borrow_mut().push((model.to_string(), input));
            if model.contains("70b") {
                return Err(WorkersAiError::RateLimited("3040: Capacity temporarily exceeded".into()));
            }
            Ok(json!({"response": {"findings": []}, "usage": {"prompt_tokens": 12, "completion_tokens": 5}}))
        }
    }

    #[test]
    fn capacity_errors_fall_back_to_the_next_model() {
        let cfg = config(&[
            ("LLM_PROVIDER", "workers-ai"),
            ("LLM_MODEL", "@cf/meta/llama-3.3-70b-instruct-fp8-fast"),
            ("LLM_FALLBACK_MODELS", "@cf/meta/llama-3.1-8b-instruct"),
        ]);
        let clock = SimClock::starting_at(T0);
        let ai = FakeAi::default();
        let client = Rc::new(LlmClient::new(WorkersAiProvider { ai: ai.clone() }, clock.clone(), MemoryBreakerStore::default(), cfg, 7));
        let schema = argus_llm::JsonSchema { name: "review".into(), schema: crate::findings_schema(), strict: false };
        let c = client.clone();
        let done = run_sim(&clock, async move { c.complete(&request().with_schema(schema), None).await }).unwrap().unwrap();
        assert_eq!(done.model_used, "@cf/meta/llama-3.1-8b-instruct");
        assert_eq!(done.response.text, r#"{"findings":[]}"#);
        assert_eq!((done.usage.prompt_tokens, done.usage.completion_tokens), (12, 5));
        assert_eq!(done.usage.cost_usd, None, "Workers AI is billed in neurons: no price table");
        let calls = ai.calls.borrow();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[1].1["response_format"]["type"], "json_schema");
        assert_eq!(calls[1].1["max_tokens"], 500);
    }
}

/// Regression guard: concurrent failing calls each count against the breaker
/// (a stale read per call used to let N parallel failures count as one).
#[test]
fn concurrent_outage_failures_all_count() {
    let cfg = gh(&[("LLM_MAX_ATTEMPTS", "1"), ("LLM_CONCURRENCY", "5")]);
    let key = cfg.breaker_key();
    let h = harness(cfg, |c| ScriptedHttp::sequence(c, vec![status(503).after(100)]));
    let client = h.client.clone();
    let reqs: Vec<ChatRequest> = (0..5).map(|_| request()).collect();
    let results = run_sim(&h.clock, async move { client.complete_all(&reqs, None).await }).unwrap();
    assert!(results.iter().all(Result::is_err));
    assert!(matches!(h.store.get(&key), Some(BreakerState::Open { .. })), "{:?}", h.store.get(&key));
}

#[test]
fn a_server_refusing_stream_options_is_asked_again_without_streaming() {
    let cfg = config(&[("LLM_PROVIDER", "openai"), ("LLM_BASE_URL", "http://127.0.0.1:1/v1")]);
    let h = harness(cfg, |c| {
        ScriptedHttp::new(c, |req, _| {
            let body: serde_json::Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
            if body.get("stream_options").is_some() {
                Reply::json(400, r#"{"error":{"message":"Unrecognized request argument supplied: stream_options"}}"#)
            } else {
                ok("{}")
            }
        })
    });
    let done = h.call(None).unwrap();
    assert_eq!(h.http.request_count(), 2);
    assert_eq!(h.http.body(1).get("stream"), None);
    assert_eq!(done.problems, ["gpt-4o-mini refused streaming; retrying without"]);
}

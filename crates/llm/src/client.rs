//! The LLM client a review uses: one call = attempts on the primary model with
//! backoff, then on each fallback model, within a per-call and per-review
//! deadline, behind the provider's circuit breaker, with usage accounted.
//! Time comes from the injected [`Clock`]; jitter from the injected seed.

use crate::breaker::{Admission, BreakerState, BreakerStore};
use crate::config::LlmConfig;
use crate::error::LlmError;
use crate::parallel::run_bounded;
use crate::providers::{CallOptions, LlmProvider, mode_for};
use crate::retry::Jitter;
use crate::types::{ChatRequest, ChatResponse, StructuredMode};
use crate::usage::CallUsage;
use argus_core::error::{Classify, ErrorClass};
use argus_core::http::Clock;
use argus_core::ids::UnixMillis;
use futures_util::future::{Either, select};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::pin::pin;

/// One HTTP (or binding) attempt, for logs and the status page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub model: String,
    pub mode: Option<StructuredMode>,
    pub started_at: UnixMillis,
    pub elapsed_ms: u64,
    /// `None` on success.
    pub error: Option<LlmError>,
    /// The pause taken after this attempt before the next one.
    pub waited_ms: u64,
}

/// A fallback model answered instead of the configured one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FallbackUsed {
    pub from: String,
    pub to: String,
    /// Why the previous model was given up.
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub response: ChatResponse,
    /// The model that answered as we named it (the provider's own name is in `response.model`).
    pub model_used: String,
    pub fallback: Option<FallbackUsed>,
    pub attempts: Vec<Attempt>,
    pub usage: CallUsage,
    /// Things that went wrong without failing the call (e.g. the breaker store was unreachable).
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{error} (after {} attempt(s))", attempts.len())]
pub struct CallFailure {
    pub error: LlmError,
    pub attempts: Vec<Attempt>,
    pub problems: Vec<String>,
}

impl Classify for CallFailure {
    fn class(&self) -> ErrorClass {
        self.error.class()
    }
}

pub struct LlmClient<P, K, S> {
    provider: P,
    clock: K,
    breakers: S,
    config: LlmConfig,
    jitter: RefCell<Jitter>,
}

impl<P: LlmProvider, K: Clock, S: BreakerStore> LlmClient<P, K, S> {
    /// `seed` drives the backoff jitter (the platform passes something per
    /// invocation, e.g. derived from the job id; tests pass a constant).
    pub fn new(provider: P, clock: K, breakers: S, config: LlmConfig, seed: u64) -> Self {
        Self { provider, clock, breakers, config, jitter: RefCell::new(Jitter::new(seed)) }
    }

    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    pub fn clock(&self) -> &K {
        &self.clock
    }

    /// One chat completion with retries, fallbacks and deadlines. The call ends
    /// by `min(start + call_deadline, review_deadline)`.
    pub async fn complete(&self, req: &ChatRequest, review_deadline: Option<UnixMillis>) -> Result<Completion, CallFailure> {
        let policy = self.config.retry;
        let start = self.clock.now();
        let mut deadline = start.plus_millis(policy.call_deadline_ms);
        if let Some(r) = review_deadline {
            deadline = deadline.min(r);
        }
        let budget_ms = deadline.0.saturating_sub(start.0);
        let models = self.config.models();
        let breaker_key = self.config.breaker_key();
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut problems = Vec::new();
        let mut last_err: Option<LlmError> = None;
        let fail = |error: LlmError, attempts: Vec<Attempt>, problems: Vec<String>| Err(CallFailure { error, attempts, problems });

        let mut stream = self.config.stream;
        for (index, model) in models.iter().enumerate() {
            let mut mode = mode_for(&self.config, model, req);
            let has_next_model = index + 1 < models.len();
            let mut tries = 0u32;
            loop {
                let now = self.clock.now();
                if now >= deadline {
                    // A rate limit's delay is more useful to the queue than "deadline".
                    let e = match last_err {
                        Some(e @ LlmError::RateLimited { .. }) => e,
                        _ => LlmError::DeadlineExceeded { budget_ms },
                    };
                    return fail(e, attempts, problems);
                }
                let breaker = self.load_breaker(&breaker_key, &mut problems).await;
                let (admission, transition) = breaker.admit(now, &self.config.breaker);
                if let Admission::Reject { retry_in_ms } = admission {
                    return fail(LlmError::CircuitOpen { provider: breaker_key, retry_in_ms }, attempts, problems);
                }
                if let Some(next) = transition {
                    self.save_breaker(&breaker_key, &next, &mut problems).await;
                }

                tries += 1;
                let timeout_ms = policy.attempt_timeout_ms.min(deadline.0 - now.0).max(1);
                let call = CallOptions { model: model.clone(), mode, stream, timeout_ms, now };
                let result = self.attempt(req, &call).await;
                let ended = self.clock.now();

                // Any answer from the server proves it is up; only outages count against it.
                // Re-read the state first: other calls of this review (or other
                // invocations) may have moved it while this attempt ran.
                let current = self.load_breaker(&breaker_key, &mut problems).await;
                let next_state = match &result {
                    Err(e) if e.is_outage() => current.on_failure(ended, &self.config.breaker),
                    _ => current.on_success(),
                };
                if next_state != current {
                    self.save_breaker(&breaker_key, &next_state, &mut problems).await;
                }

                attempts.push(Attempt {
                    model: model.clone(),
                    mode,
                    started_at: now,
                    elapsed_ms: ended.0.saturating_sub(now.0),
                    error: result.as_ref().err().cloned(),
                    waited_ms: 0,
                });

                let err = match result {
                    Ok(response) => {
                        let usage = CallUsage::of(req, &response, self.config.price_for(model));
                        let fallback = (index > 0).then(|| FallbackUsed {
                            from: models[0].clone(),
                            to: model.clone(),
                            reason: attempts
                                .iter()
                                .rev()
                                .find(|a| a.model != *model)
                                .and_then(|a| a.error.as_ref())
                                .map(|e| e.to_string())
                                .unwrap_or_default(),
                        });
                        return Ok(Completion { response, model_used: model.clone(), fallback, attempts, usage, problems });
                    }
                    Err(e) => e,
                };

                // The server refused the JSON mechanism: step down and retry at once.
                if let Some(weaker) = mode.and_then(StructuredMode::weaker).filter(|_| err.rejects_structured_output()) {
                    problems.push(format!("{model} refused {mode:?} structured output; retrying with {weaker:?}"));
                    mode = Some(weaker);
                    tries -= 1;
                    continue;
                }

                // The server refused streaming: the rest of this call goes without.
                if stream && err.rejects_streaming() {
                    problems.push(format!("{model} refused streaming; retrying without"));
                    stream = false;
                    tries -= 1;
                    continue;
                }

                if !err.is_retryable() {
                    let fallback = err.allows_fallback();
                    last_err = Some(err);
                    if fallback {
                        break;
                    }
                    return fail(last_err.take().unwrap_or(LlmError::DeadlineExceeded { budget_ms }), attempts, problems);
                }

                // Rate limits are per model on GitHub Models: a lighter model's quota
                // is untouched, so move on rather than wait.
                let retry_after = match &err {
                    LlmError::RateLimited { retry_after_ms, .. } => *retry_after_ms,
                    _ => None,
                };
                let rate_limited = matches!(err, LlmError::RateLimited { .. });
                last_err = Some(err);
                if tries >= policy.max_attempts_per_model || (rate_limited && has_next_model) {
                    break;
                }
                if retry_after.is_some_and(|ra| ra > policy.max_retry_after_ms) {
                    break;
                }
                let delay = policy.delay_ms(tries, retry_after, &mut self.jitter.borrow_mut());
                if ended.0 + delay >= deadline.0 {
                    break;
                }
                if let Some(a) = attempts.last_mut() {
                    a.waited_ms = delay;
                }
                self.clock.sleep(delay).await;
            }
        }
        let error = last_err.unwrap_or(LlmError::DeadlineExceeded { budget_ms });
        fail(error, attempts, problems)
    }

    /// Runs several requests with at most the primary model's concurrency in
    /// flight; results in input order.
    pub async fn complete_all(&self, reqs: &[ChatRequest], review_deadline: Option<UnixMillis>) -> Vec<Result<Completion, CallFailure>> {
        let concurrency = self.config.limits_for(&self.config.model).concurrency as usize;
        run_bounded(reqs.iter(), concurrency, |r| self.complete(r, review_deadline)).await
    }

    /// One attempt, abandoned when the clock passes its timeout even if the
    /// transport never gives up (no 15-minute hangs).
    async fn attempt(&self, req: &ChatRequest, call: &CallOptions) -> Result<ChatResponse, LlmError> {
        let work = pin!(self.provider.complete(req, call));
        let timer = pin!(self.clock.sleep(call.timeout_ms));
        match select(work, timer).await {
            Either::Left((result, _)) => result,
            Either::Right(((), _)) => Err(LlmError::Timeout { after_ms: call.timeout_ms }),
        }
    }

    async fn load_breaker(&self, key: &str, problems: &mut Vec<String>) -> BreakerState {
        match self.breakers.load(key).await {
            Ok(state) => state.unwrap_or_default(),
            Err(e) => {
                problems.push(format!("circuit breaker state unreadable ({e}); treated as closed"));
                BreakerState::default()
            }
        }
    }

    async fn save_breaker(&self, key: &str, state: &BreakerState, problems: &mut Vec<String>) {
        if let Err(e) = self.breakers.save(key, state).await {
            problems.push(format!("circuit breaker state not saved ({e})"));
        }
    }
}

//! Usage accounting: tokens per call and per review, and an estimated cost from
//! the price table (zero on the GitHub Models free tier, unknown rather than
//! guessed for models without a price). The pipeline reports the totals in the
//! review summary, on the status endpoint and in logs.

use crate::limits::Price;
use crate::types::{ChatRequest, ChatResponse, Usage};
use serde::{Deserialize, Serialize};

/// A rough token count for text the provider did not count for us (a cut
/// stream): about four characters per token for English and code.
pub fn estimate_tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallUsage {
    pub model: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// True when the provider reported no usage and the counts are estimates.
    pub estimated: bool,
    /// US dollars; `None` when the model has no known price.
    pub cost_usd: Option<f64>,
}

impl CallUsage {
    /// The usage of one successful reply: the provider's counts, else estimates.
    pub fn of(req: &ChatRequest, resp: &ChatResponse, price: Option<Price>) -> Self {
        let (u, estimated) = match resp.usage {
            Some(u) => (u, false),
            None => (Usage { prompt_tokens: estimate_tokens(req.prompt_chars()), completion_tokens: estimate_tokens(resp.text.len()) }, true),
        };
        Self {
            model: resp.model.clone(),
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            estimated,
            cost_usd: price.map(|p| p.cost_usd(u.prompt_tokens, u.completion_tokens)),
        }
    }
}

/// All calls of one review.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageLedger {
    pub calls: Vec<CallUsage>,
    /// Calls that failed after all retries (they may still have cost tokens the provider did not report).
    pub failed_calls: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageTotals {
    pub calls: u32,
    pub failed_calls: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Sum over calls with a known price.
    pub cost_usd: f64,
    /// False when some call's model had no known price: `cost_usd` is then a lower bound.
    pub cost_complete: bool,
    /// True when some counts are estimates.
    pub estimated: bool,
}

impl UsageLedger {
    pub fn record(&mut self, call: CallUsage) {
        self.calls.push(call);
    }

    pub fn record_failure(&mut self) {
        self.failed_calls += 1;
    }

    pub fn totals(&self) -> UsageTotals {
        let mut t = UsageTotals { failed_calls: self.failed_calls, cost_complete: true, ..Default::default() };
        for c in &self.calls {
            t.calls += 1;
            t.prompt_tokens += c.prompt_tokens;
            t.completion_tokens += c.completion_tokens;
            match c.cost_usd {
                Some(cost) => t.cost_usd += cost,
                None => t.cost_complete = false,
            }
            t.estimated |= c.estimated;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FinishReason, Message};

    fn resp(model: &str, usage: Option<Usage>, text: &str) -> ChatResponse {
        ChatResponse { text: text.into(), usage, finish_reason: FinishReason::Stop, model: model.into(), structured: None }
    }

    #[test]
    fn ledger_sums_calls_and_flags_unknowns() {
        let req = ChatRequest::new(vec![Message::user("x".repeat(400))], 100);
        let mini = Price { input_per_mtok: 0.15, output_per_mtok: 0.60 };
        let mut ledger = UsageLedger::default();
        ledger.record(CallUsage::of(&req, &resp("gpt-4o-mini", Some(Usage { prompt_tokens: 1000, completion_tokens: 200 }), ""), Some(mini)));
        ledger.record(CallUsage::of(&req, &resp("gpt-4o-mini", None, &"y".repeat(41)), Some(mini)));
        ledger.record_failure();
        let t = ledger.totals();
        assert_eq!((t.calls, t.failed_calls, t.prompt_tokens, t.completion_tokens), (2, 1, 1100, 211));
        assert!(t.estimated && t.cost_complete);
        assert!((t.cost_usd - (1100.0 * 0.15 + 211.0 * 0.60) / 1e6).abs() < 1e-12);

        ledger.record(CallUsage::of(&req, &resp("llama3", Some(Usage { prompt_tokens: 5, completion_tokens: 5 }), ""), None));
        assert!(!ledger.totals().cost_complete);
        // The free tier is free.
        let free = CallUsage::of(&req, &resp("openai/gpt-4o", Some(Usage { prompt_tokens: 8000, completion_tokens: 4000 }), ""), Some(Price::FREE));
        assert_eq!(free.cost_usd, Some(0.0));
    }
}

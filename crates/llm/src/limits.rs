//! Per-model limits (input and output tokens per request, concurrent requests)
//! and prices. The review engine's chunker sizes chunks from [`ModelLimits`];
//! the client bounds parallel calls with `concurrency`. Unknown models get the
//! configured or default limits instead of an error.

use crate::config::ProviderKind;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelLimits {
    /// Prompt tokens one request may carry.
    pub max_input_tokens: u32,
    /// Reply tokens one request may ask for.
    pub max_output_tokens: u32,
    /// Requests in flight at once.
    pub concurrency: u32,
}

/// Limits for a model nobody told us about: the GitHub Models free tier's,
/// the smallest common denominator, so an unknown model degrades to small
/// chunks rather than to 413s.
pub const DEFAULT_LIMITS: ModelLimits = ModelLimits { max_input_tokens: 8000, max_output_tokens: 4000, concurrency: 2 };

/// Configuration overrides (`LLM_MAX_INPUT_TOKENS`, `LLM_MAX_OUTPUT_TOKENS`,
/// `LLM_CONCURRENCY`); each wins over the table when set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitOverrides {
    pub max_input_tokens: Option<u32>,
    pub max_output_tokens: Option<u32>,
    pub concurrency: Option<u32>,
}

/// The model name without a publisher prefix (`openai/gpt-4o-mini` → `gpt-4o-mini`),
/// lower-cased, so one table serves GitHub Models ids and bare provider ids.
pub fn bare_model(model: &str) -> String {
    model.rsplit('/').next().unwrap_or(model).trim().to_ascii_lowercase()
}

/// OpenAI reasoning models (o-series, gpt-5 family): they take
/// `max_completion_tokens` instead of `max_tokens` and only the default temperature.
/// <https://platform.openai.com/docs/guides/reasoning>
pub fn is_reasoning_model(model: &str) -> bool {
    let m = bare_model(model);
    ["o1", "o3", "o4", "gpt-5"].iter().any(|p| m == *p || m.starts_with(&format!("{p}-")))
}

/// GitHub Models free-tier limits, per
/// <https://docs.github.com/en/github-models/use-github-models/prototyping-with-ai-models#rate-limits>:
/// "low" and "high" tier chat models allow 8000 input / 4000 output tokens per
/// request with 5 and 2 concurrent requests; the o-series, gpt-5 and
/// DeepSeek-R1-class models allow 4000 in / 4000 out and 1 concurrent request.
fn github_models_limits(model: &str) -> Option<ModelLimits> {
    let m = bare_model(model);
    if is_reasoning_model(&m) || m.contains("deepseek-r1") || m.contains("mai-ds-r1") || m.starts_with("grok-3") {
        return Some(ModelLimits { max_input_tokens: 4000, max_output_tokens: 4000, concurrency: 1 });
    }
    const LOW_TIER: &[&str] = &[
        "gpt-4o-mini",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "phi-",
        "meta-llama-3.1-8b",
        "llama-3.2-11b",
        "ministral-3b",
        "mistral-small",
        "codestral",
        "cohere-command-r-08",
        "jamba-1.5-mini",
    ];
    let concurrency = if LOW_TIER.iter().any(|p| m.starts_with(p)) { 5 } else { 2 };
    Some(ModelLimits { max_input_tokens: 8000, max_output_tokens: 4000, concurrency })
}

/// Context and output sizes as the vendors publish them
/// (<https://platform.openai.com/docs/models>, <https://docs.anthropic.com/en/docs/about-claude/models/overview>).
/// Paid APIs have no fixed concurrency cap (rate limits are per minute), so 4
/// keeps a review's burst modest; `LLM_CONCURRENCY` raises it.
fn paid_limits(model: &str) -> Option<ModelLimits> {
    let m = bare_model(model);
    let (input, output) = if m.starts_with("gpt-4o") {
        (128_000, 16_384)
    } else if m.starts_with("gpt-4.1") {
        (1_000_000, 32_768)
    } else if m.starts_with("gpt-5") {
        (272_000, 128_000)
    } else if m.starts_with("o3") || m.starts_with("o4") || m.starts_with("o1") {
        (200_000, 100_000)
    } else if m.starts_with("claude-3-5-haiku") || m.starts_with("claude-3-haiku") {
        (200_000, 8_192)
    } else if m.starts_with("claude-opus-4") {
        (200_000, 32_000)
    } else if m.starts_with("claude-") {
        (200_000, 64_000)
    } else {
        return None;
    };
    Some(ModelLimits { max_input_tokens: input, max_output_tokens: output, concurrency: 4 })
}

/// Limits for `model` on `provider`, with configuration overrides applied.
/// Never fails: an unknown model gets [`DEFAULT_LIMITS`] (then the overrides).
pub fn limits_for(provider: ProviderKind, model: &str, overrides: &LimitOverrides) -> ModelLimits {
    let base = match provider {
        ProviderKind::GithubModels => github_models_limits(model),
        ProviderKind::OpenAi | ProviderKind::Anthropic => paid_limits(model),
        ProviderKind::WorkersAi => None,
    }
    .unwrap_or(DEFAULT_LIMITS);
    ModelLimits {
        max_input_tokens: overrides.max_input_tokens.unwrap_or(base.max_input_tokens).max(1),
        max_output_tokens: overrides.max_output_tokens.unwrap_or(base.max_output_tokens).max(1),
        concurrency: overrides.concurrency.unwrap_or(base.concurrency).max(1),
    }
}

/// US dollars per million tokens.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Price {
    pub const FREE: Price = Price { input_per_mtok: 0.0, output_per_mtok: 0.0 };

    pub fn cost_usd(&self, prompt_tokens: u64, completion_tokens: u64) -> f64 {
        (prompt_tokens as f64 * self.input_per_mtok + completion_tokens as f64 * self.output_per_mtok) / 1_000_000.0
    }
}

/// The list price of `model` on `provider`; `None` when unknown (the cost is then
/// reported as unknown, never guessed). GitHub Models' free tier costs nothing.
/// Figures as published on <https://openai.com/api/pricing/> and
/// <https://www.anthropic.com/pricing#api>; `LLM_PRICE_INPUT_PER_MTOK` /
/// `LLM_PRICE_OUTPUT_PER_MTOK` override them when they move.
pub fn price_for(provider: ProviderKind, model: &str) -> Option<Price> {
    let m = bare_model(model);
    let p = |i: f64, o: f64| Some(Price { input_per_mtok: i, output_per_mtok: o });
    match provider {
        ProviderKind::GithubModels => Some(Price::FREE),
        ProviderKind::WorkersAi => None,
        ProviderKind::OpenAi | ProviderKind::Anthropic => {
            // Longest prefixes first: "gpt-4o-mini" must not match "gpt-4o".
            const TABLE: &[(&str, f64, f64)] = &[
                ("gpt-4o-mini", 0.15, 0.60),
                ("gpt-4o", 2.50, 10.00),
                ("gpt-4.1-nano", 0.10, 0.40),
                ("gpt-4.1-mini", 0.40, 1.60),
                ("gpt-4.1", 2.00, 8.00),
                ("gpt-5-nano", 0.05, 0.40),
                ("gpt-5-mini", 0.25, 2.00),
                ("gpt-5", 1.25, 10.00),
                ("o4-mini", 1.10, 4.40),
                ("o3-mini", 1.10, 4.40),
                ("o3", 2.00, 8.00),
                ("claude-3-5-haiku", 0.80, 4.00),
                ("claude-haiku-4", 1.00, 5.00),
                ("claude-sonnet-4", 3.00, 15.00),
                ("claude-3-7-sonnet", 3.00, 15.00),
                ("claude-opus-4-5", 5.00, 25.00),
                ("claude-opus-4", 15.00, 75.00),
            ];
            TABLE.iter().find(|(prefix, _, _)| m.starts_with(prefix)).and_then(|&(_, i, o)| p(i, o))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_table() {
        let none = LimitOverrides::default();
        let gh = ProviderKind::GithubModels;
        // (provider, model, expected in, out, concurrency)
        let cases: &[(ProviderKind, &str, u32, u32, u32)] = &[
            (gh, "openai/gpt-4o-mini", 8000, 4000, 5),
            (gh, "openai/gpt-4.1", 8000, 4000, 2),
            (gh, "openai/gpt-4o", 8000, 4000, 2),
            (gh, "openai/o4-mini", 4000, 4000, 1),
            (gh, "openai/gpt-5", 4000, 4000, 1),
            (gh, "openai/gpt-5-mini", 4000, 4000, 1),
            (gh, "deepseek/DeepSeek-R1", 4000, 4000, 1),
            (gh, "some-publisher/brand-new-model", 8000, 4000, 2),
            (ProviderKind::OpenAi, "gpt-4o-mini-2024-07-18", 128_000, 16_384, 4),
            (ProviderKind::OpenAi, "llama3.1:8b", 8000, 4000, 2),
            (ProviderKind::Anthropic, "claude-sonnet-4-5", 200_000, 64_000, 4),
            (ProviderKind::Anthropic, "claude-3-5-haiku-latest", 200_000, 8_192, 4),
            (ProviderKind::WorkersAi, "@cf/meta/llama-3.3-70b-instruct-fp8-fast", 8000, 4000, 2),
        ];
        for &(p, model, i, o, c) in cases {
            let l = limits_for(p, model, &none);
            assert_eq!((l.max_input_tokens, l.max_output_tokens, l.concurrency), (i, o, c), "{p:?} {model}");
        }
    }

    #[test]
    fn overrides_win_and_zero_is_clamped() {
        let o = LimitOverrides { max_input_tokens: Some(16_000), max_output_tokens: None, concurrency: Some(0) };
        let l = limits_for(ProviderKind::GithubModels, "openai/gpt-4o-mini", &o);
        assert_eq!(l, ModelLimits { max_input_tokens: 16_000, max_output_tokens: 4000, concurrency: 1 });
    }

    #[test]
    fn reasoning_models() {
        for (m, want) in [
            ("openai/o4-mini", true),
            ("o1", true),
            ("gpt-5-nano", true),
            ("gpt-4o", false),
            ("openai/gpt-4.1-mini", false),
            ("o1x", false),
            ("llama-o1", false),
        ] {
            assert_eq!(is_reasoning_model(m), want, "{m}");
        }
    }

    #[test]
    fn prices() {
        assert_eq!(price_for(ProviderKind::GithubModels, "openai/gpt-4o"), Some(Price::FREE));
        let mini = price_for(ProviderKind::OpenAi, "gpt-4o-mini").unwrap();
        assert_eq!(mini.input_per_mtok, 0.15);
        let big = price_for(ProviderKind::OpenAi, "gpt-4o-2024-08-06").unwrap();
        assert_eq!(big.input_per_mtok, 2.5);
        assert_eq!(price_for(ProviderKind::OpenAi, "llama3.1:8b"), None);
        assert!((mini.cost_usd(1_000_000, 1_000_000) - 0.75).abs() < 1e-9);
    }
}

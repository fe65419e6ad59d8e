//! The single integration-test binary of argus-llm: request building per
//! provider (snapshots), stream and reply parsing, and the client's retry,
//! fallback, deadline, breaker, parallelism and usage behaviour in simulated time.

mod client;
mod replies;
mod requests;

use argus_llm::LlmConfig;
use std::collections::HashMap;

/// A configuration from `NAME=value` pairs, as the Worker would see them.
pub fn config(vars: &[(&str, &str)]) -> LlmConfig {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    LlmConfig::from_env(|k| map.get(k).cloned()).expect("test configuration is valid")
}

/// The schema shape the review engine supplies (a findings list).
pub fn findings_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {"findings": {"type": "array", "items": {"type": "object",
            "properties": {"line": {"type": "integer"}, "body": {"type": "string"}},
            "required": ["line", "body"], "additionalProperties": false}}},
        "required": ["findings"], "additionalProperties": false
    })
}

//! The environment-variable layer: which Worker var sets which key, and how a
//! var's text becomes a value. Names follow the seed's `wrangler.toml`
//! (`REVIEW_ENABLED_EVENTS`, `MAX_FILES_PER_REVIEW`, `GITHUB_MODEL`,
//! `LLM_FALLBACK_MODELS`, `REVIEW_DEBOUNCE_SECONDS`); lists are comma-separated,
//! booleans are `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), and an
//! empty value counts as unset, as elsewhere in ArgusAI.

use crate::problem::{Effect, Layer, Problem, code, serde_message};
use crate::raw::RawConfig;
use crate::validate::{self, Sink};
use std::collections::HashMap;

/// How a variable's text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvShape {
    Bool,
    Number,
    /// Comma-separated.
    List,
    Text,
}

/// One environment variable and the key it sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvVar {
    pub name: &'static str,
    pub key: &'static str,
    pub shape: EnvShape,
}

const fn var(name: &'static str, key: &'static str, shape: EnvShape) -> EnvVar {
    EnvVar { name, key, shape }
}

/// Every variable the configuration reads, in key order. Keys without a
/// variable (`path_instructions`, `learnings`, `reset_ignore`) are only set in files.
/// `LLM_MODEL` wins over `GITHUB_MODEL`, and `GITHUB_MODEL` counts only when
/// `LLM_PROVIDER` is unset or `github-models`: the same rule as `argus-llm`.
pub const ENV_VARS: &[EnvVar] = &[
    var("REVIEW_AUTO", "auto_review", EnvShape::Bool),
    var("REVIEW_ENABLED_EVENTS", "events", EnvShape::List),
    var("REVIEW_DRAFTS", "review_drafts", EnvShape::Bool),
    var("REVIEW_SKIP_LABELS", "skip_labels", EnvShape::List),
    var("REVIEW_SKIP_TITLE_KEYWORDS", "skip_title_keywords", EnvShape::List),
    var("REVIEW_SKIP_AUTHORS", "skip_authors", EnvShape::List),
    var("REVIEW_SKIP_BASE_BRANCHES", "skip_base_branches", EnvShape::List),
    var("REVIEW_INCLUDE", "include", EnvShape::List),
    var("REVIEW_IGNORE", "ignore", EnvShape::List),
    var("REVIEW_DEFAULT_IGNORES", "default_ignores", EnvShape::Bool),
    var("MAX_FILES_PER_REVIEW", "max_files", EnvShape::Number),
    var("MAX_CHANGED_LINES_PER_FILE", "max_changed_lines_per_file", EnvShape::Number),
    var("REVIEW_SEVERITY_THRESHOLD", "severity_threshold", EnvShape::Text),
    var("MAX_INLINE_COMMENTS", "max_inline_comments", EnvShape::Number),
    var("REVIEW_PROFILE", "profile", EnvShape::Text),
    var("REVIEW_INSTRUCTIONS", "instructions", EnvShape::Text),
    var("REVIEW_LANGUAGE", "language", EnvShape::Text),
    var("LLM_MODEL", "model", EnvShape::Text),
    var("GITHUB_MODEL", "model", EnvShape::Text),
    var("LLM_FALLBACK_MODELS", "fallback_models", EnvShape::List),
    var("REVIEW_DEBOUNCE_SECONDS", "debounce_seconds", EnvShape::Number),
];

/// The variables that set `key`, for the docs table.
pub fn vars_for_key(key: &str) -> Vec<&'static str> {
    ENV_VARS.iter().filter(|v| v.key == key).map(|v| v.name).collect()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The environment layer from the Worker's vars (name, value pairs as the
/// platform passes them; later duplicates win).
pub(crate) fn env_layer(vars: &[(String, String)], problems: &mut Vec<Problem>) -> RawConfig {
    let get: HashMap<&str, &str> = vars.iter().map(|(k, v)| (k.as_str(), v.trim())).filter(|(_, v)| !v.is_empty()).collect();
    let provider_is_github = get.get("LLM_PROVIDER").is_none_or(|p| p.eq_ignore_ascii_case("github-models"));

    let mut raw = RawConfig::default();
    let mut bad = Vec::new();
    // Which variable supplied each key, to name it in validation problems.
    let mut source: HashMap<&'static str, &'static str> = HashMap::new();
    for v in ENV_VARS {
        let Some(text) = get.get(v.name).copied() else { continue };
        if source.contains_key(v.key) {
            continue; // An earlier variable for the same key won (LLM_MODEL over GITHUB_MODEL).
        }
        if v.name == "GITHUB_MODEL" && !provider_is_github {
            continue;
        }
        let value = match v.shape {
            EnvShape::Bool => match parse_bool(text) {
                Some(b) => serde_json::Value::Bool(b),
                None => {
                    bad.push((v.name, format!("is {}, expected true or false", code(text))));
                    continue;
                }
            },
            EnvShape::Number => match text.parse::<u64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => {
                    bad.push((v.name, format!("is {}, expected a whole number", code(text))));
                    continue;
                }
            },
            EnvShape::List => serde_json::Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    // REVIEW_ENABLED_EVENTS spells events `pull_request.opened`.
                    .map(|s| if v.key == "events" { s.strip_prefix("pull_request.").unwrap_or(s) } else { s })
                    .map(|s| serde_json::Value::String(s.to_string()))
                    .collect(),
            ),
            EnvShape::Text if matches!(v.key, "severity_threshold" | "profile") => serde_json::Value::String(text.to_ascii_lowercase()),
            EnvShape::Text => serde_json::Value::String(text.to_string()),
        };
        let mut single = serde_json::Map::new();
        single.insert(v.key.to_string(), value);
        match serde_json::from_value::<RawConfig>(serde_json::Value::Object(single)) {
            Ok(one) => {
                raw.overlay(one);
                source.insert(v.key, v.name);
            }
            Err(e) => bad.push((v.name, serde_message(&e.to_string()))),
        }
    }

    let first = problems.len();
    for (name, why) in bad {
        problems.push(Problem { layer: Layer::Env, key: name.into(), line: None, message: why, effect: Effect::KeyIgnored });
    }
    let validated_from = problems.len();
    let no_lines = HashMap::new();
    validate::layer(&mut raw, &mut Sink { layer: Layer::Env, lines: &no_lines, problems });
    // Validation speaks in keys (`max_files`, `ignore[1]`); name the variable instead.
    for p in &mut problems[validated_from..] {
        let split = p.key.find(['[', '.']).unwrap_or(p.key.len());
        if let Some(name) = source.get(&p.key[..split]) {
            p.key = format!("{name}{}", &p.key[split..]);
        }
    }
    // One order for all of the layer's problems: the variables' table order.
    let rank = |key: &str| {
        let name = &key[..key.find('[').unwrap_or(key.len())];
        ENV_VARS.iter().position(|v| v.name == name).unwrap_or(usize::MAX)
    };
    argus_core::sort::sort_by_key(&mut problems[first..], |p| rank(&p.key));
    raw
}

//! Text of one layer (TOML, or JSON for the KV layers) to a validated
//! [`RawConfig`] plus problems.
//!
//! Granularity, decided here once: a syntax error discards the whole layer
//! (nothing in it can be trusted), but otherwise each top-level key is
//! deserialized on its own, so one wrong key (unknown, wrong type, out of
//! range) discards only that key and the layer's other keys still apply. List
//! entries that fail validation (a bad glob in `ignore`, a bad
//! `[[path_instructions]]` table) are dropped one by one.

use crate::model::{ContextMode, Profile, Severity};
use crate::problem::{Effect, Layer, Problem, code, serde_message};
use crate::raw::RawConfig;
use crate::validate::{self, Sink};
use std::collections::HashMap;

/// A parsed value of either format that can be deserialized one key at a time.
trait LayerValue: Sized {
    /// Deserializes `{ key = value }` as a [`RawConfig`].
    fn single(key: &str, value: Self) -> Result<RawConfig, String>;
    /// The items, when the value is an array.
    fn into_items(self) -> Result<Vec<Self>, Self>;
    /// Deserializes one entry of an array of tables (`[[path_instructions]]`, `[[learnings]]`).
    fn entry<T: serde::de::DeserializeOwned>(self) -> Result<T, String>;
    fn is_str(&self) -> bool;
}

impl LayerValue for toml::Value {
    fn single(key: &str, value: Self) -> Result<RawConfig, String> {
        let mut t = toml::Table::new();
        t.insert(key.to_string(), value);
        toml::Value::Table(t).try_into().map_err(|e: toml::de::Error| serde_message(e.message()))
    }
    fn into_items(self) -> Result<Vec<Self>, Self> {
        match self {
            toml::Value::Array(a) => Ok(a),
            other => Err(other),
        }
    }
    fn entry<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        self.try_into().map_err(|e: toml::de::Error| serde_message(e.message()))
    }
    fn is_str(&self) -> bool {
        self.is_str()
    }
}

impl LayerValue for serde_json::Value {
    fn single(key: &str, value: Self) -> Result<RawConfig, String> {
        let mut m = serde_json::Map::new();
        m.insert(key.to_string(), value);
        serde_json::from_value(serde_json::Value::Object(m)).map_err(|e| serde_message(&e.to_string()))
    }
    fn into_items(self) -> Result<Vec<Self>, Self> {
        match self {
            serde_json::Value::Array(a) => Ok(a),
            other => Err(other),
        }
    }
    fn entry<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        serde_json::from_value(self).map_err(|e| serde_message(&e.to_string()))
    }
    fn is_str(&self) -> bool {
        self.is_string()
    }
}

/// Parses the text of a `.github/argusai.toml`: TOML only.
pub(crate) fn toml_layer(text: &str, layer: Layer, problems: &mut Vec<Problem>) -> RawConfig {
    // The spanned document: syntax errors and line numbers.
    let doc = match toml::de::DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            problems.push(Problem {
                layer,
                key: String::new(),
                line,
                message: format!("is not valid TOML: {}", e.message().trim()),
                effect: Effect::LayerIgnored,
            });
            return RawConfig::default();
        }
    };
    let mut lines = HashMap::new();
    for (key, value) in doc.get_ref().iter() {
        lines.insert(key.get_ref().to_string(), line_of(text, key.span().start));
        if let Some(items) = value.get_ref().as_array() {
            for (i, item) in items.iter().enumerate() {
                lines.insert(format!("{}[{i}]", key.get_ref()), line_of(text, item.span().start));
            }
        }
    }
    // The same parse, now as plain values (no second pass over the text).
    let table = match <toml::Table as serde::Deserialize>::deserialize(toml::de::Deserializer::from(doc)) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem {
                layer,
                key: String::new(),
                line: e.span().map(|s| line_of(text, s.start)),
                message: format!("is not valid TOML: {}", e.message().trim()),
                effect: Effect::LayerIgnored,
            });
            return RawConfig::default();
        }
    };
    let mut entries: Vec<(String, toml::Value)> = table.into_iter().collect();
    // Report in file order, which is how a user reads the file.
    argus_core::sort::sort_by_key(&mut entries, |(k, _)| lines.get(k).copied().unwrap_or(usize::MAX));
    keys(entries, layer, &lines, problems)
}

/// Parses a KV layer: JSON when the text starts with `{`, TOML otherwise
/// (a leading `[` is a TOML table header, not a JSON array)
/// (operators write whichever they like with `wrangler kv key put`).
pub(crate) fn kv_layer(text: &str, layer: Layer, problems: &mut Vec<Problem>) -> RawConfig {
    if !text.trim_start().starts_with('{') {
        return toml_layer(text, layer, problems);
    }
    // It starts with `{`, so if it parses at all it is an object.
    let map: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            problems.push(Problem {
                layer,
                key: String::new(),
                line: Some(e.line()),
                message: format!("is not valid JSON: {e}"),
                effect: Effect::LayerIgnored,
            });
            return RawConfig::default();
        }
    };
    // serde_json's map is sorted by key; without line numbers that is as good an order as any.
    keys(map.into_iter().collect(), layer, &HashMap::new(), problems)
}

/// The key-by-key part shared by both formats, followed by validation.
fn keys<V: LayerValue>(entries: Vec<(String, V)>, layer: Layer, lines: &HashMap<String, usize>, problems: &mut Vec<Problem>) -> RawConfig {
    let mut raw = RawConfig::default();
    let first = problems.len();
    let mut sink = Sink { layer, lines, problems };
    for (key, value) in entries {
        if !RawConfig::KEYS.contains(&key.as_str()) {
            sink.push(&key, unknown_key(&key), Effect::KeyIgnored);
            continue;
        }
        if key == "path_instructions" {
            raw.path_instructions = table_entries(&key, value, &mut sink, validate::path_instruction);
            continue;
        }
        if key == "learnings" {
            raw.learnings = table_entries(&key, value, &mut sink, validate::learning);
            continue;
        }
        // A number where a named choice belongs gets serde's least helpful
        // message ("invalid type: unit variant"); say what is expected instead.
        let choices = match key.as_str() {
            "severity_threshold" => Some(Severity::ALL.map(Severity::as_str).join("`, `")),
            "profile" => Some(Profile::ALL.map(Profile::as_str).join("`, `")),
            "context" => Some(ContextMode::ALL.map(ContextMode::as_str).join("`, `")),
            _ => None,
        };
        if let Some(choices) = choices
            && !value.is_str()
        {
            sink.push(&key, format!("is not a string, expected one of `{choices}`"), Effect::KeyIgnored);
            continue;
        }
        match V::single(&key, value) {
            Ok(one) => raw.overlay(one),
            Err(why) => sink.push(&key, why, Effect::KeyIgnored),
        }
    }
    validate::layer(&mut raw, &mut sink);
    // Report in file order (parse and validation problems interleaved), as a
    // user reads the file; the sort is stable, so a line keeps its key order.
    argus_core::sort::sort_by_key(&mut problems[first..], |p| p.line.unwrap_or(usize::MAX));
    raw
}

/// The entries of an array of tables, each deserialized and checked on its
/// own: a bad entry is dropped with a problem naming it (`learnings[2].path`).
/// `None` (the key ignored) when the value is not an array.
fn table_entries<V: LayerValue, T: serde::de::DeserializeOwned>(
    key: &str,
    value: V,
    sink: &mut Sink<'_>,
    check: impl Fn(&T) -> Result<(), (&'static str, String)>,
) -> Option<Vec<T>> {
    match value.into_items() {
        Ok(items) => {
            let mut kept = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                let at = format!("{key}[{i}]");
                match item.entry::<T>() {
                    Err(why) => sink.push(&at, why, Effect::EntryIgnored),
                    Ok(entry) => match check(&entry) {
                        Err((field, why)) => sink.push(&format!("{at}.{field}"), why, Effect::EntryIgnored),
                        Ok(()) => kept.push(entry),
                    },
                }
            }
            Some(kept)
        }
        Err(other) => {
            // Let serde word the type error the same way as for other keys.
            let why = V::single(key, other).err().unwrap_or_else(|| "expected an array of tables".into());
            sink.push(key, why, Effect::KeyIgnored);
            None
        }
    }
}

/// "unknown key", with the closest known key when one is close enough to be a typo.
fn unknown_key(key: &str) -> String {
    let best = RawConfig::KEYS.iter().map(|k| (strsim::jaro_winkler(key, k), *k)).max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, k)) if score >= 0.85 => format!("is not a known key; did you mean {}?", code(k)),
        _ => "is not a known key (see docs/configuration.md)".into(),
    }
}

/// 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

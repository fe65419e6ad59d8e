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

/// A TOML value as JSON, so both formats go through one decoder: serde
/// compiles each type's decoder once per input type, and the TOML copy of the
/// configuration's was 66 KiB of the Worker. Date-times become their text, as
/// toml's own decoder hands them to string fields; only the floats JSON cannot
/// hold (`nan`, `inf`) fail, and no setting takes a float (one inside a list
/// of tables makes the whole key ignored, not only its entry).
fn json_of(value: toml::Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match value {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(f).map(J::Number).ok_or_else(|| format!("holds the floating point `{f}`, which no setting takes"))?
        }
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.into_iter().map(json_of).collect::<Result<_, _>>()?),
        toml::Value::Table(t) => J::Object(t.into_iter().map(|(k, v)| Ok((k, json_of(v)?))).collect::<Result<_, String>>()?),
    })
}

/// `{ key = value }` as a [`RawConfig`].
fn single(key: &str, value: serde_json::Value) -> Result<RawConfig, String> {
    let mut m = serde_json::Map::new();
    m.insert(key.to_string(), value);
    serde_json::from_value(serde_json::Value::Object(m)).map_err(|e| serde_message(&e.to_string()))
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
    let mut entries: Vec<(String, Result<serde_json::Value, String>)> = table.into_iter().map(|(k, v)| (k, json_of(v))).collect();
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
    keys(map.into_iter().map(|(k, v)| (k, Ok(v))).collect(), layer, &HashMap::new(), problems)
}

/// The key-by-key part shared by both formats, followed by validation.
fn keys(
    entries: Vec<(String, Result<serde_json::Value, String>)>,
    layer: Layer,
    lines: &HashMap<String, usize>,
    problems: &mut Vec<Problem>,
) -> RawConfig {
    let mut raw = RawConfig::default();
    let first = problems.len();
    let mut sink = Sink { layer, lines, problems };
    for (key, value) in entries {
        if !RawConfig::KEYS.contains(&key.as_str()) {
            sink.push(&key, unknown_key(&key), Effect::KeyIgnored);
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
            && !matches!(&value, Ok(v) if v.is_string())
        {
            sink.push(&key, format!("is not a string, expected one of `{choices}`"), Effect::KeyIgnored);
            continue;
        }
        let value = match value {
            Ok(v) => v,
            Err(why) => {
                sink.push(&key, why, Effect::KeyIgnored);
                continue;
            }
        };
        if key == "path_instructions" {
            raw.path_instructions = table_entries(&key, value, &mut sink, validate::path_instruction);
            continue;
        }
        if key == "learnings" {
            raw.learnings = table_entries(&key, value, &mut sink, validate::learning);
            continue;
        }
        match single(&key, value) {
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
fn table_entries<T: serde::de::DeserializeOwned>(
    key: &str,
    value: serde_json::Value,
    sink: &mut Sink<'_>,
    check: impl Fn(&T) -> Result<(), (&'static str, String)>,
) -> Option<Vec<T>> {
    match value {
        serde_json::Value::Array(items) => {
            let mut kept = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                let at = format!("{key}[{i}]");
                match serde_json::from_value::<T>(item).map_err(|e| serde_message(&e.to_string())) {
                    Err(why) => sink.push(&at, why, Effect::EntryIgnored),
                    Ok(entry) => match check(&entry) {
                        Err((field, why)) => sink.push(&format!("{at}.{field}"), why, Effect::EntryIgnored),
                        Ok(()) => kept.push(entry),
                    },
                }
            }
            Some(kept)
        }
        other => {
            // Let serde word the type error the same way as for other keys.
            let why = single(key, other).err().unwrap_or_else(|| "expected an array of tables".into());
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

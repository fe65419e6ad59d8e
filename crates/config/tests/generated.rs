//! The committed JSON Schema and docs table are generated from the types; these
//! tests fail when they are stale. Regenerate with
//! `UPDATE_SCHEMA=1 cargo test -p argus-config`.

use argus_config::docs::{configuration_markdown, json_schema, json_schema_text, key_docs};
use argus_config::env::ENV_VARS;
use argus_config::{Config, RawConfig};
use std::path::{Path, PathBuf};

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// Compares `generated` with the committed file, or rewrites it under UPDATE_SCHEMA=1.
fn check_committed(rel: &str, generated: &str) {
    let path = repo_file(rel);
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{rel} is stale: run `UPDATE_SCHEMA=1 cargo test -p argus-config` and commit the result"
    );
}

#[test]
fn committed_schema_is_fresh() {
    check_committed("config/argusai.schema.json", &json_schema_text());
}

#[test]
fn committed_docs_are_fresh() {
    check_committed("docs/configuration.md", &configuration_markdown());
}

#[test]
fn schema_lists_every_key_and_rejects_unknown_ones() {
    let schema = json_schema();
    let props: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    let mut keys = RawConfig::KEYS.to_vec();
    keys.sort();
    let mut props_sorted = props.clone();
    props_sorted.sort();
    assert_eq!(props_sorted, keys);
    assert_eq!(schema["additionalProperties"], serde_json::Value::Bool(false));
    // TOML has no null, so the schema must not offer it anywhere.
    assert!(!json_schema_text().contains("\"null\""));
}

#[test]
fn resolved_fields_are_the_file_keys() {
    // The docs take defaults from the doc comments and compare them with
    // `Config::default()` by key name, so the names must line up.
    let resolved = serde_json::to_value(Config::default()).unwrap();
    let fields: Vec<&str> = resolved.as_object().unwrap().keys().map(String::as_str).collect();
    let per_layer_only = ["reset_ignore"];
    for key in RawConfig::KEYS {
        assert_eq!(fields.contains(key), !per_layer_only.contains(key), "{key}");
    }
    assert_eq!(fields.len() + per_layer_only.len(), RawConfig::KEYS.len());
    for v in ENV_VARS {
        assert!(RawConfig::KEYS.contains(&v.key), "{} sets unknown key {}", v.name, v.key);
    }
}

#[test]
fn documented_defaults_match_the_code() {
    let defaults = serde_json::to_value(Config::default()).unwrap();
    for doc in key_docs() {
        assert!(!doc.description.is_empty(), "{}: no description", doc.key);
        let code_default = defaults.get(&doc.key).cloned().unwrap_or(serde_json::Value::Bool(false));
        if doc.default == "unset" {
            assert!(code_default.is_null(), "{}: documented unset, code has {code_default}", doc.key);
            continue;
        }
        let literal = doc.default.trim_matches('`');
        let parsed: toml::Table = toml::from_str(&format!("v = {literal}"))
            .unwrap_or_else(|e| panic!("{}: default {:?} is not a TOML value: {e}", doc.key, doc.default));
        let documented = serde_json::to_value(&parsed["v"]).unwrap();
        assert_eq!(documented, code_default, "{}: doc comment and Config::default() disagree", doc.key);
    }
}

//! Generated artifacts: the JSON Schema of `.github/argusai.toml`
//! (config/argusai.schema.json) and the configuration reference
//! (docs/configuration.md), both from [`RawConfig`]'s types and doc comments,
//! the env-var table and the merge-order docs of [`crate::resolve`]. Tests fail
//! when the committed files are stale; `UPDATE_SCHEMA=1 cargo test -p
//! argus-config` rewrites them.

use crate::env::vars_for_key;
use crate::raw::RawConfig;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// The JSON Schema (draft 7, which editors' TOML plugins such as Taplo / Even
/// Better TOML understand) for one configuration layer.
pub fn json_schema() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawConfig>();
    let mut value = schema.to_value();
    // TOML has no null: an unset key is simply absent, so `Option`'s null
    // alternative is noise for editors.
    strip_null(&mut value);
    value
}

/// The schema as committed: pretty JSON with a trailing newline.
pub fn json_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    s.push('\n');
    s
}

fn strip_null(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types[0].clone();
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alts)) = map.get_mut(key) {
                    alts.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
                    if alts.len() == 1 {
                        let only = alts.remove(0);
                        map.remove(key);
                        if let Value::Object(inner) = only {
                            for (k, val) in inner {
                                map.entry(k).or_insert(val);
                            }
                        }
                    }
                }
            }
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            for child in map.values_mut() {
                strip_null(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// One row of the reference table, from the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyDoc {
    pub key: String,
    /// Human type, e.g. `integer`, `array of string`, `"quiet" | "balanced"`.
    pub ty: String,
    /// The text after `Default:` in the doc comment, without the final period.
    pub default: String,
    pub env: Vec<&'static str>,
    /// The doc comment without its `Default:` line, on one line.
    pub description: String,
}

/// The reference rows, in key order.
pub fn key_docs() -> Vec<KeyDoc> {
    let schema = json_schema();
    let defs = schema.get("definitions").cloned().unwrap_or(Value::Null);
    let props = schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    RawConfig::KEYS
        .iter()
        .map(|key| {
            let prop = props.get(*key).cloned().unwrap_or(Value::Null);
            let doc = prop.get("description").and_then(Value::as_str).unwrap_or("").to_string();
            let (description, default) = match doc.rfind("Default:") {
                Some(i) => (doc[..i].trim().to_string(), doc[i + "Default:".len()..].trim().trim_end_matches('.').to_string()),
                None => (doc.trim().to_string(), String::new()),
            };
            KeyDoc {
                key: key.to_string(),
                ty: type_name(&prop, &defs),
                default,
                env: vars_for_key(key),
                description: description.split_whitespace().collect::<Vec<_>>().join(" "),
            }
        })
        .collect()
}

fn resolve_ref<'a>(v: &'a Value, defs: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()) {
        Some(name) => defs.get(name).unwrap_or(v),
        None => v,
    }
}

fn type_name(prop: &Value, defs: &Value) -> String {
    let prop = resolve_ref(prop, defs);
    if let Some(alts) = prop.get("oneOf").or_else(|| prop.get("enum")).and_then(Value::as_array) {
        let names: Vec<String> = alts
            .iter()
            .filter_map(|a| {
                a.as_str()
                    .map(str::to_string)
                    .or_else(|| a.get("const").and_then(Value::as_str).map(str::to_string))
                    .or_else(|| a.get("enum").and_then(|e| e.get(0)).and_then(Value::as_str).map(str::to_string))
            })
            .map(|n| format!("`\"{n}\"`"))
            .collect();
        if !names.is_empty() {
            return names.join(" \\| ");
        }
    }
    match prop.get("type").and_then(Value::as_str) {
        Some("array") => {
            let items = prop.get("items").map(|i| resolve_ref(i, defs)).cloned().unwrap_or(Value::Null);
            if items.get("properties").is_some() { "array of tables".into() } else { format!("array of {}", type_name(&items, defs)) }
        }
        Some(t) => t.to_string(),
        None => "any".into(),
    }
}

/// The merge-order and combination rules, taken from [`crate::resolve`]'s
/// module docs so they are written in one place only.
fn merge_rules() -> String {
    let source = include_str!("resolve.rs");
    let mut out = String::new();
    for line in source.lines().take_while(|l| l.starts_with("//!")) {
        let text = line.trim_start_matches("//!").strip_prefix(' ').unwrap_or(line.trim_start_matches("//!"));
        out.push_str(&text.replace("# ", "## ").replace("[`", "`").replace("`]", "`"));
        out.push('\n');
    }
    // Drop the module's first paragraph (it addresses Rust readers).
    match out.find("## ") {
        Some(i) => out[i..].trim_end().to_string() + "\n",
        None => out,
    }
}

/// docs/configuration.md, entirely generated.
pub fn configuration_markdown() -> String {
    let mut md = String::new();
    md.push_str("<!-- Generated by `UPDATE_SCHEMA=1 cargo test -p argus-config` from crates/config; do not edit. -->\n");
    md.push_str("# Configuration\n\n");
    md.push_str(
        "ArgusAI reads `.github/argusai.toml` from the pull request's **base** branch, on top of the operator's \
         layers. Every key is optional. Editors can validate the file with \
         [config/argusai.schema.json](../config/argusai.schema.json) (Taplo / Even Better TOML: put \
         `#:schema https://raw.githubusercontent.com/<owner>/<repo>/main/config/argusai.schema.json` on the first \
         line); [config/argusai.example.toml](../config/argusai.example.toml) shows every key.\n\n",
    );
    md.push_str(
        "A configuration problem never stops a review: the review runs with the valid layers and keys, and the \
         summary comment and the check run list each problem with its layer, key and reason.\n\n",
    );
    md.push_str("## Keys\n\n| key | type | default | env var | description |\n|---|---|---|---|---|\n");
    for d in key_docs() {
        let env = if d.env.is_empty() { "–".to_string() } else { d.env.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ") };
        let cell = |s: &str| s.replace('|', "\\|");
        md.push_str(&format!("| `{}` | {} | {} | {} | {} |\n", d.key, d.ty, cell(&d.default), env, cell(&d.description)));
    }
    md.push_str("\nEnvironment variables hold lists comma-separated, booleans as `true`/`false`, and an empty value counts as unset. ");
    md.push_str("`LLM_MODEL` wins over `GITHUB_MODEL`, which only counts when `LLM_PROVIDER` is unset or `github-models`.\n\n");
    md.push_str(&merge_rules());
    md.push_str(&format!(
        "\n## Repository guidance files\n\n`.github/argusai.md` and `AGENTS.md` on the base branch are passed to the \
         model as instructions (in that order), together at most {} characters; a longer text is cut with a \
         note saying so.\n",
        crate::guidance::GUIDANCE_CHARS
    ));
    md
}

//! Where each resolved value came from: the same resolution as
//! [`crate::resolve::resolve`], also recording which layers set each key. The
//! dashboard shows it next to the effective configuration, so a maintainer can
//! see that `max_files` is 20 *because of* KV `repo:{owner}/{repo}`.

use crate::env::env_layer;
use crate::parse::{kv_layer, toml_layer};
use crate::problem::Layer;
use crate::raw::RawConfig;
use crate::resolve::{Resolution, Sources, apply_layer};
use crate::resolved::Config;
use serde::Serialize;

/// One key of the resolved configuration and the layers that set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyOrigin {
    pub key: &'static str,
    /// The layers that contributed, lowest first. For a scalar or a list that
    /// replaces, the last one decided the value; for a list that extends, all
    /// of them added entries. Empty: the built-in default applies.
    pub layers: Vec<Layer>,
}

impl KeyOrigin {
    /// The layer that decided the value (the highest contributor), or the built-in defaults.
    pub fn effective(&self) -> Layer {
        self.layers.last().copied().unwrap_or(Layer::BuiltIn)
    }
}

/// A resolution plus, for every key of [`Config`], where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traced {
    pub resolution: Resolution,
    /// In [`RawConfig::KEYS`] order, without `reset_ignore` (a directive, not a value).
    pub origins: Vec<KeyOrigin>,
}

impl Traced {
    pub fn origin(&self, key: &str) -> Option<&KeyOrigin> {
        self.origins.iter().find(|o| o.key == key)
    }
}

/// Resolves like [`crate::resolve::resolve`] (which calls this), recording provenance.
pub fn resolve_traced(sources: &Sources<'_>) -> Traced {
    let mut problems = Vec::new();
    let mut config = Config::default();
    let mut origins: Vec<KeyOrigin> =
        RawConfig::KEYS.iter().filter(|k| **k != "reset_ignore").map(|key| KeyOrigin { key, layers: Vec::new() }).collect();
    let mut layers: Vec<(RawConfig, Layer)> = vec![(env_layer(sources.env, &mut problems), Layer::Env)];
    if let Some(text) = sources.kv_global_defaults {
        layers.push((kv_layer(text, Layer::KvGlobalDefaults, &mut problems), Layer::KvGlobalDefaults));
    }
    if let Some(text) = sources.kv_repo {
        layers.push((kv_layer(text, Layer::KvRepo, &mut problems), Layer::KvRepo));
    }
    if let Some(text) = sources.base_branch_toml {
        layers.push((toml_layer(text, Layer::BaseBranchFile, &mut problems), Layer::BaseBranchFile));
    }
    for (raw, layer) in layers {
        record(&mut origins, &raw, layer);
        apply_layer(&mut config, raw, layer, &mut problems);
    }
    Traced { resolution: Resolution { config, problems }, origins }
}

/// Notes `layer` against every key `raw` sets (the keys that survived validation).
fn record(origins: &mut [KeyOrigin], raw: &RawConfig, layer: Layer) {
    let Ok(serde_json::Value::Object(set)) = serde_json::to_value(raw) else {
        return;
    };
    if raw.reset_ignore == Some(true)
        && let Some(o) = origins.iter_mut().find(|o| o.key == "ignore")
    {
        // `reset_ignore` drops the lower layers' globs: they no longer contribute.
        o.layers.clear();
        o.layers.push(layer);
    }
    for o in origins.iter_mut() {
        let is_set = set.get(o.key).is_some_and(|v| !v.is_null());
        if is_set && o.layers.last() != Some(&layer) {
            o.layers.push(layer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::resolve;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn each_key_names_its_layers() {
        let env = pairs(&[("MAX_FILES_PER_REVIEW", "40"), ("REVIEW_IGNORE", "*.lock")]);
        let sources = Sources {
            env: &env,
            kv_global_defaults: Some("ignore = [\"dist/**\"]\nprofile = \"quiet\""),
            kv_repo: Some(r#"{"max_files": 20}"#),
            base_branch_toml: Some("language = \"Deutsch\"\nmax_files = 0\nignore = [\"gen/**\"]\nreset_ignore = true"),
        };
        let t = resolve_traced(&sources);
        assert_eq!(t.resolution, resolve(&sources), "the same resolution as resolve()");
        let layers = |k: &str| t.origin(k).unwrap().layers.clone();
        // (key, contributing layers, effective value)
        assert_eq!(layers("max_files"), [Layer::Env, Layer::KvRepo], "the file's invalid 0 did not count");
        assert_eq!(t.resolution.config.max_files, 20);
        assert_eq!(layers("profile"), [Layer::KvGlobalDefaults]);
        assert_eq!(layers("language"), [Layer::BaseBranchFile]);
        assert_eq!(layers("ignore"), [Layer::BaseBranchFile], "reset_ignore dropped the lower layers");
        assert_eq!(t.origin("auto_review").unwrap().effective(), Layer::BuiltIn);
        assert!(t.origin("reset_ignore").is_none());
        assert_eq!(t.origins.len(), RawConfig::KEYS.len() - 1);
    }

    #[test]
    fn extending_lists_list_every_contributor() {
        let env = pairs(&[("REVIEW_SKIP_LABELS", "wip")]);
        let sources = Sources {
            env: &env,
            kv_global_defaults: None,
            kv_repo: Some("skip_labels = [\"deps\"]"),
            base_branch_toml: Some("skip_labels = [\"docs\"]"),
        };
        let t = resolve_traced(&sources);
        assert_eq!(t.origin("skip_labels").unwrap().layers, [Layer::Env, Layer::KvRepo, Layer::BaseBranchFile]);
        assert_eq!(t.resolution.config.skip_labels, ["wip", "deps", "docs"]);
    }
}

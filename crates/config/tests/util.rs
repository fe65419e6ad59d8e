//! Shared helpers: building sources, rendering problems and configs for snapshots.

use argus_config::{Config, Problem, Resolution, Sources, resolve};

/// `(name, value)` pairs as the platform passes Worker vars.
pub fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Resolves from the four texts (env as pairs).
pub fn resolve_all(env_pairs: &[(&str, &str)], global: Option<&str>, repo: Option<&str>, base_branch_toml: Option<&str>) -> Resolution {
    let env = env(env_pairs);
    resolve(&Sources { env: &env, kv_global_defaults: global, kv_repo: repo, base_branch_toml })
}

/// The keys whose resolved value differs from the built-in default, as JSON
/// lines, so a snapshot shows exactly what a layer changed.
pub fn changed_keys(config: &Config) -> String {
    let now = serde_json::to_value(config).unwrap();
    let default = serde_json::to_value(Config::default()).unwrap();
    let mut out = String::new();
    for (k, v) in now.as_object().unwrap() {
        if default.get(k) != Some(v) {
            out.push_str(&format!("{k} = {v}\n"));
        }
    }
    if out.is_empty() {
        out.push_str("(all defaults)\n");
    }
    out
}

pub fn problem_lines(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return "(no problems)\n".into();
    }
    problems.iter().map(|p| format!("{p}\n")).collect()
}

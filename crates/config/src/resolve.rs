//! Resolution: the layers, their order, and how each key combines. This is the
//! one place the merge order is written down.
//!
//! # Merge order (lowest first; a higher layer wins)
//!
//! 1. built-in defaults ([`Config::default`]);
//! 2. environment variables (the Worker's vars, [`crate::env::ENV_VARS`]);
//! 3. KV `CONFIG` `global:defaults` (TOML or JSON text), the operator's defaults for every repository;
//! 4. KV `CONFIG` `repo:{owner}/{repo}` (TOML or JSON text), the operator's settings for one repository;
//! 5. `.github/argusai.toml` read from the pull request's **base** branch. Never
//!    the head branch: a pull request must not change the rules it is reviewed
//!    under, so the API only takes [`Sources::base_branch_toml`].
//!
//! # How keys combine
//!
//! Scalars (booleans, numbers, enums, `instructions`, `language`, `model`):
//! the highest layer that sets the key wins.
//!
//! Lists that **extend** (the union of all layers, lower layers first, without
//! duplicates): `ignore`, `skip_labels`, `skip_title_keywords`, `skip_authors`,
//! `skip_base_branches`, `path_instructions`, `learnings`. These accumulate exclusions and
//! guidance, so a repository cannot drop the operator's ignores by accident. A
//! layer that really means to replace the ignores below it says
//! `reset_ignore = true`; the built-in ignore set is switched separately with
//! `default_ignores = false`.
//!
//! Lists that **replace** (the highest layer that sets the key wins):
//! `events` (a choice, not an accumulation), `include` (joining two narrowings
//! would widen both), `fallback_models` (an ordered preference).
//!
//! # Granularity
//!
//! A layer with a syntax error is ignored whole; otherwise a bad key is ignored
//! alone and the layer's other keys apply (see [`crate::parse`]). Resolution
//! therefore always yields a usable [`Config`], plus the problems to show.

use crate::parse::toml_layer;
use crate::problem::{Effect, Layer, Problem};
use crate::raw::RawConfig;
use crate::resolved::{Config, PathInstruction};
use crate::validate::limits;
use argus_core::learning::Learning;

/// The texts a review's configuration is resolved from, as the caller fetched
/// them. `None` means the layer does not exist (KV key absent, no file).
///
/// There is deliberately no field for the pull request's head branch:
///
/// ```compile_fail
/// let _ = argus_config::Sources { head_branch_toml: Some("auto_review = false"), ..Default::default() };
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sources<'a> {
    /// The Worker's vars as `(name, value)` pairs.
    pub env: &'a [(String, String)],
    /// KV `CONFIG` `global:defaults`.
    pub kv_global_defaults: Option<&'a str>,
    /// KV `CONFIG` `repo:{owner}/{repo}`.
    pub kv_repo: Option<&'a str>,
    /// `.github/argusai.toml` as read from the pull request's **base** branch.
    pub base_branch_toml: Option<&'a str>,
}

/// A resolved configuration and every problem found on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub config: Config,
    /// In merge order, then in file order within a layer.
    pub problems: Vec<Problem>,
}

/// Resolves the configuration from all layers in the merge order above.
/// [`crate::provenance::resolve_traced`] is the same, plus where each value came from.
pub fn resolve(sources: &Sources<'_>) -> Resolution {
    crate::provenance::resolve_traced(sources).resolution
}

/// Parses and validates a `.github/argusai.toml` alone, for a check or an
/// editor: the layer as written and its problems.
pub fn check_base_branch_toml(text: &str) -> (RawConfig, Vec<Problem>) {
    let mut problems = Vec::new();
    let raw = toml_layer(text, Layer::BaseBranchFile, &mut problems);
    (raw, problems)
}

/// Applies one validated layer on top of `config`, combining each key as the
/// module docs say. The destructuring lists every field, so a new key cannot
/// be added without deciding how it combines.
pub(crate) fn apply_layer(config: &mut Config, raw: RawConfig, layer: Layer, problems: &mut Vec<Problem>) {
    let RawConfig {
        auto_review,
        events,
        review_drafts,
        skip_labels,
        skip_title_keywords,
        skip_authors,
        skip_base_branches,
        include,
        ignore,
        reset_ignore,
        default_ignores,
        max_files,
        max_changed_lines_per_file,
        severity_threshold,
        max_inline_comments,
        profile,
        path_instructions,
        instructions,
        language,
        model,
        fallback_models,
        debounce_seconds,
        context,
        context_budget_percent,
        context_max_file_bytes,
        verify,
        verify_min_confidence,
        replies,
        learnings,
    } = raw;

    // Scalars: override.
    set(&mut config.auto_review, auto_review);
    set(&mut config.review_drafts, review_drafts);
    set(&mut config.default_ignores, default_ignores);
    set(&mut config.max_files, max_files);
    set(&mut config.max_changed_lines_per_file, max_changed_lines_per_file);
    set(&mut config.severity_threshold, severity_threshold);
    set(&mut config.max_inline_comments, max_inline_comments);
    set(&mut config.profile, profile);
    set(&mut config.instructions, instructions);
    set(&mut config.language, language);
    set(&mut config.debounce_seconds, debounce_seconds);
    set(&mut config.context, context);
    set(&mut config.context_budget_percent, context_budget_percent);
    set(&mut config.context_max_file_bytes, context_max_file_bytes);
    set(&mut config.verify_min_confidence, verify_min_confidence);
    if let Some(r) = replies {
        set(&mut config.replies.max_per_pr, r.max_per_pr);
        set(&mut config.replies.max_per_hour, r.max_per_hour);
    }
    if verify.is_some() {
        config.verify = verify;
    }
    if model.is_some() {
        config.model = model;
    }

    // Lists that replace.
    if let Some(mut events) = events {
        argus_core::sort::sort(&mut events);
        events.dedup();
        config.events = events;
    }
    set(&mut config.include, include);
    set(&mut config.fallback_models, fallback_models);

    // Lists that extend.
    if reset_ignore == Some(true) {
        config.ignore.clear();
    }
    extend(&mut config.ignore, ignore);
    extend(&mut config.skip_labels, skip_labels);
    extend(&mut config.skip_title_keywords, skip_title_keywords);
    extend(&mut config.skip_authors, skip_authors);
    extend(&mut config.skip_base_branches, skip_base_branches);
    // An entry past a list's limit in the merged configuration is dropped, and said.
    let mut past_limit = |key: String, limit: usize, what: &str| {
        problems.push(Problem {
            layer,
            key,
            line: None,
            message: format!("is past the limit of {limit} {what} in the merged configuration"),
            effect: Effect::EntryIgnored,
        });
    };
    for (i, pi) in path_instructions.unwrap_or_default().into_iter().enumerate() {
        if config.path_instructions.len() == limits::PATH_INSTRUCTIONS {
            past_limit(format!("path_instructions[{i}]"), limits::PATH_INSTRUCTIONS, "path instructions");
            continue;
        }
        let pi = PathInstruction { path: pi.path, instructions: pi.instructions };
        if !config.path_instructions.contains(&pi) {
            config.path_instructions.push(pi);
        }
    }
    for (i, l) in learnings.unwrap_or_default().into_iter().enumerate() {
        if config.learnings.len() == limits::LEARNINGS {
            past_limit(format!("learnings[{i}]"), limits::LEARNINGS, "learnings");
            continue;
        }
        let l = Learning {
            rule: l.rule.trim().to_string(),
            path: l.path,
            category: l.category.map(|c| c.to_ascii_lowercase()),
            title: l.title.map(|t| t.trim().to_string()),
            ..Learning::default()
        };
        if !config.learnings.contains(&l) {
            config.learnings.push(l);
        }
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn extend(list: &mut Vec<String>, more: Option<Vec<String>>) {
    for item in more.unwrap_or_default() {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

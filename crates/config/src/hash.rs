//! `config_hash`: a short, stable fingerprint of everything in the resolved
//! configuration that can change a review's findings, for the cache key
//! `review:{owner}/{repo}:{head_sha}:{config_hash}` (`argus_core::keys::ReviewCacheKey`).

use crate::model::{ContextMode, Profile, Severity};
use crate::resolved::{Config, PathInstruction};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Bumped when the meaning of a field changes without its value changing
/// (for example a new prompt for a profile), so old cache entries miss.
pub const HASH_VERSION: u32 = 1;

/// Hex characters kept: 64 bits, ample for one repository's head commits.
pub const HASH_HEX_LEN: usize = 16;

/// What the hash covers. Field order is part of the hash: append only.
#[derive(Serialize)]
struct HashInput<'a> {
    version: u32,
    include: &'a [String],
    ignore: &'a [String],
    default_ignores: bool,
    max_files: u32,
    max_changed_lines_per_file: u32,
    severity_threshold: Severity,
    max_inline_comments: u32,
    profile: Profile,
    path_instructions: &'a [PathInstruction],
    instructions: &'a str,
    language: &'a str,
    model: Option<&'a str>,
    fallback_models: &'a [String],
    guidance: &'a str,
    context: ContextMode,
    context_budget_percent: u32,
    context_max_file_bytes: u32,
    verify: bool,
    verify_min_confidence: u32,
}

/// The hash of the review-relevant fields of `config` plus the repository
/// guidance text (AGENTS.md and friends change the findings too). Fields that
/// only decide *whether* or *when* a review runs (auto_review, events, drafts,
/// the skip lists, debounce) are left out, so changing them keeps the cache.
pub fn config_hash(config: &Config, guidance: &str) -> String {
    // Destructured field by field: adding a field to `Config` fails to compile
    // here until someone decides whether it belongs in the hash.
    let Config {
        auto_review: _,
        events: _,
        review_drafts: _,
        skip_labels: _,
        skip_title_keywords: _,
        skip_authors: _,
        skip_base_branches: _,
        include,
        ignore,
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
        debounce_seconds: _,
        context,
        context_budget_percent,
        context_max_file_bytes,
        verify: _,
        verify_min_confidence,
        // Bounds on thread answers never change a review.
        replies: _,
        // The rules reach the prompt through `guidance` (the service adds them
        // there); titles suppress findings after the cache, on every run.
        learnings: _,
    } = config;
    let input = HashInput {
        version: HASH_VERSION,
        include,
        ignore,
        default_ignores: *default_ignores,
        max_files: *max_files,
        max_changed_lines_per_file: *max_changed_lines_per_file,
        severity_threshold: *severity_threshold,
        max_inline_comments: *max_inline_comments,
        profile: *profile,
        path_instructions,
        instructions,
        language,
        model: model.as_deref(),
        fallback_models,
        guidance,
        context: *context,
        context_budget_percent: *context_budget_percent,
        context_max_file_bytes: *context_max_file_bytes,
        // Whether verification runs, as the profile resolves it: verified findings are cached.
        verify: config.verifies(),
        verify_min_confidence: *verify_min_confidence,
    };
    // serde_json of a struct of strings, numbers and sequences is deterministic.
    let bytes = serde_json::to_vec(&input).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let mut hex = String::with_capacity(HASH_HEX_LEN);
    for b in digest.iter().take(HASH_HEX_LEN / 2) {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

//! The resolved configuration: every value filled in, validated, ready for the
//! diff engine, the findings engine, the LLM client and the coordinator.
//! Built only by [`crate::resolve`]; its `Default` is the built-in layer.

use crate::model::{Profile, ReviewEvent, Severity};
use serde::Serialize;

/// The one configuration a review runs under. Field names equal the TOML keys
/// of [`crate::RawConfig`] (the docs test relies on it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Config {
    pub auto_review: bool,
    /// Sorted and without duplicates.
    pub events: Vec<ReviewEvent>,
    pub review_drafts: bool,
    pub skip_labels: Vec<String>,
    pub skip_title_keywords: Vec<String>,
    pub skip_authors: Vec<String>,
    /// Globs, each known to compile.
    pub skip_base_branches: Vec<String>,
    /// Globs, each known to compile; empty means every file.
    pub include: Vec<String>,
    /// Globs, each known to compile, added to the built-in ignore set.
    pub ignore: Vec<String>,
    /// Whether the diff engine's built-in ignore set applies.
    pub default_ignores: bool,
    pub max_files: u32,
    pub max_changed_lines_per_file: u32,
    pub severity_threshold: Severity,
    pub max_inline_comments: u32,
    pub profile: Profile,
    /// In layer order (lower layers first); every matching entry applies.
    pub path_instructions: Vec<PathInstruction>,
    pub instructions: String,
    pub language: String,
    /// `None`: the provider's default model.
    pub model: Option<String>,
    pub fallback_models: Vec<String>,
    pub debounce_seconds: u32,
}

/// Instructions for the files matching `path` (a glob known to compile).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathInstruction {
    pub path: String,
    pub instructions: String,
}

impl Default for Config {
    /// The built-in layer, the bottom of the merge order. The values repeat
    /// the `Default:` lines of [`crate::RawConfig`]'s docs; a test keeps them equal.
    fn default() -> Self {
        Self {
            auto_review: true,
            events: ReviewEvent::ALL.to_vec(),
            review_drafts: false,
            skip_labels: Vec::new(),
            skip_title_keywords: vec!["[skip review]".into()],
            skip_authors: Vec::new(),
            skip_base_branches: Vec::new(),
            include: Vec::new(),
            ignore: Vec::new(),
            default_ignores: true,
            max_files: 50,
            max_changed_lines_per_file: 2000,
            severity_threshold: Severity::Low,
            max_inline_comments: 20,
            profile: Profile::Balanced,
            path_instructions: Vec::new(),
            instructions: String::new(),
            language: "English".into(),
            model: None,
            fallback_models: Vec::new(),
            debounce_seconds: 5,
        }
    }
}

impl Config {
    /// The path instructions whose glob matches `path`, in configuration order.
    /// Globs compiled here again (they are known to be valid) so `Config` stays
    /// plain data that serializes and compares.
    pub fn instructions_for_path(&self, path: &str) -> Vec<&str> {
        self.path_instructions
            .iter()
            .filter(|pi| crate::validate::glob(&pi.path).map(|m| m.is_match(path)).unwrap_or(false))
            .map(|pi| pi.instructions.as_str())
            .collect()
    }
}

//! The resolved configuration: every value filled in, validated, ready for the
//! diff engine, the findings engine, the LLM client and the coordinator.
//! Built only by [`crate::resolve`]; its `Default` is the built-in layer.

use crate::model::{ContextMode, Profile, ReviewEvent, Severity};
use argus_core::learning::Learning;
use argus_glob::GlobSet;
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
    pub context: ContextMode,
    pub context_budget_percent: u32,
    pub context_max_file_bytes: u32,
    /// `None`: the profile decides (see [`Config::verifies`]).
    pub verify: Option<bool>,
    pub verify_min_confidence: u32,
    pub replies: Replies,
    /// `[[learnings]]`, in layer order: rules the team committed, applied like
    /// the ones ArgusAI learned in threads (the `Repository` object's).
    pub learnings: Vec<Learning>,
}

/// Bounds on answers in review threads (`[replies]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Replies {
    pub max_per_pr: u32,
    pub max_per_hour: u32,
}

impl Default for Replies {
    fn default() -> Self {
        Replies { max_per_pr: 20, max_per_hour: 10 }
    }
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
            context: ContextMode::Full,
            context_budget_percent: 33,
            context_max_file_bytes: 256 * 1024,
            verify: None,
            verify_min_confidence: 50,
            replies: Replies::default(),
            learnings: Vec::new(),
        }
    }
}

impl Config {
    /// Whether findings are verified before posting: `verify` when set, else on
    /// for the `balanced` and `thorough` profiles (a `quiet` review already
    /// reports only likely bugs, and spends as little as it can).
    pub fn verifies(&self) -> bool {
        self.verify.unwrap_or(self.profile != Profile::Quiet)
    }

    /// The path instructions compiled once, for matching every file of a review.
    pub fn path_instruction_matcher(&self) -> PathInstructionMatcher {
        let mut globs = Vec::new();
        let mut instructions = Vec::new();
        for pi in &self.path_instructions {
            // Globs were validated during resolution; one that somehow fails
            // to compile is left out rather than failing the review.
            if let Ok(glob) = argus_glob::path_glob(&pi.path) {
                globs.push(glob);
                instructions.push(pi.instructions.clone());
            }
        }
        PathInstructionMatcher { set: GlobSet::new(globs), instructions }
    }

    /// The path instructions whose glob matches `path`, in configuration order.
    /// Compiles the globs on every call: use [`Config::path_instruction_matcher`] for many paths.
    pub fn instructions_for_path(&self, path: &str) -> Vec<String> {
        self.path_instruction_matcher().for_path(path).into_iter().map(str::to_string).collect()
    }
}

/// Compiled `path_instructions` (see [`Config::path_instruction_matcher`]).
#[derive(Clone, Debug)]
pub struct PathInstructionMatcher {
    set: GlobSet,
    instructions: Vec<String>,
}

impl PathInstructionMatcher {
    /// Every matching entry's instructions, in configuration order.
    pub fn for_path(&self, path: &str) -> Vec<&str> {
        // `matches` returns indices in ascending order, i.e. configuration order.
        self.set.matches(path).into_iter().map(|i| self.instructions[i].as_str()).collect()
    }
}

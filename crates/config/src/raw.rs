//! One configuration layer as the user wrote it: every key optional, unknown
//! keys rejected. This is the type the JSON Schema and the docs table are
//! generated from, so each field's doc comment is user documentation: its first
//! paragraph says what the key means, and the last line states the default as
//! `Default: `…`.` (a test checks that line against [`crate::Config::default`]).

use crate::model::{ContextMode, Profile, ReviewEvent, Severity};
use crate::validate::limits;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// ArgusAI configuration (`.github/argusai.toml` on the base branch, or the
/// operator's KV layers). Every key is optional; unset keys inherit from the
/// layer below. See docs/configuration.md for the merge order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ArgusAI configuration")]
pub struct RawConfig {
    /// Review automatically when a pull request event in `events` arrives. When
    /// false, only an explicit `@argusai review` comment starts a review.
    ///
    /// Default: `true`.
    pub auto_review: Option<bool>,

    /// The `pull_request` actions that start an automatic review. Replaces the
    /// lower layers' list. The front Worker's `REVIEW_ENABLED_EVENTS` still
    /// decides which deliveries reach ArgusAI at all, so a repository can narrow
    /// this list but not widen it past the operator's.
    ///
    /// Default: `["opened", "synchronize", "reopened", "ready_for_review"]`.
    pub events: Option<Vec<ReviewEvent>>,

    /// Review draft pull requests too.
    ///
    /// Default: `false`.
    pub review_drafts: Option<bool>,

    /// Skip pull requests carrying any of these labels (compared
    /// case-insensitively, as GitHub does). Extends the lower layers' list.
    ///
    /// Default: `[]`.
    pub skip_labels: Option<Vec<String>>,

    /// Skip pull requests whose title contains any of these strings (compared
    /// case-insensitively). Extends the lower layers' list.
    ///
    /// Default: `["[skip review]"]`.
    pub skip_title_keywords: Option<Vec<String>>,

    /// Skip pull requests opened by these GitHub logins (compared
    /// case-insensitively; bots are written like `renovate[bot]`). Extends the
    /// lower layers' list.
    ///
    /// Default: `[]`.
    pub skip_authors: Option<Vec<String>>,

    /// Skip pull requests into base branches matching any of these globs (for
    /// example `release/*`). Extends the lower layers' list.
    ///
    /// Default: `[]`.
    pub skip_base_branches: Option<Vec<String>>,

    /// When non-empty, only files whose path matches one of these globs are
    /// reviewed. Replaces the lower layers' list.
    ///
    /// Default: `[]`.
    pub include: Option<Vec<String>>,

    /// Files whose path matches one of these globs are not reviewed. Extends
    /// the lower layers' list, so a repository cannot drop the operator's
    /// ignores by accident; set `reset_ignore = true` to replace them.
    ///
    /// Default: `[]`.
    pub ignore: Option<Vec<String>>,

    /// Make this layer's `ignore` replace the lower layers' globs instead of
    /// extending them. Applies to the layer it is written in only; the
    /// built-in set of lockfiles, minified, generated and vendored files is
    /// switched by `default_ignores`.
    ///
    /// Default: `false`.
    pub reset_ignore: Option<bool>,

    /// Apply ArgusAI's built-in ignore set (lockfiles, minified and generated
    /// code, vendored code, binaries, images); `false` reviews those files too.
    ///
    /// Default: `true`.
    pub default_ignores: Option<bool>,

    /// At most this many files are reviewed in one pull request; the rest are
    /// listed in the summary. 1 to 3000 (GitHub lists at most 3000 files).
    ///
    /// Default: `50`.
    #[schemars(range(min = limits::MAX_FILES.0, max = limits::MAX_FILES.1))]
    pub max_files: Option<u32>,

    /// Files with more changed lines than this are skipped and listed in the
    /// summary (large changes are usually generated). 1 to 100000.
    ///
    /// Default: `2000`.
    #[schemars(range(min = limits::MAX_CHANGED_LINES_PER_FILE.0, max = limits::MAX_CHANGED_LINES_PER_FILE.1))]
    pub max_changed_lines_per_file: Option<u32>,

    /// Findings less serious than this are dropped. One of `critical`, `high`,
    /// `medium`, `low`.
    ///
    /// Default: `"low"`.
    pub severity_threshold: Option<Severity>,

    /// At most this many findings are posted as inline comments, most serious
    /// first; the rest go to the summary comment. 0 to 100 (0 puts every
    /// finding in the summary).
    ///
    /// Default: `20`.
    #[schemars(range(min = limits::MAX_INLINE_COMMENTS.0, max = limits::MAX_INLINE_COMMENTS.1))]
    pub max_inline_comments: Option<u32>,

    /// How much the reviewer says: `quiet` (likely bugs and security only),
    /// `balanced`, or `thorough` (also tests, naming and docs).
    ///
    /// Default: `"balanced"`.
    pub profile: Option<Profile>,

    /// Extra instructions for files matching a glob, as
    /// `[[path_instructions]]` tables with `path` and `instructions`. Extends the
    /// lower layers' list; every matching entry applies. At most 50 entries in
    /// the merged configuration.
    ///
    /// Default: `[]`.
    #[schemars(length(max = limits::PATH_INSTRUCTIONS))]
    pub path_instructions: Option<Vec<RawPathInstruction>>,

    /// Extra instructions for the whole review (at most 4000 characters). A
    /// higher layer's text replaces a lower one's.
    ///
    /// Default: `""`.
    #[schemars(length(max = limits::INSTRUCTIONS_CHARS))]
    pub instructions: Option<String>,

    /// The language the review is written in, as a name or tag such as
    /// `English`, `Deutsch` or `pt-BR` (at most 40 characters).
    ///
    /// Default: `"English"`.
    #[schemars(length(min = 1, max = limits::LANGUAGE_CHARS))]
    pub language: Option<String>,

    /// The model id, as the configured provider spells it (for example
    /// `openai/gpt-4o-mini` on GitHub Models). Unset means the provider's
    /// default model.
    ///
    /// Default: unset.
    #[schemars(length(min = 1, max = limits::MODEL_CHARS))]
    pub model: Option<String>,

    /// Models tried in order when `model` keeps failing. Replaces the lower
    /// layers' list (order matters). At most 5.
    ///
    /// Default: `[]`.
    #[schemars(length(max = limits::FALLBACK_MODELS))]
    pub fallback_models: Option<Vec<String>>,

    /// Quiet time after a push before its review starts, so a burst of pushes
    /// yields one review. 0 to 3600 seconds.
    ///
    /// Default: `5`.
    #[schemars(range(min = limits::DEBOUNCE_SECONDS.0, max = limits::DEBOUNCE_SECONDS.1))]
    pub debounce_seconds: Option<u32>,

    /// How much of the code around the change the model sees: `off` (the
    /// changed hunks only), `scope` (plus the signature of the enclosing
    /// function, class or module of each hunk, however far up it is) or `full`
    /// (plus small enclosing functions whole, one-line signatures of what the
    /// changed lines call when it is defined in the reviewed files, and a short
    /// map of the repository). Context lines are never commented on.
    ///
    /// Default: `"full"`.
    pub context: Option<ContextMode>,

    /// The share of each model request's input budget that context may use,
    /// in percent (0 to 80). Changed lines never give way to context; context
    /// gives way in this order: repository map, definitions, whole functions,
    /// scope signatures.
    ///
    /// Default: `33`.
    #[schemars(range(min = limits::CONTEXT_BUDGET_PERCENT.0, max = limits::CONTEXT_BUDGET_PERCENT.1))]
    pub context_budget_percent: Option<u32>,

    /// Files larger than this many bytes get no context (they are still
    /// reviewed). 1024 to 1048576 (256 KiB by default).
    ///
    /// Default: `262144`.
    #[schemars(range(min = limits::CONTEXT_MAX_FILE_BYTES.0, max = limits::CONTEXT_MAX_FILE_BYTES.1))]
    pub context_max_file_bytes: Option<u32>,

    /// Whether each finding is checked against its code before posting: a
    /// second, batched model request asks whether the claim is true of the
    /// code around it and drops the findings it doubts (the summary counts
    /// them). Unset means on for the `balanced` and `thorough` profiles and
    /// off for `quiet`. A failed check keeps the findings.
    ///
    /// Default: unset.
    pub verify: Option<bool>,

    /// With `verify`, the confidence (0 to 100) that a claim is true below
    /// which its finding is dropped.
    ///
    /// Default: `50`.
    #[schemars(range(min = limits::VERIFY_MIN_CONFIDENCE.0, max = limits::VERIFY_MIN_CONFIDENCE.1))]
    pub verify_min_confidence: Option<u32>,

    /// Answers in review threads (replies to ArgusAI's findings, `@argusai
    /// explain`/`fix`/questions on diff lines): at most `max_per_pr` answers on
    /// one pull request (0 to 1000) and `max_per_hour` in any hour (0 to 100);
    /// past a bound the thread gets one note saying so. Each key overrides the
    /// lower layers' on its own.
    ///
    /// Default: `{ max_per_pr = 20, max_per_hour = 10 }`.
    pub replies: Option<RawReplies>,

    /// Rules the team keeps for ArgusAI, as `[[learnings]]` tables: `rule` (in
    /// plain words, at most 300 characters, added to every prompt whose files
    /// it covers), and optionally `path` (a glob: the rule applies to matching
    /// files only), `category` (`bug`, `security`, `performance`,
    /// `reliability`, `maintainability`, `style`, `docs` or `tests`) and
    /// `title` (findings with this title, in that scope and category, are not
    /// posted). `@argusai learnings` prints what ArgusAI learned in threads in
    /// this form. Extends the lower layers' list; at most 100 entries in the
    /// merged configuration.
    ///
    /// Default: `[]`.
    #[schemars(length(max = limits::LEARNINGS))]
    pub learnings: Option<Vec<RawLearning>>,
}

/// One `[[learnings]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLearning {
    /// The rule, in plain words (at most 300 characters).
    #[schemars(length(min = 1, max = limits::LEARNING_RULE_CHARS))]
    pub rule: String,
    /// A glob of the files the rule is limited to (for example `tests/**`).
    pub path: Option<String>,
    /// The finding category the rule is limited to.
    pub category: Option<String>,
    /// The title of findings that are not posted again (compared word by
    /// word, case aside).
    #[schemars(length(min = 1, max = limits::LIST_ENTRY_CHARS))]
    pub title: Option<String>,
}

/// The `[replies]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReplies {
    /// Answers on one pull request, at most.
    #[schemars(range(min = limits::REPLIES_MAX_PER_PR.0, max = limits::REPLIES_MAX_PER_PR.1))]
    pub max_per_pr: Option<u32>,
    /// Answers on one pull request in any hour, at most.
    #[schemars(range(min = limits::REPLIES_MAX_PER_HOUR.0, max = limits::REPLIES_MAX_PER_HOUR.1))]
    pub max_per_hour: Option<u32>,
}

/// One `[[path_instructions]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPathInstruction {
    /// Glob matched against the file's path from the repository root (for
    /// example `src/**/*.rs`).
    pub path: String,
    /// What to pay attention to in matching files (at most 2000 characters).
    #[schemars(length(min = 1, max = limits::PATH_INSTRUCTION_CHARS))]
    pub instructions: String,
}

impl RawConfig {
    /// Every key of a configuration file, in declaration order (the order of
    /// the schema and the docs table).
    pub const KEYS: &'static [&'static str] = &[
        "auto_review",
        "events",
        "review_drafts",
        "skip_labels",
        "skip_title_keywords",
        "skip_authors",
        "skip_base_branches",
        "include",
        "ignore",
        "reset_ignore",
        "default_ignores",
        "max_files",
        "max_changed_lines_per_file",
        "severity_threshold",
        "max_inline_comments",
        "profile",
        "path_instructions",
        "instructions",
        "language",
        "model",
        "fallback_models",
        "debounce_seconds",
        "context",
        "context_budget_percent",
        "context_max_file_bytes",
        "verify",
        "verify_min_confidence",
        "replies",
        "learnings",
    ];

    /// Copies the keys set in `other` over this layer's. Used to assemble one
    /// layer from keys that were parsed one by one; merging *between* layers is
    /// [`crate::resolve::apply_layer`], which knows which lists extend.
    pub(crate) fn overlay(&mut self, other: RawConfig) {
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
        } = other;
        macro_rules! take {
            ($($f:ident),*) => { $( if $f.is_some() { self.$f = $f; } )* };
        }
        take!(
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
            learnings
        );
    }
}

//! Checks on values that parsed but may still be unusable: globs that do not
//! compile (`argus-glob`, globset's syntax, as the diff engine uses it), numbers out of
//! range, oversized instructions, odd model names. A bad key is removed from
//! its layer (the layers below then decide it); a bad list entry is removed
//! from its list. Nothing here panics or stops a review.

use crate::problem::{Effect, Layer, Problem, code};
use crate::raw::{RawConfig, RawLearning, RawPathInstruction};
use argus_glob::{Glob, GlobBuilder, path_glob};
use std::collections::HashMap;

/// Bounds enforced on every layer. Public so callers and docs can cite them.
/// Numeric ranges are `(min, max)`, inclusive; the schema repeats them through
/// `#[schemars(range(...))]` on [`crate::RawConfig`].
pub mod limits {
    /// GitHub's "list pull request files" returns at most 3000 files
    /// (<https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files>).
    pub const MAX_FILES: (u32, u32) = (1, 3000);
    pub const MAX_CHANGED_LINES_PER_FILE: (u32, u32) = (1, 100_000);
    pub const MAX_INLINE_COMMENTS: (u32, u32) = (0, 100);
    /// The coordinator's own bound for `REVIEW_DEBOUNCE_SECONDS`.
    pub const DEBOUNCE_SECONDS: (u32, u32) = (0, 3600);
    /// Context never takes more than this share of a request: the changed lines come first.
    pub const CONTEXT_BUDGET_PERCENT: (u32, u32) = (0, 80);
    /// From 1 KiB to 1 MiB: GitHub's GraphQL `Blob.text` is the whole file, and a
    /// Worker holds every file of a review in its 128 MB.
    pub const CONTEXT_MAX_FILE_BYTES: (u32, u32) = (1024, 1024 * 1024);
    /// A confidence in percent.
    pub const VERIFY_MIN_CONFIDENCE: (u32, u32) = (0, 100);
    /// `[replies]`: answers per pull request, and per hour.
    pub const REPLIES_MAX_PER_PR: (u32, u32) = (0, 1000);
    pub const REPLIES_MAX_PER_HOUR: (u32, u32) = (0, 100);
    /// Instructions go into every prompt; the free GitHub Models tier allows
    /// 8000 input tokens per request, so they must stay a small share of it.
    pub const INSTRUCTIONS_CHARS: usize = 4000;
    pub const PATH_INSTRUCTION_CHARS: usize = 2000;
    pub const PATH_INSTRUCTIONS: usize = 50;
    /// `[[learnings]]` in the merged configuration, and one rule's length
    /// (the same bound as a learning taught in a thread).
    pub const LEARNINGS: usize = 100;
    pub const LEARNING_RULE_CHARS: usize = argus_core::learning::MAX_RULE_CHARS;
    pub const FALLBACK_MODELS: usize = 5;
    pub const LANGUAGE_CHARS: usize = 40;
    pub const MODEL_CHARS: usize = 100;
    /// One label, keyword, login or glob.
    pub const LIST_ENTRY_CHARS: usize = 200;
}

/// Compiles a base-branch glob: matched against the whole branch name, `*`
/// not crossing `/` (so `release/*` matches `release/1.2` but not `main`).
pub fn branch_glob(pattern: &str) -> Result<Glob, argus_glob::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// Collects problems of one layer, with line numbers when the parser knew them.
pub(crate) struct Sink<'a> {
    pub layer: Layer,
    /// Key path (`max_files`, `path_instructions[2]`) to 1-based line.
    pub lines: &'a HashMap<String, usize>,
    pub problems: &'a mut Vec<Problem>,
}

impl Sink<'_> {
    /// Reports a problem at `key`; the line is that of `key`, or else of its
    /// parent (`ignore[1]` falls back to `ignore`).
    pub fn push(&mut self, key: &str, message: String, effect: Effect) {
        let mut probe = key;
        let line = loop {
            if let Some(l) = self.lines.get(probe) {
                break Some(*l);
            }
            match probe.rfind(['.', '[']) {
                Some(i) => probe = &probe[..i],
                None => break None,
            }
        };
        self.problems.push(Problem { layer: self.layer, key: key.to_string(), line, message, effect });
    }
}

fn in_range(sink: &mut Sink<'_>, key: &str, value: &mut Option<u32>, (min, max): (u32, u32)) {
    if let Some(v) = *value
        && !(min..=max).contains(&v)
    {
        sink.push(key, format!("is {v}, expected {min} to {max}"), Effect::KeyIgnored);
        *value = None;
    }
}

/// Drops bad entries of a string list, one problem each.
fn entries(sink: &mut Sink<'_>, key: &str, list: &mut Option<Vec<String>>, check: impl Fn(&str) -> Result<(), String>) {
    let Some(items) = list.take() else { return };
    let mut kept = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let verdict = if item.trim().is_empty() {
            Err("is empty".to_string())
        } else if item.chars().count() > limits::LIST_ENTRY_CHARS {
            Err(format!("is longer than {} characters", limits::LIST_ENTRY_CHARS))
        } else {
            check(&item)
        };
        match verdict {
            Ok(()) => kept.push(item),
            Err(why) => sink.push(&format!("{key}[{i}]"), why, Effect::EntryIgnored),
        }
    }
    *list = Some(kept);
}

/// Checks a path glob (`argus_glob::path_glob`, as the diff engine reads it).
fn glob_entry(pattern: &str) -> Result<(), String> {
    path_glob(pattern).map(|_| ()).map_err(|e| invalid_glob(pattern, &e))
}

/// Why a glob is refused: the parser's message without the pattern it repeats.
fn invalid_glob(pattern: &str, e: &argus_glob::Error) -> String {
    format!("{} is not a valid glob: {}", code(pattern), e.kind())
}

fn model_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= limits::MODEL_CHARS
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'/' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(format!("{} is not a model id (at most {} characters: letters, digits and `. _ - : / @`)", code(name), limits::MODEL_CHARS))
    }
}

fn text_bound(sink: &mut Sink<'_>, key: &str, value: &mut Option<String>, max: usize) {
    if let Some(text) = value {
        let n = text.chars().count();
        if n > max {
            sink.push(key, format!("is {n} characters long, at most {max} are allowed"), Effect::KeyIgnored);
            *value = None;
        }
    }
}

/// Validates one layer in place. `path_instructions` entries are checked by
/// [`path_instruction`] while parsing, where each entry's index in the file is
/// still known.
pub(crate) fn layer(raw: &mut RawConfig, sink: &mut Sink<'_>) {
    let no_check = |_: &str| Ok(());
    entries(sink, "skip_labels", &mut raw.skip_labels, no_check);
    entries(sink, "skip_title_keywords", &mut raw.skip_title_keywords, no_check);
    entries(sink, "skip_authors", &mut raw.skip_authors, |login| {
        // GitHub logins: letters, digits and hyphens; apps add a `[bot]` suffix.
        let base = login.strip_suffix("[bot]").unwrap_or(login);
        if !base.is_empty() && base.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            Ok(())
        } else {
            Err(format!("{} is not a GitHub login", code(login)))
        }
    });
    entries(sink, "skip_base_branches", &mut raw.skip_base_branches, |p| branch_glob(p).map(|_| ()).map_err(|e| invalid_glob(p, &e)));
    entries(sink, "include", &mut raw.include, glob_entry);
    entries(sink, "ignore", &mut raw.ignore, glob_entry);

    in_range(sink, "max_files", &mut raw.max_files, limits::MAX_FILES);
    in_range(sink, "max_changed_lines_per_file", &mut raw.max_changed_lines_per_file, limits::MAX_CHANGED_LINES_PER_FILE);
    in_range(sink, "max_inline_comments", &mut raw.max_inline_comments, limits::MAX_INLINE_COMMENTS);
    in_range(sink, "debounce_seconds", &mut raw.debounce_seconds, limits::DEBOUNCE_SECONDS);
    in_range(sink, "context_budget_percent", &mut raw.context_budget_percent, limits::CONTEXT_BUDGET_PERCENT);
    in_range(sink, "context_max_file_bytes", &mut raw.context_max_file_bytes, limits::CONTEXT_MAX_FILE_BYTES);
    in_range(sink, "verify_min_confidence", &mut raw.verify_min_confidence, limits::VERIFY_MIN_CONFIDENCE);
    if let Some(r) = &mut raw.replies {
        in_range(sink, "replies.max_per_pr", &mut r.max_per_pr, limits::REPLIES_MAX_PER_PR);
        in_range(sink, "replies.max_per_hour", &mut r.max_per_hour, limits::REPLIES_MAX_PER_HOUR);
    }

    text_bound(sink, "instructions", &mut raw.instructions, limits::INSTRUCTIONS_CHARS);

    if let Some(lang) = &raw.language {
        let n = lang.trim().chars().count();
        // The language is written into the prompt ("write in …"), so it is kept
        // to a plain name: letters, spaces, hyphens, underscores, parentheses.
        let plain = lang.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '_' | '(' | ')'));
        if n == 0 || n > limits::LANGUAGE_CHARS || !plain {
            sink.push(
                "language",
                format!("{} is not a language name (1 to {} letters, spaces, `-`, `_`, parentheses)", code(lang), limits::LANGUAGE_CHARS),
                Effect::KeyIgnored,
            );
            raw.language = None;
        } else {
            raw.language = Some(lang.trim().to_string());
        }
    }

    if let Some(model) = &raw.model
        && let Err(why) = model_name(model)
    {
        sink.push("model", why, Effect::KeyIgnored);
        raw.model = None;
    }

    if let Some(models) = raw.fallback_models.take() {
        let mut kept = Vec::new();
        for (i, m) in models.into_iter().enumerate() {
            let key = format!("fallback_models[{i}]");
            if let Err(why) = model_name(&m) {
                sink.push(&key, why, Effect::EntryIgnored);
            } else if kept.len() == limits::FALLBACK_MODELS {
                sink.push(&key, format!("is past the limit of {} fallback models", limits::FALLBACK_MODELS), Effect::EntryIgnored);
            } else if !kept.contains(&m) {
                kept.push(m);
            }
        }
        raw.fallback_models = Some(kept);
    }
}

/// Checks one `[[path_instructions]]` entry; `Err` holds the field and why.
pub(crate) fn path_instruction(pi: &RawPathInstruction) -> Result<(), (&'static str, String)> {
    if pi.path.trim().is_empty() {
        return Err(("path", "is empty".into()));
    }
    glob_entry(&pi.path).map_err(|why| ("path", why))?;
    let n = pi.instructions.chars().count();
    if pi.instructions.trim().is_empty() {
        return Err(("instructions", "is empty".into()));
    }
    if n > limits::PATH_INSTRUCTION_CHARS {
        return Err(("instructions", format!("is {n} characters long, at most {} are allowed", limits::PATH_INSTRUCTION_CHARS)));
    }
    Ok(())
}

/// The finding categories a `[[learnings]]` entry may name (the review
/// contract's; a test in argus-pipeline, which sees both, keeps them equal).
pub const CATEGORIES: [&str; 8] = ["bug", "security", "performance", "reliability", "maintainability", "style", "docs", "tests"];

/// Checks one `[[learnings]]` entry; `Err` holds the field and why.
pub(crate) fn learning(l: &RawLearning) -> Result<(), (&'static str, String)> {
    let n = l.rule.chars().count();
    if l.rule.trim().is_empty() {
        return Err(("rule", "is empty".into()));
    }
    if n > limits::LEARNING_RULE_CHARS {
        return Err(("rule", format!("is {n} characters long, at most {} are allowed", limits::LEARNING_RULE_CHARS)));
    }
    if let Some(path) = &l.path {
        if path.trim().is_empty() {
            return Err(("path", "is empty".into()));
        }
        glob_entry(path).map_err(|why| ("path", why))?;
    }
    if let Some(category) = &l.category
        && !CATEGORIES.contains(&category.to_ascii_lowercase().as_str())
    {
        return Err(("category", format!("{} is not a category, expected one of `{}`", code(category), CATEGORIES.join("`, `"))));
    }
    if let Some(title) = &l.title {
        if title.trim().is_empty() {
            return Err(("title", "is empty".into()));
        }
        if title.chars().count() > limits::LIST_ENTRY_CHARS {
            return Err(("title", format!("is longer than {} characters", limits::LIST_ENTRY_CHARS)));
        }
    }
    Ok(())
}

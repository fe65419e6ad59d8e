//! A configuration problem, precise enough for a user to fix it: which layer,
//! which key (a path like `path_instructions[2].path`), which line when known,
//! why, and what ArgusAI did instead. Problems never stop a review; the summary
//! comment and the check run show them (see [`problems_markdown`]).

use argus_core::error::{Classify, ErrorClass};
use serde::Serialize;
use std::fmt;

/// Where a value came from, in merge order (lowest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// ArgusAI's own defaults (never has problems; listed for completeness).
    BuiltIn,
    /// The Worker's environment variables (`wrangler.toml` `[vars]`).
    Env,
    /// KV namespace `CONFIG`, key `global:defaults`.
    KvGlobalDefaults,
    /// KV namespace `CONFIG`, key `repo:{owner}/{repo}`.
    KvRepo,
    /// `.github/argusai.toml` read from the pull request's base branch.
    BaseBranchFile,
}

impl Layer {
    /// The name shown to users.
    pub fn describe(self) -> &'static str {
        match self {
            Layer::BuiltIn => "built-in defaults",
            Layer::Env => "environment variables",
            Layer::KvGlobalDefaults => "KV CONFIG `global:defaults`",
            Layer::KvRepo => "KV CONFIG `repo:{owner}/{repo}`",
            Layer::BaseBranchFile => "`.github/argusai.toml` (base branch)",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What resolution did about a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The layer could not be read at all (a syntax error); the layers below apply.
    LayerIgnored,
    /// This key of the layer was ignored; the layers below decide its value.
    KeyIgnored,
    /// One entry of a list was dropped; the rest of the list applies.
    EntryIgnored,
}

impl Effect {
    fn sentence(self) -> &'static str {
        match self {
            Effect::LayerIgnored => "the whole layer was ignored",
            Effect::KeyIgnored => "the key was ignored",
            Effect::EntryIgnored => "the entry was ignored",
        }
    }
}

/// One problem in one layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct Problem {
    pub layer: Layer,
    /// Key path such as `max_files`, `ignore[1]` or `path_instructions[2].path`;
    /// for environment variables, the variable's name. Empty when the problem
    /// is the layer as a whole (a syntax error).
    pub key: String,
    /// 1-based line in the layer's text, when known (TOML layers and JSON syntax errors).
    pub line: Option<usize>,
    /// Why, in one sentence fragment without a trailing period.
    pub message: String,
    pub effect: Effect,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.layer)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", code(&self.key))?;
        }
        write!(f, ": {}; {}", self.message, self.effect.sentence())
    }
}

impl Classify for Problem {
    /// The repository's maintainers or the operator fix configuration; retrying cannot.
    fn class(&self) -> ErrorClass {
        ErrorClass::User
    }
}

/// A user's value quoted for a message: inside a Markdown code span (so it
/// cannot mention people or render links), on one line, backticks replaced,
/// and cut to 60 characters.
pub(crate) fn code(value: &str) -> String {
    let one_line: String = value
        .chars()
        .map(|c| {
            if c == '`' {
                '\''
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut cut: String = one_line.chars().take(60).collect();
    if one_line.chars().count() > 60 {
        cut.push('…');
    }
    format!("`{cut}`")
}

/// A serde error message made safe and plain for users: every quoted value
/// (serde quotes strings with `"…"` and names with backticks) is re-quoted with
/// [`code`], so nothing a user wrote stays outside a code span; Rust type names
/// become words.
pub(crate) fn serde_message(msg: &str) -> String {
    let msg = msg.trim();
    let mut out = String::new();
    let mut chars = msg.chars();
    while let Some(c) = chars.next() {
        match c {
            '`' | '"' => {
                let mut inner = String::new();
                let mut escaped = false;
                // An unclosed quote runs to the end; it still ends up in a span.
                for d in chars.by_ref() {
                    if c == '"' && !escaped && d == '\\' {
                        escaped = true;
                        continue;
                    }
                    if d == c && !escaped {
                        break;
                    }
                    escaped = false;
                    inner.push(d);
                }
                out.push_str(&code(&inner));
            }
            '@' => out.push_str("(at)"),
            _ => out.push(c),
        }
    }
    out.replace("expected u32", "expected a whole number")
        .replace("expected u64", "expected a whole number")
        .replace("expected a sequence", "expected an array")
}

/// The problems as a Markdown list for the summary comment and the check run,
/// or an empty string when there are none. Values quoted from the user's file
/// sit inside code spans, so they cannot mention people or add links.
pub fn problems_markdown(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return String::new();
    }
    let mut out = String::from("**Configuration problems** (the review used the remaining valid settings):\n\n");
    for p in problems {
        out.push_str("- ");
        out.push_str(&p.to_string().replace('\n', " "));
        out.push('\n');
    }
    out
}

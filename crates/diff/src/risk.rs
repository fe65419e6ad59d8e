//! The risk rule that keeps ArgusAI quiet on clean code: a change is trivial,
//! and gets a short summary instead of a model review, when **every** changed
//! file is one of
//!
//! - documentation: Markdown, reStructuredText, AsciiDoc or plain text, or a
//!   license, changelog or authors file (not for the `thorough` profile, which
//!   reviews documentation: the caller says so with `docs_are_trivial`);
//! - a lockfile, or generated or minified code (the default ignore set's
//!   globs of those kinds, see [`crate::select::DEFAULT_IGNORES`]);
//! - a pure rename or copy, or a mode change: no changed line;
//! - formatting only: the removed and the added lines hold the same text once
//!   whitespace outside string literals is ignored, in a language where
//!   indentation carries no meaning (never Python, YAML, Makefiles, ...).
//!
//! Anything else — one source line, a deletion, a binary file — makes the
//! change worth a review. An empty change is not trivial (there is nothing to
//! say either way; the scope stage skips it). Pure and total.

use crate::diff::{FileDiff, FileStatus, LineKind};
use crate::select::{IgnoreCategory, expanded_defaults};
use argus_glob::{GlobBuilder, GlobSet};
use serde::Serialize;

/// Why one file is trivial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrivialKind {
    Docs,
    Lockfile,
    Generated,
    Rename,
    Formatting,
}

impl TrivialKind {
    pub fn noun(self) -> &'static str {
        match self {
            TrivialKind::Docs => "documentation",
            TrivialKind::Lockfile => "a lockfile",
            TrivialKind::Generated => "generated code",
            TrivialKind::Rename => "a rename without content change",
            TrivialKind::Formatting => "a formatting-only change",
        }
    }
}

/// A trivial change: every file with its kind, in diff order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trivial {
    pub files: Vec<(String, TrivialKind)>,
}

impl Trivial {
    /// Why, in one sentence for the summary: "every changed file is
    /// documentation (2) or a lockfile (1)".
    pub fn sentence(&self) -> String {
        let mut kinds: Vec<(TrivialKind, usize)> = Vec::new();
        for (_, k) in &self.files {
            match kinds.iter_mut().find(|(x, _)| x == k) {
                Some((_, n)) => *n += 1,
                None => kinds.push((*k, 1)),
            }
        }
        argus_core::sort::sort(&mut kinds);
        let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{} ({n})", k.noun())).collect();
        let list = match parts.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        };
        format!("every changed file is {list}")
    }
}

/// The rule (see the module docs). `None`: the change needs a review.
pub fn trivial_change(files: &[FileDiff<'_>], docs_are_trivial: bool) -> Option<Trivial> {
    if files.is_empty() {
        return None;
    }
    let globs = kind_globs();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        out.push((f.path().to_string(), file_kind(f, &globs, docs_are_trivial)?));
    }
    Some(Trivial { files: out })
}

/// The default ignore set's lockfile, generated and minified globs, each with its kind.
struct KindGlobs {
    set: GlobSet,
    kinds: Vec<TrivialKind>,
}

fn kind_globs() -> KindGlobs {
    let mut globs = Vec::new();
    let mut kinds = Vec::new();
    for (i, glob) in expanded_defaults() {
        let kind = match crate::select::DEFAULT_IGNORES[i].1 {
            IgnoreCategory::Lockfile => TrivialKind::Lockfile,
            IgnoreCategory::Generated | IgnoreCategory::Minified => TrivialKind::Generated,
            _ => continue,
        };
        // The default globs are constants known to compile (select.rs tests them).
        if let Ok(g) = GlobBuilder::new(&glob).case_insensitive(true).literal_separator(true).build() {
            globs.push(g);
            kinds.push(kind);
        }
    }
    KindGlobs { set: GlobSet::new(globs), kinds }
}

fn file_kind(f: &FileDiff<'_>, globs: &KindGlobs, docs_are_trivial: bool) -> Option<TrivialKind> {
    let path = f.path();
    if docs_are_trivial && is_docs(path) {
        return Some(TrivialKind::Docs);
    }
    if let Some(i) = globs.set.first_match(path) {
        return Some(globs.kinds[i]);
    }
    if f.binary {
        return None;
    }
    let (added, removed) = f.changed();
    if added + removed == 0 && matches!(f.status, FileStatus::Renamed | FileStatus::Copied | FileStatus::Modified) {
        return Some(TrivialKind::Rename);
    }
    if f.status == FileStatus::Modified || f.status == FileStatus::Renamed {
        if indentation_matters(path) {
            return None;
        }
        let side = |kind: LineKind| {
            let text: Vec<&str> = f.hunks.iter().flat_map(|h| h.lines.iter()).filter(|l| l.kind == kind).map(|l| l.content()).collect();
            normalized(&text.join("\n"))
        };
        if side(LineKind::Removed) == side(LineKind::Added) {
            return Some(TrivialKind::Formatting);
        }
    }
    None
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase()
}

fn is_docs(path: &str) -> bool {
    let name = file_name(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let stem = name.split('.').next().unwrap_or(&name);
    matches!(ext, "md" | "markdown" | "mdx" | "rst" | "adoc" | "asciidoc" | "txt")
        && !matches!(name.as_str(), "requirements.txt" | "constraints.txt" | "cmakelists.txt" | "robots.txt")
        && !name.starts_with("requirements")
        || matches!(stem, "license" | "licence" | "copying" | "changelog" | "changes" | "authors" | "contributors" | "notice")
            && matches!(ext, "" | "md" | "markdown" | "txt" | "rst" | "adoc")
}

/// Languages and formats where whitespace is syntax.
fn indentation_matters(path: &str) -> bool {
    let name = file_name(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        ext,
        "py" | "pyi"
            | "pyx"
            | "yaml"
            | "yml"
            | "mk"
            | "hs"
            | "lhs"
            | "coffee"
            | "nim"
            | "fs"
            | "fsx"
            | "pug"
            | "jade"
            | "sass"
            | "styl"
            | "haml"
            | "slim"
            | "md"
            | "rst"
    ) || matches!(name.as_str(), "makefile" | "gnumakefile" | "dockerfile")
        || ext.is_empty()
}

/// The text with whitespace dropped outside string literals and kept inside
/// them (`"a b"` and `"ab"` differ; `a+b` and `a + b` do not). A quote opened
/// by an apostrophe in a comment only makes the comparison stricter.
fn normalized(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c.is_whitespace() {
                    continue;
                }
                if matches!(c, '"' | '\'' | '`') {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::parse_patch;

    fn file(path: &str, patch: &str) -> FileDiff<'static> {
        let patch: &'static str = Box::leak(patch.to_string().into_boxed_str());
        let path: &'static str = Box::leak(path.to_string().into_boxed_str());
        parse_patch(path, patch).file
    }

    fn renamed(from: &str, to: &str) -> FileDiff<'static> {
        let mut f = file(to, "");
        f.status = FileStatus::Renamed;
        f.old_path = Some(std::borrow::Cow::Owned(from.to_string()));
        f
    }

    const CODE: &str = "@@ -1,2 +1,2 @@\n fn a() {\n-    let x = 1;\n+    let x = 2;\n";

    #[test]
    fn the_rule_over_synthetic_changes() {
        use TrivialKind::*;
        // (case, files, docs are trivial, expected kinds or None)
        type Case = (&'static str, Vec<FileDiff<'static>>, bool, Option<Vec<TrivialKind>>);
        let md = || file("docs/guide.md", "@@ -1 +1 @@\n-Helo\n+Hello\n");
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("docs only",                 vec![md(), file("README.rst", "@@ -0,0 +1 @@\n+x\n")], true, Some(vec![Docs, Docs])),
            ("docs with thorough",        vec![md()], false, None),
            ("license and changelog",     vec![file("LICENSE", "@@ -1 +1 @@\n-a\n+b\n"), file("CHANGELOG.md", "@@ -1 +1 @@\n-a\n+b\n")], true, Some(vec![Docs, Docs])),
            ("requirements.txt is code",  vec![file("requirements.txt", "@@ -1 +1 @@\n-a==1\n+a==2\n")], true, None),
            ("lockfiles",                 vec![file("Cargo.lock", "@@ -1 +1 @@\n-a\n+b\n"), file("web/package-lock.json", "@@ -1 +1 @@\n-a\n+b\n")], true, Some(vec![Lockfile, Lockfile])),
            ("generated and minified",    vec![file("api/x.pb.go", "@@ -1 +1 @@\n-a\n+b\n"), file("static/app.min.js", "@@ -1 +1 @@\n-a\n+b\n")], true, Some(vec![Generated, Generated])),
            ("docs plus one code line",   vec![md(), file("src/a.rs", CODE)], true, None),
            ("pure rename",               vec![renamed("src/old.rs", "src/new.rs")], true, Some(vec![Rename])),
            ("reformatted Rust",          vec![file("src/a.rs", "@@ -1,2 +1,4 @@\n-fn a(x:u32,y:u32)->u32{x+y}\n+fn a(x: u32, y: u32) -> u32 {\n+    x + y\n+}\n fn b() {}\n")], true, Some(vec![Formatting])),
            ("whitespace in a string",    vec![file("src/a.rs", "@@ -1 +1 @@\n-let s = \"a b\";\n+let s = \"ab\";\n")], true, None),
            ("reindented Python",         vec![file("a.py", "@@ -1,2 +1,2 @@\n if x:\n-    y()\n+y()\n")], true, None),
            ("deleted code",              vec![{ let mut f = file("src/a.rs", "@@ -1 +0,0 @@\n-fn a() {}\n"); f.status = FileStatus::Deleted; f }], true, None),
            ("code change",               vec![file("src/a.rs", CODE)], true, None),
            ("nothing",                   vec![], true, None),
        ];
        for (case, files, docs, expected) in cases {
            let got = trivial_change(&files, docs).map(|t| t.files.into_iter().map(|(_, k)| k).collect::<Vec<_>>());
            assert_eq!(got, expected, "{case}");
        }
    }

    #[test]
    fn the_sentence_names_each_kind_with_its_count() {
        let t = Trivial {
            files: vec![("a.md".into(), TrivialKind::Docs), ("Cargo.lock".into(), TrivialKind::Lockfile), ("b.md".into(), TrivialKind::Docs)],
        };
        assert_eq!(t.sentence(), "every changed file is documentation (2) or a lockfile (1)");
        let t = Trivial { files: vec![("a".into(), TrivialKind::Rename), ("b".into(), TrivialKind::Formatting), ("c.md".into(), TrivialKind::Docs)] };
        assert_eq!(t.sentence(), "every changed file is documentation (1), a rename without content change (1) or a formatting-only change (1)");
    }
}

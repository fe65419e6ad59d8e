//! Definitions the changed lines depend on: an index of every function, type
//! and constant defined in the reviewed files (from the scope trees, plus a
//! cheap line rule for constants), the identifiers used on changed lines, and
//! the ranking that picks the few worth a line of context.

use crate::scope::{ScopeKind, ScopeTree, Syntax};
use crate::text::Lines;
use serde::Serialize;
use std::collections::HashMap;

/// One definition: where it is and its one-line signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Definition {
    /// Index of the file in the review's file list.
    pub file: usize,
    /// Line of the name (head side).
    pub line: u32,
    pub kind: DefKind,
    pub name: String,
    /// The header on one line, whitespace collapsed, without the opening
    /// brace; at most [`SIGNATURE_MAX`] bytes.
    pub signature: String,
    /// Lines of the definition's scope (for "is this the enclosing scope").
    pub span: (u32, u32),
    /// A method (a function inside a type): it answers to `x.name(`, not to
    /// a bare `name`.
    pub member: bool,
}

/// What kind of name a definition binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefKind {
    Callable,
    Type,
    Constant,
    Macro,
}

/// Longest signature kept, in bytes.
pub const SIGNATURE_MAX: usize = 160;

/// All definitions of the reviewed files, by name.
#[derive(Clone, Debug, Default)]
pub struct DefIndex {
    pub(crate) by_name: HashMap<String, Vec<Definition>>,
}

impl DefIndex {
    pub(crate) fn add_file(&mut self, file: usize, syntax: Syntax, text: &str, lines: &Lines, tree: &ScopeTree) {
        for s in &tree.scopes {
            if !s.kind.is_definition() || s.name.is_empty() {
                continue;
            }
            // `Foo::bar` and `a.b` are found by their last segment.
            let key = s.name.rsplit([':', '.']).next().unwrap_or(&s.name).trim();
            if !is_identifier(key) {
                continue;
            }
            let kind = match s.kind {
                k if k.is_callable() => DefKind::Callable,
                ScopeKind::Macro => DefKind::Macro,
                _ => DefKind::Type,
            };
            let signature = signature(text, lines, s.name_line, s.header_end);
            self.push(Definition {
                file,
                line: s.name_line,
                kind,
                name: key.to_string(),
                signature,
                span: (s.start, s.end),
                member: s.kind == ScopeKind::Method,
            });
        }
        constants(syntax, text, lines, tree, |name, line| {
            let signature = signature(text, lines, line, line);
            self.push(Definition { file, line, kind: DefKind::Constant, name: name.to_string(), signature, span: (line, line), member: false });
        });
    }

    fn push(&mut self, d: Definition) {
        let v = self.by_name.entry(d.name.clone()).or_default();
        // A name defined twice in one file (overloads, cfg variants) keeps
        // its first definition only.
        if !v.iter().any(|x| x.file == d.file && x.kind == d.kind) {
            v.push(d);
        }
    }

    /// Definitions named `name`.
    pub fn get(&self, name: &str) -> &[Definition] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Number of distinct names.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

fn is_identifier(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The header lines `from..=to` as one line: trimmed, joined by a space,
/// without a trailing `{` or `:`, cut at [`SIGNATURE_MAX`] bytes.
pub(crate) fn signature(text: &str, lines: &Lines, from: u32, to: u32) -> String {
    let mut out = String::new();
    for n in from..=to.max(from).min(from + 12) {
        let l = lines.line(text, n).trim();
        if l.is_empty() {
            continue;
        }
        if !out.is_empty() && !out.ends_with('(') && !l.starts_with(')') {
            out.push(' ');
        }
        out.push_str(l);
        if out.len() > SIGNATURE_MAX {
            break;
        }
    }
    let mut s = out.trim_end();
    for suffix in ["{", ":", "do"] {
        if let Some(x) = s.strip_suffix(suffix) {
            s = x.trim_end();
            break;
        }
    }
    let mut s = s.to_string();
    if s.len() > SIGNATURE_MAX {
        let mut cut = SIGNATURE_MAX;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Module-level constants found by a line rule (cheap, no parsing): Rust
/// `const`/`static`/`type`, Go `const`/`var`/`type`, C `#define`, JS/TS
/// `const`/`type`, Python upper-case assignments, Kotlin `const val`.
fn constants(syntax: Syntax, text: &str, lines: &Lines, tree: &ScopeTree, mut found: impl FnMut(&str, u32)) {
    // The first byte (after indentation) a constant's line can start with:
    // a cheap test that skips almost every line before any string work.
    let firsts: &[u8] = match syntax {
        Syntax::Rust => b"pcst",
        Syntax::Go => b"cvt",
        Syntax::C | Syntax::Cpp | Syntax::ObjectiveC => b"#",
        Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx => b"ectl",
        Syntax::Python => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        Syntax::Kotlin => b"pic",
        _ => return,
    };
    for n in 1..=lines.count() {
        let line = lines.line(text, n);
        let Some(&first) = line.as_bytes().iter().find(|&&c| c != b' ' && c != b'\t') else {
            continue;
        };
        if !firsts.contains(&first) {
            continue;
        }
        let t = line.trim_start();
        let name = match syntax {
            Syntax::Rust => {
                let t = strip_words(t, &["pub(crate)", "pub(super)", "pub"]);
                word_after(t, &["const ", "static mut ", "static ", "type "]).filter(|w| *w != "fn")
            }
            Syntax::Go => word_after(t, &["const ", "var ", "type "]),
            Syntax::C | Syntax::Cpp | Syntax::ObjectiveC => word_after(t, &["#define "]),
            Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx => {
                let t = strip_words(t, &["export"]);
                word_after(t, &["const ", "type ", "let "])
            }
            Syntax::Python => {
                if line.starts_with(|c: char| c.is_ascii_uppercase()) {
                    let w: &str = t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("");
                    let rest = t[w.len()..].trim_start();
                    (w.len() > 1
                        && w.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
                        && (rest.starts_with("= ") || rest.starts_with(':')))
                    .then_some(w)
                } else {
                    None
                }
            }
            Syntax::Kotlin => word_after(strip_words(t, &["private", "internal", "public"]), &["const val "]),
            _ => None,
        };
        let Some(name) = name else { continue };
        if !is_identifier(name) || name.len() < 2 {
            continue;
        }
        // Only at module level (an associated `type Output` or a local
        // `const` is not what a changed line elsewhere refers to); Kotlin's
        // `const val` lives in objects.
        let chain = tree.chain_at(n);
        let nested =
            |s: &&crate::scope::Scope| s.kind.is_callable() || s.kind.is_type() && !(syntax == Syntax::Kotlin && s.kind == ScopeKind::Object);
        if chain.iter().any(nested) {
            continue;
        }
        found(name, n);
    }
}

fn strip_words<'t>(mut t: &'t str, words: &[&str]) -> &'t str {
    loop {
        let before = t;
        for w in words {
            if let Some(r) = t.strip_prefix(w)
                && r.starts_with([' ', '\t'])
            {
                t = r.trim_start();
            }
        }
        if t.len() == before.len() {
            return t;
        }
    }
}

fn word_after<'t>(t: &'t str, prefixes: &[&str]) -> Option<&'t str> {
    let p = prefixes.iter().find(|p| t.starts_with(**p))?;
    let rest = t[p.len()..].trim_start();
    let w = rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()?;
    (!w.is_empty()).then_some(w)
}

/// Words never worth a definition line: keywords of the supported
/// languages and names so common that their definition says nothing.
/// Sorted (binary search; a unit test keeps it sorted).
const SKIP: &[&str] = &[
    "Arc",
    "Array",
    "Box",
    "Err",
    "False",
    "HashMap",
    "None",
    "Object",
    "Ok",
    "Option",
    "Rc",
    "Result",
    "Self",
    "Some",
    "String",
    "True",
    "Vec",
    "abstract",
    "and",
    "append",
    "args",
    "as",
    "assert",
    "async",
    "await",
    "begin",
    "bool",
    "boolean",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "class",
    "clone",
    "console",
    "const",
    "continue",
    "count",
    "ctx",
    "data",
    "def",
    "default",
    "defer",
    "del",
    "delete",
    "do",
    "double",
    "elif",
    "else",
    "elsif",
    "end",
    "enum",
    "err",
    "error",
    "except",
    "expect",
    "export",
    "exports",
    "extends",
    "extern",
    "f32",
    "f64",
    "false",
    "final",
    "finally",
    "float",
    "fn",
    "for",
    "format",
    "free",
    "from",
    "func",
    "function",
    "get",
    "global",
    "go",
    "goto",
    "i16",
    "i32",
    "i64",
    "i8",
    "if",
    "impl",
    "implements",
    "import",
    "in",
    "index",
    "init",
    "instanceof",
    "int",
    "interface",
    "into",
    "is",
    "isize",
    "item",
    "iter",
    "key",
    "lambda",
    "len",
    "length",
    "let",
    "list",
    "log",
    "long",
    "loop",
    "main",
    "make",
    "malloc",
    "map",
    "match",
    "memcpy",
    "mod",
    "module",
    "mut",
    "name",
    "namespace",
    "new",
    "next",
    "nil",
    "none",
    "not",
    "null",
    "object",
    "or",
    "override",
    "package",
    "pass",
    "print",
    "printf",
    "println",
    "private",
    "protected",
    "prototype",
    "pub",
    "public",
    "push",
    "raise",
    "readonly",
    "ref",
    "require",
    "rescue",
    "result",
    "return",
    "self",
    "set",
    "short",
    "size",
    "sizeof",
    "static",
    "str",
    "string",
    "strlen",
    "struct",
    "super",
    "switch",
    "test",
    "then",
    "this",
    "throw",
    "throws",
    "to_string",
    "trait",
    "true",
    "try",
    "type",
    "typedef",
    "typeof",
    "u16",
    "u32",
    "u64",
    "u8",
    "uint",
    "undefined",
    "union",
    "unless",
    "unsafe",
    "unwrap",
    "use",
    "using",
    "usize",
    "val",
    "value",
    "var",
    "void",
    "where",
    "while",
    "with",
    "yield",
];

/// Words after which the next identifier is a name being defined.
fn is_definer(w: &str) -> bool {
    matches!(
        w,
        "fn" | "def"
            | "func"
            | "function"
            | "class"
            | "struct"
            | "enum"
            | "trait"
            | "interface"
            | "type"
            | "mod"
            | "module"
            | "const"
            | "let"
            | "var"
            | "val"
            | "static"
            | "object"
            | "union"
            | "namespace"
            | "macro_rules"
    )
}

/// An identifier used on a changed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Use {
    pub name: String,
    /// Followed by `(` (a call) or capitalized (a type).
    pub strong: bool,
    /// Called as a member: `x.name(`, `X::name(`, `p->name(`.
    pub member_call: bool,
    pub count: u32,
    /// Order of first appearance.
    pub order: u32,
}

/// Identifiers on `lines` (changed lines' text), skipping string contents,
/// comments, keywords and very common names.
pub(crate) fn uses<'l>(lines: impl IntoIterator<Item = &'l str>) -> Vec<Use> {
    let mut out: Vec<Use> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut order = 0u32;
    for line in lines {
        let b = line.as_bytes();
        let mut i = 0;
        let mut quote: Option<u8> = None;
        // The next identifier is being defined here (`fn name`, `let name`).
        let mut defining = false;
        while i < b.len() {
            let c = b[i];
            if let Some(q) = quote {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            match c {
                b'"' | b'\'' | b'`' => {
                    // A Rust lifetime is not a quote.
                    if c == b'\''
                        && b.get(i + 2) != Some(&b'\'')
                        && b.get(i + 1).is_some_and(|x| x.is_ascii_alphabetic())
                        && b.get(i + 1) != Some(&b'\\')
                    {
                        i += 1;
                        continue;
                    }
                    quote = Some(c);
                    i += 1;
                }
                b'/' if b.get(i + 1) == Some(&b'/') => break,
                b'#' if i == 0 || b[i - 1] == b' ' => {
                    // A comment in Python, Ruby, shell; `#[` and `#include` are not.
                    if !matches!(b.get(i + 1), Some(b'[' | b'!' | b'i' | b'd')) {
                        break;
                    }
                    i += 1;
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let s = i;
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                        i += 1;
                    }
                    // Member access after `.` still counts (`self.handle(`).
                    let w = &line[s..i];
                    let was_defining = std::mem::replace(&mut defining, is_definer(w));
                    if was_defining && w == "mut" {
                        defining = true;
                        continue;
                    }
                    if was_defining {
                        continue;
                    }
                    if w.len() < 3 || SKIP.binary_search(&w).is_ok() || s > 0 && b[s - 1].is_ascii_digit() {
                        continue;
                    }
                    let strong = b.get(i) == Some(&b'(') || b.get(i) == Some(&b'!') || w.starts_with(|c: char| c.is_ascii_uppercase());
                    let after = |p: &[u8]| s >= p.len() && &b[s - p.len()..s] == p;
                    let member_call = b.get(i) == Some(&b'(') && (after(b".") || after(b"::") || after(b"->"));
                    match at.get(w) {
                        Some(&k) => {
                            out[k].count += 1;
                            out[k].strong |= strong;
                            out[k].member_call |= member_call;
                        }
                        None => {
                            at.insert(w.to_string(), out.len());
                            out.push(Use { name: w.to_string(), strong, member_call, count: 1, order });
                            order += 1;
                        }
                    }
                }
                c if c.is_ascii_digit() => {
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                        i += 1;
                    }
                }
                b' ' | b'\t' => i += 1,
                _ => {
                    // Punctuation ends a `let (a, b)` style definition.
                    defining = false;
                    i += 1;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_list_is_sorted_for_binary_search() {
        assert!(SKIP.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn uses_skip_strings_comments_keywords() {
        let u = uses(["let x = compute_total(items, \"skip_me\"); // ignored_name", "if Config::load() { render(x) } # not_this"]);
        let names: Vec<_> = u.iter().map(|u| (u.name.as_str(), u.strong)).collect();
        let member: Vec<_> = u.iter().filter(|u| u.member_call).map(|u| u.name.as_str()).collect();
        assert_eq!(member, ["load"]);
        // Names being defined on the line are not uses.
        let d = uses(["fn attr(&mut self, attr_value: u8) -> Attr {", "let mut total_count = compute(x);"]);
        let names_d: Vec<_> = d.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names_d, ["attr_value", "Attr", "compute"]);
        assert_eq!(names, [("compute_total", true), ("items", false), ("Config", true), ("load", true), ("render", true)]);
    }

    #[test]
    fn signatures_join_header_lines() {
        let t = "pub fn f(\n    a: u32,\n) -> X {\n";
        let l = Lines::new(t);
        assert_eq!(signature(t, &l, 1, 3), "pub fn f(a: u32,) -> X");
    }
}

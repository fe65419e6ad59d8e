//! The scope tree of one file: every function, method, type, impl, module or
//! namespace with its header lines, its name and where it ends, nested; and
//! the query the renderer needs, the chain of scopes around a line.
//!
//! Finders per language family fill a flat list (`brace.rs` for brace
//! languages, `python.rs`, `ruby.rs`, `markup.rs` for Markdown, YAML and
//! TOML); `ScopeTree::build` sorts and nests it.

use crate::text::Lines;
use argus_diff::select::Language;
use serde::Serialize;

/// What a scope is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Function,
    /// A function inside a type (class, impl, trait, object …), constructors included.
    Method,
    Class,
    Struct,
    Enum,
    Union,
    Trait,
    Interface,
    /// A Rust `impl`, a Swift or Scala `extension`.
    Impl,
    /// A Rust `mod`, a Ruby `module`, a TypeScript `namespace`/`module`.
    Module,
    Namespace,
    /// A Kotlin or Scala `object`.
    Object,
    /// A Rust `macro_rules!`.
    Macro,
    /// A C# property or indexer with accessor bodies.
    Property,
    /// A Markdown heading's section.
    Section,
    /// A YAML key or TOML table holding nested content.
    Key,
    /// A braced block with a header in a language without a dedicated finder.
    Block,
}

impl ScopeKind {
    /// Functions, methods, constructors: what "the enclosing function" means.
    pub fn is_callable(self) -> bool {
        matches!(self, ScopeKind::Function | ScopeKind::Method)
    }
    /// Types and type-like containers (impl, trait, object …).
    pub fn is_type(self) -> bool {
        matches!(
            self,
            ScopeKind::Class
                | ScopeKind::Struct
                | ScopeKind::Enum
                | ScopeKind::Union
                | ScopeKind::Trait
                | ScopeKind::Interface
                | ScopeKind::Impl
                | ScopeKind::Object
                | ScopeKind::Property
        )
    }
    /// A definition worth listing when a changed line uses its name.
    pub fn is_definition(self) -> bool {
        self.is_callable() || self.is_type() && self != ScopeKind::Impl || self == ScopeKind::Macro
    }
    /// The keyword-like word used in fixtures and reports.
    pub fn word(self) -> &'static str {
        match self {
            ScopeKind::Function => "fn",
            ScopeKind::Method => "method",
            ScopeKind::Class => "class",
            ScopeKind::Struct => "struct",
            ScopeKind::Enum => "enum",
            ScopeKind::Union => "union",
            ScopeKind::Trait => "trait",
            ScopeKind::Interface => "interface",
            ScopeKind::Impl => "impl",
            ScopeKind::Module => "module",
            ScopeKind::Namespace => "namespace",
            ScopeKind::Object => "object",
            ScopeKind::Macro => "macro",
            ScopeKind::Property => "property",
            ScopeKind::Section => "section",
            ScopeKind::Key => "key",
            ScopeKind::Block => "block",
        }
    }
}

/// One scope. Lines are 1-based and inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub kind: ScopeKind,
    /// Short name: `handle`, `Server`, `Display for Server`, `a::b`; empty
    /// for anonymous scopes.
    pub name: String,
    /// First line of the declaration, attributes, decorators and
    /// annotations included (comments above are not).
    pub start: u32,
    /// The line holding the name (where a signature would be cited).
    pub name_line: u32,
    /// Last line of the header: the line with the opening brace, the `:` of
    /// a Python `def`, the end of a Ruby `def` line.
    pub header_end: u32,
    /// Last line of the scope (the closing brace, `end`, or the last line of
    /// an indented body).
    pub end: u32,
    /// Index of the enclosing scope in [`ScopeTree::scopes`].
    pub parent: Option<u32>,
}

impl Scope {
    /// Lines of the header.
    pub fn header(&self) -> std::ops::RangeInclusive<u32> {
        self.start..=self.header_end.max(self.start)
    }
    /// Lines of the body (empty for a one-line scope).
    pub fn body(&self) -> std::ops::RangeInclusive<u32> {
        (self.header_end + 1)..=self.end
    }
    /// Whether line `n` lies in the scope, header included.
    pub fn contains(&self, n: u32) -> bool {
        self.start <= n && n <= self.end
    }
    /// Lines from the first header line to the end.
    pub fn lines(&self) -> u32 {
        self.end.saturating_sub(self.start) + 1
    }
}

/// Every scope of a file, sorted by start line (outer before inner on ties),
/// each with its parent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScopeTree {
    pub scopes: Vec<Scope>,
}

impl ScopeTree {
    /// Sorts and nests `scopes`; a scope that overlaps its would-be parent
    /// without fitting inside it is cut at the parent's end, so the result is
    /// always a tree.
    pub(crate) fn build(mut scopes: Vec<Scope>) -> Self {
        for s in &mut scopes {
            s.header_end = s.header_end.max(s.start);
            s.end = s.end.max(s.header_end);
            s.name_line = s.name_line.clamp(s.start, s.end);
        }
        argus_core::sort::sort_by(&mut scopes, |a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..scopes.len() {
            while let Some(&top) = stack.last() {
                let t = &scopes[top];
                // Disjoint, or a sibling that starts on the line where this
                // one ends (`}, next = () => {`): not nested.
                if t.end < scopes[i].start || t.end == scopes[i].start && scopes[i].end > t.end && t.start < scopes[i].start {
                    stack.pop();
                } else {
                    break;
                }
            }
            if let Some(&top) = stack.last() {
                let end = scopes[top].end;
                let s = &mut scopes[i];
                s.end = s.end.min(end);
                s.header_end = s.header_end.min(s.end);
                s.name_line = s.name_line.min(s.end);
                s.parent = Some(top as u32);
            } else {
                scopes[i].parent = None;
            }
            stack.push(i);
        }
        // A function directly inside a type is a method, whichever finder
        // found it (indentation bodies and class fields do not know their owner).
        for i in 0..scopes.len() {
            if scopes[i].kind == ScopeKind::Function
                && let Some(p) = scopes[i].parent
                && scopes[p as usize].kind.is_type()
            {
                scopes[i].kind = ScopeKind::Method;
            }
        }
        ScopeTree { scopes }
    }

    /// The innermost scope around line `n`, if any.
    pub fn innermost(&self, n: u32) -> Option<usize> {
        let after = self.scopes.partition_point(|s| s.start <= n);
        let mut i = after.checked_sub(1)?;
        loop {
            if self.scopes[i].contains(n) {
                return Some(i);
            }
            i = self.scopes[i].parent? as usize;
        }
    }

    /// The scopes around line `n`, outermost first.
    pub fn chain_at(&self, n: u32) -> Vec<&Scope> {
        let mut out = Vec::new();
        let mut cur = self.innermost(n);
        while let Some(i) = cur {
            out.push(&self.scopes[i]);
            cur = self.scopes[i].parent.map(|p| p as usize);
        }
        out.reverse();
        out
    }

    /// Indices of the scopes around line `n`, outermost first.
    pub fn chain_indices(&self, n: u32) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = self.innermost(n);
        while let Some(i) = cur {
            out.push(i);
            cur = self.scopes[i].parent.map(|p| p as usize);
        }
        out.reverse();
        out
    }

    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }
}

/// The syntax a finder reads: a [`Language`] refined by the file name where
/// it matters (TSX versus TypeScript).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    Rust,
    C,
    Cpp,
    ObjectiveC,
    Go,
    Java,
    Kotlin,
    CSharp,
    Swift,
    Scala,
    /// JavaScript, JSX included.
    JavaScript,
    TypeScript,
    Tsx,
    Php,
    Python,
    Ruby,
    Markdown,
    Yaml,
    Toml,
    /// Braces with headers, for everything else.
    Generic,
}

impl Syntax {
    /// The syntax for a detected language; `None` reads as [`Syntax::Generic`].
    pub fn from_language(lang: Option<Language>) -> Syntax {
        match lang {
            Some(Language::Rust) => Syntax::Rust,
            Some(Language::C) => Syntax::C,
            Some(Language::Cpp) => Syntax::Cpp,
            Some(Language::ObjectiveC) => Syntax::ObjectiveC,
            Some(Language::Go) => Syntax::Go,
            Some(Language::Java) => Syntax::Java,
            Some(Language::Kotlin) => Syntax::Kotlin,
            Some(Language::CSharp) => Syntax::CSharp,
            Some(Language::Swift) => Syntax::Swift,
            Some(Language::Scala) => Syntax::Scala,
            Some(Language::JavaScript) => Syntax::JavaScript,
            Some(Language::TypeScript) => Syntax::TypeScript,
            Some(Language::Php) => Syntax::Php,
            Some(Language::Python) => Syntax::Python,
            Some(Language::Ruby) => Syntax::Ruby,
            Some(Language::Markdown) => Syntax::Markdown,
            Some(Language::Yaml) => Syntax::Yaml,
            Some(Language::Toml) => Syntax::Toml,
            _ => Syntax::Generic,
        }
    }

    /// The syntax for a file: [`Syntax::from_path`], and a `.h` header that
    /// holds C++ (a line starting with `namespace `, `class `, `template` or
    /// an access specifier) read as C++.
    pub fn for_file(path: &str, text: &str) -> Syntax {
        let syn = Syntax::from_path(path);
        if syn != Syntax::C || !path.ends_with(".h") {
            return syn;
        }
        let head = &text.as_bytes()[..text.len().min(64 * 1024)];
        let cpp = head.split(|&c| c == b'\n').any(|l| {
            let t = l.trim_ascii_start();
            t.starts_with(b"namespace ")
                || t.starts_with(b"class ") && !t.ends_with(b";")
                || t.starts_with(b"template<")
                || t.starts_with(b"template <")
                || t.starts_with(b"public:")
                || t.starts_with(b"private:")
                || t.starts_with(b"protected:")
        });
        if cpp { Syntax::Cpp } else { syn }
    }

    /// The syntax for a path: its language, and TSX for `.tsx`.
    pub fn from_path(path: &str) -> Syntax {
        if path.len() > 4 && path[path.len() - 4..].eq_ignore_ascii_case(".tsx") {
            return Syntax::Tsx;
        }
        Syntax::from_language(Language::from_path(path))
    }
}

/// The scope tree of `text` read as `lang` (see [`scopes_in`] for the
/// syntax-level entry). Linear in the text; never panics.
pub fn scopes(lang: Option<Language>, text: &str) -> ScopeTree {
    scopes_in(Syntax::from_language(lang), text)
}

/// The scope tree of `text` for a path (TSX is told apart from TypeScript,
/// C++ headers named `.h` from C ones; see [`Syntax::for_file`]).
pub fn scopes_for_path(path: &str, text: &str) -> ScopeTree {
    scopes_in(Syntax::for_file(path, text), text)
}

/// The scope tree of `text` read as `syntax`.
pub fn scopes_in(syntax: Syntax, text: &str) -> ScopeTree {
    let lines = Lines::new(text);
    ScopeTree::build(find(syntax, text, &lines))
}

/// The flat scope list, unsorted.
pub(crate) fn find(syntax: Syntax, text: &str, lines: &Lines) -> Vec<Scope> {
    match syntax {
        Syntax::Python => crate::python::find(text, lines),
        Syntax::Ruby => crate::ruby::find(text, lines),
        Syntax::Markdown => crate::markup::markdown(text, lines),
        Syntax::Yaml => crate::markup::yaml(text, lines),
        Syntax::Toml => crate::markup::toml(text, lines),
        _ => crate::brace::find(syntax, text, lines),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(start: u32, end: u32) -> Scope {
        Scope { kind: ScopeKind::Block, name: String::new(), start, name_line: start, header_end: start, end, parent: None }
    }

    #[test]
    fn build_nests_and_clamps() {
        let t = ScopeTree::build(vec![s(5, 9), s(1, 20), s(3, 12), s(10, 30)]);
        let spans: Vec<_> = t.scopes.iter().map(|x| (x.start, x.end, x.parent)).collect();
        assert_eq!(spans, [(1, 20, None), (3, 12, Some(0)), (5, 9, Some(1)), (10, 12, Some(1))]);
        assert_eq!(t.chain_at(11).len(), 3);
        assert_eq!(t.chain_at(15).len(), 1);
        assert!(t.chain_at(25).is_empty());
        assert_eq!(t.innermost(6), Some(2));
    }
}

//! The accuracy oracle: tree-sitter's real parsers (dev-dependencies only)
//! say which scope encloses each line, and [`compare`] counts the lines where
//! our finder agrees. Shared by `tests/oracle.rs` (the corpus figure) and
//! `examples/accuracy.rs` (any directory).
//!
//! What counts as a scope is the same on both sides: functions, methods,
//! constructors, types (class, struct, enum, union, trait, interface, impl,
//! object, record, protocol, extension, C# property with accessors) and
//! modules/namespaces — each only when it has a body (a braced, indented or
//! `end`-closed block, or an expression body such as Kotlin's `fun f() =
//! x`; a unit struct or an abstract method has no inside). A line agrees when the innermost scope around it is of the same
//! class (callable, type, module) and has its name on the same line, or when
//! neither side has a scope there. Attributes, decorators and annotations
//! above a declaration belong to it on both sides (tree-sitter keeps Rust
//! attributes and TS method decorators as siblings, so the oracle extends its
//! start over them).

#![allow(dead_code)]

use argus_context::{ScopeKind, ScopeTree, Syntax};
use tree_sitter::{Language, Node, Parser};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Callable,
    Type,
    Module,
}

pub fn class_of(k: ScopeKind) -> Option<Class> {
    use ScopeKind::*;
    match k {
        Function | Method | Macro => Some(self::Class::Callable),
        Class | Struct | Enum | Union | Trait | Interface | Impl | Object | Property => Some(self::Class::Type),
        Module | Namespace => Some(self::Class::Module),
        Section | Key | Block => None,
    }
}

/// First and last line of something.
pub type LineSpan = (u32, u32);

/// An innermost scope as compared: its class and name line.
pub type Seen = Option<(Class, u32)>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OScope {
    pub class: Class,
    pub start: u32,
    pub name_line: u32,
    pub end: u32,
}

pub fn language(syn: Syntax) -> Option<Language> {
    Some(match syn {
        Syntax::Rust => tree_sitter_rust::LANGUAGE.into(),
        Syntax::C => tree_sitter_c::LANGUAGE.into(),
        Syntax::Cpp => tree_sitter_cpp::LANGUAGE.into(),
        Syntax::Python => tree_sitter_python::LANGUAGE.into(),
        Syntax::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Syntax::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Syntax::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Syntax::Go => tree_sitter_go::LANGUAGE.into(),
        Syntax::Java => tree_sitter_java::LANGUAGE.into(),
        Syntax::Kotlin => tree_sitter_kotlin_ng::LANGUAGE.into(),
        Syntax::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
        Syntax::Ruby => tree_sitter_ruby::LANGUAGE.into(),
        Syntax::Php => tree_sitter_php::LANGUAGE_PHP.into(),
        Syntax::Swift => tree_sitter_swift::LANGUAGE.into(),
        Syntax::Scala => tree_sitter_scala::LANGUAGE.into(),
        _ => return None,
    })
}

fn line(n: Node<'_>) -> u32 {
    n.start_position().row as u32 + 1
}

fn end_line(n: Node<'_>) -> u32 {
    let p = n.end_position();
    // A node ending at column 0 ends on the line before (a trailing newline).
    if p.column == 0 && p.row > n.start_position().row { p.row as u32 } else { p.row as u32 + 1 }
}

fn field<'t>(n: Node<'t>, f: &str) -> Option<Node<'t>> {
    n.child_by_field_name(f)
}

fn has_child(n: Node<'_>, kinds: &[&str]) -> bool {
    let mut c = n.walk();
    n.named_children(&mut c).any(|x| kinds.contains(&x.kind()))
}

/// The line of a C declarator's identifier.
fn c_name(mut d: Node<'_>) -> u32 {
    for _ in 0..16 {
        match d.kind() {
            "identifier" | "field_identifier" | "qualified_identifier" | "operator_name" | "destructor_name" | "type_identifier" => {
                return line(d);
            }
            _ => match field(d, "declarator") {
                Some(x) => d = x,
                None => return line(d),
            },
        }
    }
    line(d)
}

/// Whether `n` is a scope and, if so, its class and name line.
fn rule(syn: Syntax, n: Node<'_>) -> Option<(Class, u32)> {
    let k = n.kind();
    let name = |f: &str| field(n, f).map_or(line(n), line);
    let body = field(n, "body").is_some();
    match syn {
        Syntax::Rust => match k {
            "function_item" if body => Some((Class::Callable, name("name"))),
            "impl_item" if body => Some((Class::Type, name("type"))),
            "trait_item" | "struct_item" | "enum_item" | "union_item"
                if body && field(n, "body").is_some_and(|b| b.kind() != "ordered_field_declaration_list") =>
            {
                Some((Class::Type, name("name")))
            }
            "mod_item" if body => Some((Class::Module, name("name"))),
            "macro_definition" => Some((Class::Callable, name("name"))),
            _ => None,
        },
        Syntax::C | Syntax::Cpp => match k {
            "function_definition" => Some((Class::Callable, field(n, "declarator").map_or(line(n), c_name))),
            "struct_specifier" | "union_specifier" | "enum_specifier" | "class_specifier" if body => Some((Class::Type, name("name"))),
            "namespace_definition" => Some((Class::Module, name("name"))),
            _ => None,
        },
        Syntax::Go => match k {
            "function_declaration" | "method_declaration" if body => Some((Class::Callable, name("name"))),
            "type_spec" if field(n, "type").is_some_and(|t| matches!(t.kind(), "struct_type" | "interface_type")) => {
                Some((Class::Type, name("name")))
            }
            _ => None,
        },
        Syntax::Python => match k {
            "function_definition" => Some((Class::Callable, name("name"))),
            "class_definition" => Some((Class::Type, name("name"))),
            _ => None,
        },
        Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx => match k {
            "function_declaration" | "generator_function_declaration" | "method_definition" if body => Some((Class::Callable, name("name"))),
            "class_declaration" | "abstract_class_declaration" | "class" if body => Some((Class::Type, name("name"))),
            "interface_declaration" | "enum_declaration" => Some((Class::Type, name("name"))),
            "internal_module" | "module" if body => Some((Class::Module, name("name"))),
            "function_expression" | "arrow_function" | "function" | "generator_function"
                if field(n, "body").is_some_and(|b| b.kind() == "statement_block") =>
            {
                let p = n.parent()?;
                let bound = match p.kind() {
                    "variable_declarator" => field(p, "name"),
                    "assignment_expression" => field(p, "left").map(|l| field(l, "property").unwrap_or(l)),
                    "pair" => field(p, "key"),
                    "public_field_definition" | "field_definition" => field(p, "name").or_else(|| field(p, "property")),
                    _ => None,
                }?;
                Some((Class::Callable, line(bound)))
            }
            _ => None,
        },
        Syntax::Java => match k {
            "class_declaration" | "interface_declaration" | "enum_declaration" | "record_declaration" | "annotation_type_declaration" => {
                Some((Class::Type, name("name")))
            }
            "method_declaration" | "constructor_declaration" | "compact_constructor_declaration" if body => Some((Class::Callable, name("name"))),
            _ => None,
        },
        Syntax::Kotlin => match k {
            "class_declaration" | "object_declaration" | "companion_object" if has_child(n, &["class_body", "enum_class_body"]) => {
                Some((Class::Type, name("name")))
            }
            "function_declaration" if has_child(n, &["function_body"]) => Some((Class::Callable, name("name"))),
            "secondary_constructor" if has_child(n, &["block"]) => Some((Class::Callable, line(n))),
            _ => None,
        },
        Syntax::CSharp => match k {
            "class_declaration" | "struct_declaration" | "interface_declaration" | "enum_declaration" | "record_declaration" if body => {
                Some((Class::Type, name("name")))
            }
            "namespace_declaration" | "file_scoped_namespace_declaration" => Some((Class::Module, name("name"))),
            "method_declaration"
            | "constructor_declaration"
            | "destructor_declaration"
            | "operator_declaration"
            | "conversion_operator_declaration"
            | "local_function_statement"
                if body =>
            {
                Some((Class::Callable, name("name")))
            }
            "property_declaration" | "indexer_declaration" | "event_declaration"
                if field(n, "accessors").is_some() || has_child(n, &["accessor_list"]) =>
            {
                Some((Class::Type, name("name")))
            }
            _ => None,
        },
        Syntax::Ruby => match k {
            "method" | "singleton_method" => Some((Class::Callable, name("name"))),
            "class" | "singleton_class" => Some((Class::Type, line(n))),
            "module" => Some((Class::Module, line(n))),
            _ => None,
        },
        Syntax::Php => match k {
            "function_definition" | "method_declaration" if body => Some((Class::Callable, name("name"))),
            "class_declaration" | "interface_declaration" | "trait_declaration" | "enum_declaration" => Some((Class::Type, name("name"))),
            "namespace_definition" => Some((Class::Module, name("name"))),
            _ => None,
        },
        Syntax::Swift => match k {
            "class_declaration" | "protocol_declaration" if body => Some((Class::Type, name("name"))),
            "function_declaration" | "init_declaration" | "deinit_declaration" if body => {
                Some((Class::Callable, field(n, "name").map_or(line(n), line)))
            }
            "subscript_declaration" if has_child(n, &["computed_property"]) => Some((Class::Callable, line(n))),
            _ => None,
        },
        Syntax::Scala => match k {
            "class_definition" | "object_definition" | "trait_definition" | "enum_definition" | "package_object" if body => {
                Some((Class::Type, name("name")))
            }
            "extension_definition" if body => Some((Class::Type, line(n))),
            "function_definition" if body => Some((Class::Callable, name("name"))),
            _ => None,
        },
        _ => None,
    }
}

/// Where a declaration starts, attributes and decorators included.
fn start_of(syn: Syntax, n: Node<'_>) -> u32 {
    let mut start = line(n);
    let mut node = n;
    if let Some(p) = n.parent() {
        match (syn, p.kind()) {
            (Syntax::Python, "decorated_definition") => return line(p),
            (Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx, "export_statement" | "ambient_declaration") => {
                start = line(p);
                node = p;
            }
            (Syntax::Cpp, "template_declaration") => {
                start = line(p);
                node = p;
            }
            (
                Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx,
                "variable_declarator" | "pair" | "assignment_expression" | "public_field_definition" | "field_definition",
            ) => {
                // A bound function starts at its binding (or at `const` / `export`
                // when the binding is the statement's first).
                start = line(p);
                node = p;
                if let Some(q) = p.parent()
                    && matches!(q.kind(), "lexical_declaration" | "variable_declaration" | "expression_statement")
                    && q.named_child(0).is_some_and(|c| c.id() == p.id())
                {
                    start = line(q);
                    node = q;
                    if let Some(e) = q.parent().filter(|e| e.kind() == "export_statement") {
                        start = line(e);
                        node = e;
                    }
                }
            }
            _ => {}
        }
    }
    // Rust attributes and TS decorators are siblings before the item.
    let mut prev = node.prev_sibling();
    while let Some(s) = prev {
        match s.kind() {
            "attribute_item" | "decorator" => start = line(s),
            "line_comment" | "block_comment" | "comment" => {}
            _ => break,
        }
        prev = s.prev_sibling();
    }
    start
}

/// The oracle's scopes of `text`, and the line ranges it cannot judge
/// (inside parse errors, and inside Rust macro token trees, which
/// tree-sitter does not parse but our finder reads as code); `None` for a
/// syntax without a grammar.
pub fn oracle(syn: Syntax, text: &str) -> Option<(Vec<OScope>, Vec<LineSpan>)> {
    let lang = language(syn)?;
    let mut parser = Parser::new();
    parser.set_language(&lang).ok()?;
    let tree = parser.parse(text, None)?;
    let mut out = Vec::new();
    let mut opaque = Vec::new();
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        let macro_body =
            syn == Syntax::Rust && n.kind() == "token_tree" && n.parent().is_some_and(|p| matches!(p.kind(), "macro_invocation" | "macro_rule"));
        if n.is_error() || macro_body {
            opaque.push((line(n), end_line(n)));
            continue;
        }
        if let Some((class, name_line)) = rule(syn, n) {
            let start = start_of(syn, n).min(name_line);
            out.push(OScope { class, start, name_line, end: end_line(n).max(name_line) });
        }
        cursor.reset(n);
        let kids: Vec<Node<'_>> = n.children(&mut cursor).collect();
        stack.extend(kids.into_iter().rev());
    }
    // PHP `namespace X;` applies to the rest of the file (or the next one).
    if syn == Syntax::Php {
        let total = text.lines().count() as u32;
        let mut ns: Vec<usize> = (0..out.len()).filter(|&i| out[i].class == Class::Module && out[i].end == out[i].start).collect();
        ns.sort_by_key(|&i| out[i].start);
        for w in 0..ns.len() {
            let next = ns.get(w + 1).map_or(total, |&j| out[j].start - 1);
            out[ns[w]].end = next.max(out[ns[w]].start);
        }
    }
    Some((out, opaque))
}

/// The innermost oracle scope around line `l` (the smallest span; ties go to
/// the later start).
fn innermost(scopes: &[OScope], l: u32) -> Option<OScope> {
    scopes.iter().filter(|s| s.start <= l && l <= s.end).min_by_key(|s| (s.end - s.start, u32::MAX - s.start)).copied()
}

/// Our innermost code scope around line `l`.
fn ours_at(tree: &ScopeTree, l: u32) -> Option<(Class, u32)> {
    tree.chain_at(l).iter().rev().find_map(|s| class_of(s.kind).map(|c| (c, s.name_line)))
}

/// Agreement over the lines of one file.
#[derive(Clone, Debug, Default)]
pub struct Agreement {
    pub lines: u64,
    pub agree: u64,
    /// Lines the oracle could not judge (skipped).
    pub opaque: u64,
    /// Up to a few disagreements: (line, ours, oracle's).
    pub examples: Vec<(u32, Seen, Seen)>,
}

/// Compares our finder with the oracle on every non-blank line of `text`.
pub fn compare(syn: Syntax, text: &str) -> Option<Agreement> {
    let (theirs, opaque) = oracle(syn, text)?;
    let ours = argus_context::scopes_in(syn, text);
    let mut a = Agreement::default();
    for (i, l) in text.split('\n').enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let n = i as u32 + 1;
        if opaque.iter().any(|&(s, e)| s < n && n <= e) {
            a.opaque += 1;
            continue;
        }
        let o = ours_at(&ours, n);
        let t = innermost(&theirs, n).map(|s| (s.class, s.name_line));
        a.lines += 1;
        if o == t {
            a.agree += 1;
        } else if a.examples.len() < 8 {
            a.examples.push((n, o, t));
        }
    }
    Some(a)
}

//! The scope finder for brace languages (Rust, C, C++, Go, Java, Kotlin, C#,
//! Swift, Scala, JavaScript, TypeScript/TSX, PHP, and a generic fallback).
//!
//! One pass over the tokens of [`crate::lex`] with a stack of open braces.
//! Each frame remembers where the current declaration's header began: after
//! the last `;`, `{` or `}` at its level, after a blank line, and — in
//! languages where a line break can end a statement (Go, Kotlin, Swift,
//! Scala, JS/TS) — after a line break that ends one. When a `{` opens, the
//! tokens of that header decide what it is, by per-language rules that look
//! only at the header's top level (bracket groups are skipped whole):
//! a definer keyword in declaration position (`fn`, `class`, `func`, `def` …
//! preceded only by modifiers, attributes and annotations), or for C-like
//! languages a name followed by a parameter list and nothing but qualifiers.
//! Everything else (control flow, closures, literals) is a plain block.

use crate::lex::{self, Backtick, Interp, K, Quote1, Rules, Tok};
use crate::scope::{Scope, ScopeKind, Syntax};
use crate::text::Lines;

fn rules(syn: Syntax) -> Rules {
    let b = Rules::BASE;
    match syn {
        Syntax::Rust => Rules { quote1: Quote1::CharOrLabel, nested_comments: true, multiline_strings: true, rust_raw: true, ..b },
        Syntax::C | Syntax::ObjectiveC => Rules { preprocessor: true, ..b },
        Syntax::Cpp => Rules { preprocessor: true, cpp_raw: true, ..b },
        Syntax::Go => Rules { backtick: Backtick::Raw, ..b },
        Syntax::Java => Rules { triple_quotes: true, ..b },
        Syntax::Kotlin => Rules { backtick: Backtick::Ident, interp: Interp::DollarBrace, nested_comments: true, triple_quotes: true, ..b },
        Syntax::CSharp => Rules { preprocessor: true, csharp_strings: true, triple_quotes: true, ..b },
        Syntax::Swift => Rules {
            quote1: Quote1::None,
            backtick: Backtick::Ident,
            interp: Interp::BackslashParen,
            nested_comments: true,
            hash_directives: true,
            triple_quotes: true,
            swift_raw: true,
            ..b
        },
        Syntax::Scala => {
            Rules { quote1: Quote1::CharOrLabel, backtick: Backtick::Ident, nested_comments: true, triple_quotes: true, scala_interp: true, ..b }
        }
        Syntax::JavaScript | Syntax::Tsx => Rules { quote1: Quote1::String, backtick: Backtick::Template, regex: true, jsx: true, ..b },
        Syntax::TypeScript => Rules { quote1: Quote1::String, backtick: Backtick::Template, regex: true, ..b },
        Syntax::Php => Rules {
            quote1: Quote1::String,
            backtick: Backtick::Raw,
            interp: Interp::Php,
            hash_comment: true,
            multiline_strings: true,
            php: true,
            ..b
        },
        _ => Rules { quote1: Quote1::String, hash_comment: true, ..b },
    }
}

/// Which line breaks can end a statement.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Breaks {
    /// `;` languages: line breaks never end a header.
    Never,
    /// Go's automatic semicolons.
    Go,
    /// Kotlin, Swift, Scala, JS/TS: a break after a complete-looking token,
    /// unless the next line continues the expression.
    Soft,
}

fn breaks(syn: Syntax) -> Breaks {
    match syn {
        Syntax::Go => Breaks::Go,
        Syntax::Kotlin | Syntax::Swift | Syntax::Scala | Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx => Breaks::Soft,
        _ => Breaks::Never,
    }
}

/// What a `{` opens.
enum Opens {
    Scope {
        kind: ScopeKind,
        name: String,
        name_tok: usize,
    },
    /// A plain block; `members` says whether declarations live inside it (a
    /// C `extern "C"` block, a Java anonymous class body).
    Block {
        members: bool,
    },
    /// A brace inside a header (a C++ member brace-initializer in a
    /// constructor's init list): the header goes on after it closes.
    Transparent,
}

struct Frame {
    /// Index into the output when this brace opened a scope.
    scope: Option<usize>,
    kind: Option<ScopeKind>,
    /// Bracket depth inside this frame (`(` and `[`).
    paren: u32,
    /// First token of the header being read at this level.
    hs: usize,
    /// Declarations (members) live at this level, not statements.
    members: bool,
    transparent: bool,
    /// A Go `type (` / `var (` group closed by `)`.
    go_group: bool,
    /// Inside a TypeScript type (an object type literal or an interface
    /// body): `a: () => {` there is a function type, not a function.
    types: bool,
}

struct Finder<'a> {
    src: &'a str,
    syn: Syntax,
    toks: Vec<Tok>,
    /// For each bracket token, its partner's index (`u32::MAX` when unmatched).
    mate: Vec<u32>,
    out: Vec<Scope>,
}

pub(crate) fn find(syn: Syntax, src: &str, lines: &Lines) -> Vec<Scope> {
    let toks = lex::lex(src, rules(syn), lines);
    let mate = mates(&toks);
    let mut f = Finder { src, syn, toks, mate, out: Vec::new() };
    f.run(lines);
    f.out
}

/// Pairs brackets of all three kinds with one stack; a closer that does not
/// match the top pops down to its opener when there is one, else is ignored.
fn mates(toks: &[Tok]) -> Vec<u32> {
    let mut mate = vec![u32::MAX; toks.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let K::P(c) = t.k else { continue };
        match c {
            b'(' | b'[' | b'{' => stack.push(i),
            b')' | b']' | b'}' => {
                let open = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if let Some(pos) = stack.iter().rposition(|&o| toks[o].k == K::P(open)) {
                    // Openers above the match stay unmatched.
                    let o = stack[pos];
                    stack.truncate(pos);
                    mate[o] = i as u32;
                    mate[i] = o as u32;
                }
            }
            _ => {}
        }
    }
    mate
}

/// Words that take a parenthesized argument and a block but never name a
/// function, per language family.
fn is_control(syn: Syntax, w: &str) -> bool {
    let common = matches!(w, "if" | "for" | "while" | "switch" | "catch" | "return" | "do" | "else" | "case" | "new" | "throw" | "try");
    common
        || match syn {
            Syntax::C | Syntax::Cpp | Syntax::ObjectiveC => matches!(
                w,
                "sizeof"
                    | "delete"
                    | "defined"
                    | "alignof"
                    | "decltype"
                    | "typeof"
                    | "__attribute__"
                    | "__declspec"
                    | "alignas"
                    | "noexcept"
                    | "static_assert"
                    | "_Static_assert"
                    | "requires"
                    | "_Generic"
                    | "__typeof__"
            ),
            Syntax::Java => matches!(w, "synchronized" | "assert" | "throws"),
            Syntax::CSharp => {
                matches!(w, "using" | "lock" | "fixed" | "foreach" | "when" | "nameof" | "typeof" | "sizeof" | "checked" | "unchecked" | "default")
            }
            Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx => {
                matches!(w, "with" | "function" | "await" | "yield" | "typeof" | "delete" | "void" | "in" | "of" | "instanceof")
            }
            Syntax::Php => {
                matches!(w, "foreach" | "elseif" | "declare" | "isset" | "empty" | "unset" | "list" | "array" | "match" | "fn" | "function")
            }
            Syntax::Go => matches!(w, "go" | "defer" | "select" | "range" | "func"),
            _ => matches!(w, "when" | "match" | "guard" | "repeat" | "loop" | "in" | "elif" | "unless" | "until"),
        }
}

impl<'a> Finder<'a> {
    fn text(&self, i: usize) -> &'a str {
        self.toks.get(i).map_or("", |t| t.text(self.src))
    }
    fn is_word(&self, i: usize, w: &str) -> bool {
        self.toks.get(i).is_some_and(|t| t.k == K::Ident && t.text(self.src) == w)
    }
    fn is_p(&self, i: usize, c: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.k == K::P(c))
    }
    fn is_ident(&self, i: usize) -> bool {
        self.toks.get(i).is_some_and(|t| t.k == K::Ident)
    }
    /// After the group opened at `i` (or `i + 1` when it is not an opener
    /// with a partner inside `hi`).
    fn skip(&self, i: usize, hi: usize) -> usize {
        match self.toks[i].k {
            K::P(b'(' | b'[' | b'{') => {
                let m = self.mate[i];
                if m != u32::MAX && (m as usize) < hi { m as usize + 1 } else { i + 1 }
            }
            _ => i + 1,
        }
    }
    /// Top-level token indices of `lo..hi`.
    fn top(&self, lo: usize, hi: usize) -> Vec<usize> {
        let mut v = Vec::new();
        let mut i = lo;
        while i < hi {
            v.push(i);
            i = self.skip(i, hi);
        }
        v
    }
    /// After a `<…>` group starting at `i` (which is `<`), counting nested
    /// angles and skipping bracket groups; `i` when it does not close before `hi`.
    fn skip_angles(&self, i: usize, hi: usize) -> usize {
        let mut depth = 0i32;
        let mut j = i;
        while j < hi {
            match self.toks[j].k {
                K::P(b'<') => depth += 1,
                K::P(b'>') => {
                    depth -= 1;
                    if depth == 0 {
                        return j + 1;
                    }
                }
                K::P(b'(' | b'[') => {
                    j = self.skip(j, hi);
                    continue;
                }
                K::P(b'{' | b';') => return i,
                _ => {}
            }
            j += 1;
        }
        i
    }
    /// Source text of tokens `lo..hi` with runs of whitespace made one space.
    fn span_text(&self, lo: usize, hi: usize) -> String {
        if lo >= hi || hi > self.toks.len() {
            return String::new();
        }
        let s = self.toks[lo].start as usize;
        let e = self.toks[hi - 1].end as usize;
        let raw = self.src.get(s..e).unwrap_or("");
        let mut out = String::with_capacity(raw.len().min(120));
        let mut space = false;
        for c in raw.chars() {
            if c.is_whitespace() {
                space = true;
                continue;
            }
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
            if out.len() >= 100 {
                out.push('…');
                break;
            }
        }
        out
    }

    fn run(&mut self, lines: &Lines) {
        let n = self.toks.len();
        let brk = breaks(self.syn);
        let mut stack: Vec<Frame> =
            vec![Frame { scope: None, kind: None, paren: 0, hs: 0, members: true, transparent: false, go_group: false, types: false }];
        // A file-scoped namespace (`namespace X;` in C# or PHP) waiting for its end.
        let mut open_ns: Option<usize> = None;
        let mut i = 0;
        while i < n {
            let tk = self.toks[i];
            let top = stack.len() - 1;
            // Header boundaries at line starts.
            if tk.nl() && stack[top].paren == 0 && i > stack[top].hs {
                let cut = tk.blank() && !self.only_prefix(stack[top].hs, i)
                    || match brk {
                        Breaks::Never => self.c_macro_line_ends(i - 1, i),
                        Breaks::Go => self.go_ends(i - 1),
                        Breaks::Soft => self.soft_ends(i - 1, i) && !self.only_prefix(stack[top].hs, i),
                    };
                if cut {
                    let owner = stack[top].kind;
                    self.expression_body(stack[top].hs, i, owner);
                    stack[top].hs = i;
                } else if let Some(end) = self.indented_body(stack[top].hs, i, stack[top].kind, lines) {
                    let _ = end;
                    stack[top].hs = i;
                }
            }
            match tk.k {
                K::P(b'(') | K::P(b'[') => {
                    if self.syn == Syntax::Go
                        && tk.k == K::P(b'(')
                        && stack[top].paren == 0
                        && i > 0
                        && matches!(self.text(i - 1), "type" | "var" | "const" | "import")
                    {
                        stack.push(Frame {
                            scope: None,
                            kind: None,
                            paren: 0,
                            hs: i + 1,
                            members: true,
                            transparent: false,
                            go_group: true,
                            types: false,
                        });
                    } else {
                        stack[top].paren += 1;
                    }
                }
                K::P(b')') | K::P(b']') => {
                    if stack[top].go_group && tk.k == K::P(b')') && stack[top].paren == 0 {
                        stack.pop();
                        let t = stack.len() - 1;
                        stack[t].hs = i + 1;
                    } else {
                        stack[top].paren = stack[top].paren.saturating_sub(1);
                    }
                }
                K::P(b';') if stack[top].paren == 0 => {
                    let owner = stack[top].kind;
                    self.expression_body(stack[top].hs, i, owner);
                    if let Some(ns) = self.file_namespace(stack[top].hs, i, top == 0) {
                        if let Some(prev) = open_ns.take() {
                            self.out[prev].end = tk.line.saturating_sub(1).max(self.out[prev].start);
                        }
                        open_ns = Some(ns);
                    }
                    stack[top].hs = i + 1;
                }
                K::P(b'{') => {
                    // A list separator left over from the previous element
                    // (`}, "b": () => {`) is not part of this header.
                    while stack[top].hs < i && matches!(self.toks[stack[top].hs].k, K::P(b',') | K::P(b';')) {
                        stack[top].hs += 1;
                    }
                    let f = &stack[top];
                    let ts = matches!(self.syn, Syntax::TypeScript | Syntax::Tsx);
                    let type_literal = ts
                        && (f.types
                            || f.kind == Some(ScopeKind::Interface)
                            || i > 0 && matches!(self.toks[i - 1].k, K::P(b':' | b'|' | b'&' | b'<'))
                            || i > 0 && self.toks[i - 1].k == K::Assign && self.type_alias(f.hs, i));
                    let opens = if type_literal {
                        // A type literal inside a header (`f(): {…} {`) does
                        // not end it.
                        if f.paren == 0 && !f.types && f.kind != Some(ScopeKind::Interface) {
                            Opens::Transparent
                        } else {
                            Opens::Block { members: false }
                        }
                    } else if f.paren > 0 {
                        Opens::Block { members: self.anonymous_class_before(i) }
                    } else {
                        self.classify(f.hs, i, f.kind, f.members, f.go_group)
                    };
                    let (scope, kind, members, transparent) = match opens {
                        Opens::Scope { kind, name, name_tok } => {
                            let hs = self.header_start(stack[top].hs, name_tok);
                            let start = self.toks[hs].line;
                            self.out.push(Scope {
                                kind,
                                name,
                                start,
                                name_line: self.toks[name_tok].line,
                                header_end: tk.line,
                                end: lines.count(),
                                parent: None,
                            });
                            let members = !kind.is_callable();
                            (Some(self.out.len() - 1), Some(kind), members, false)
                        }
                        // An anonymous class body owns its methods.
                        Opens::Block { members: true } if !matches!(self.syn, Syntax::C | Syntax::Cpp | Syntax::ObjectiveC) => {
                            (None, Some(ScopeKind::Class), true, false)
                        }
                        Opens::Block { members } => (None, stack[top].kind, members, false),
                        Opens::Transparent => (None, stack[top].kind, false, true),
                    };
                    // A block inherits its owner's kind (so the C rule "no
                    // functions inside functions" sees through `if` blocks).
                    let types = type_literal || kind == Some(ScopeKind::Interface) && ts;
                    stack.push(Frame { scope, kind, paren: 0, hs: i + 1, members, transparent, go_group: false, types });
                }
                K::P(b'}') => {
                    // Close Go groups left open by broken input, then the brace.
                    while stack.len() > 1 && stack[stack.len() - 1].go_group {
                        stack.pop();
                    }
                    if stack.len() > 1 {
                        let f = stack.pop().expect("len > 1");
                        self.expression_body(f.hs, i, f.kind);
                        if let Some(s) = f.scope {
                            self.out[s].end = tk.line;
                        }
                        let t = stack.len() - 1;
                        if !f.transparent && stack[t].paren == 0 {
                            stack[t].hs = i + 1;
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let root = &stack[0];
        if stack.len() == 1 {
            self.expression_body(root.hs, n, root.kind);
        }
        // Scopes never closed end at the last line (already their default).
        let _ = open_ns;
    }

    /// Whether the header `lo..hi` is a TypeScript `type X = ` alias.
    fn type_alias(&self, lo: usize, hi: usize) -> bool {
        let i = self.skip_prefix(lo, hi);
        self.is_word(i, "type") && self.is_ident(i + 1)
    }

    /// A definition whose body is an expression without braces, ending with
    /// the header window `lo..hi` (Kotlin `fun f() = x`, Scala `def f = x`,
    /// C# `int F() => x;`): pushes its scope, from the header to the last
    /// token of the window.
    fn expression_body(&mut self, lo: usize, hi: usize, owner: Option<ScopeKind>) {
        if lo >= hi || hi > self.toks.len() || !matches!(self.syn, Syntax::Kotlin | Syntax::Scala | Syntax::CSharp) {
            return;
        }
        let tops = self.top(lo, hi);
        let opens = match self.syn {
            Syntax::Kotlin | Syntax::Scala => {
                let Some(&eq) = tops.iter().find(|&&t| self.toks[t].k == K::Assign) else {
                    return;
                };
                if eq + 1 >= hi {
                    return;
                }
                self.keyword_lang(lo, eq, owner)
            }
            Syntax::CSharp => {
                let Some(f) = tops.iter().position(|&t| self.toks[t].k == K::FatArrow) else {
                    return;
                };
                let head = &tops[..f];
                let i = head.iter().position(|&t| t >= self.skip_prefix(lo, tops[f])).unwrap_or(0);
                match self.c_function(&head[i..], tops[f], owner, true) {
                    Some(o) => o,
                    None => return,
                }
            }
            _ => return,
        };
        if let Opens::Scope { kind, name, name_tok } = opens
            && kind.is_callable()
        {
            let last = self.toks[hi - 1].line;
            self.out.push(Scope {
                kind,
                name,
                start: self.toks[lo].line,
                name_line: self.toks[name_tok].line,
                header_end: self.toks[name_tok].line,
                end: last,
                parent: None,
            });
        }
    }

    /// Kotlin and Scala: a definition header ending a line with `=` (or, in
    /// Scala 3, a type header ending with `:`) has an indented body: the
    /// following lines indented deeper than the header's first line. Pushes
    /// the scope and returns its end when the window `lo..n` (`n` starts the
    /// next line) is one.
    fn indented_body(&mut self, lo: usize, n: usize, owner: Option<ScopeKind>, lines: &Lines) -> Option<u32> {
        if !matches!(self.syn, Syntax::Kotlin | Syntax::Scala) || n == 0 || lo + 1 >= n {
            return None;
        }
        let last = self.toks[n - 1];
        let colon = self.syn == Syntax::Scala && last.k == K::P(b':');
        if last.k != K::Assign && !colon {
            return None;
        }
        let Opens::Scope { kind, name, name_tok } = self.keyword_lang(lo, n - 1, owner) else {
            return None;
        };
        if colon == kind.is_callable() {
            // `def f:` is a return type on the next line; `class X =` is not Scala.
            return None;
        }
        let head_line = self.toks[lo].line;
        let indent = crate::text::indent_width(lines.line(self.src, head_line));
        let mut j = n;
        let mut end = last.line;
        while j < self.toks.len() {
            let t = self.toks[j];
            if t.nl() && crate::text::indent_width(lines.line(self.src, t.line)) <= indent {
                break;
            }
            end = t.line;
            j += 1;
        }
        self.out.push(Scope { kind, name, start: head_line, name_line: self.toks[name_tok].line, header_end: last.line, end, parent: None });
        Some(end)
    }

    /// Whether the `{` at `i`, inside an argument list, opens an anonymous
    /// class body (`new Runnable() {`, Kotlin `object : X {`): its methods are
    /// members, not statements.
    fn anonymous_class_before(&self, i: usize) -> bool {
        let mut j = i;
        for _ in 0..24 {
            if j == 0 {
                return false;
            }
            j -= 1;
            let t = self.toks[j];
            match t.k {
                K::P(b')' | b']') => {
                    let m = self.mate[j];
                    if m == u32::MAX || m as usize >= j {
                        return false;
                    }
                    j = m as usize;
                }
                K::P(b'(' | b',' | b'{' | b';') | K::Assign | K::FatArrow | K::Arrow => {
                    return false;
                }
                K::Ident if matches!(t.text(self.src), "new" | "object") => return true,
                _ => {}
            }
        }
        false
    }

    /// Whether the header `lo..hi` so far holds only attributes, annotations
    /// and modifiers (so a line break or blank line after it does not end it).
    fn only_prefix(&self, lo: usize, hi: usize) -> bool {
        let mut i = lo;
        while i < hi {
            let t = self.toks[i];
            match t.k {
                K::P(b'@') => i = self.annotation_end(i, hi),
                K::P(b'#') => {
                    i += 1;
                    // An inner attribute (`#![…]`) belongs to the enclosing item.
                    if i < hi && self.is_p(i, b'!') {
                        return false;
                    }
                    if i < hi && self.is_p(i, b'[') {
                        i = self.skip(i, hi);
                    } else {
                        return false;
                    }
                }
                K::P(b'[') if matches!(self.syn, Syntax::CSharp | Syntax::Cpp) => i = self.skip(i, hi),
                K::Ident if is_modifier(self.syn, t.text(self.src)) => i += 1,
                _ => return false,
            }
        }
        true
    }

    /// After an annotation at `i` (its `@`): `@a.b.C`, `@file:Name`,
    /// `@Name(args)`, `@Name<T>` is not allowed, so the name ends at the
    /// first token that is not `.`-joined.
    fn annotation_end(&self, i: usize, hi: usize) -> usize {
        let mut j = i + 1;
        // Kotlin use-site target: `@file:JvmName(…)`.
        if self.is_ident(j) && self.is_p(j + 1, b':') && self.is_ident(j + 2) {
            j += 2;
        }
        if self.is_ident(j) {
            j += 1;
            while j + 1 < hi && self.is_p(j, b'.') && self.is_ident(j + 1) {
                j += 2;
            }
        }
        if j < hi && self.is_p(j, b'(') {
            j = self.skip(j, hi);
        }
        j.min(hi)
    }

    /// C and C++: a line that is only a macro (`FMT_BEGIN_NAMESPACE`,
    /// `DECLARE_THING(x)`) ends before the next line's declaration.
    fn c_macro_line_ends(&self, p: usize, n: usize) -> bool {
        if !matches!(self.syn, Syntax::C | Syntax::Cpp | Syntax::ObjectiveC) {
            return false;
        }
        if matches!(self.toks[n].k, K::P(b'{' | b'(' | b':' | b',' | b';' | b')')) || !matches!(self.toks[n].k, K::Ident | K::P(b'~')) {
            return false;
        }
        let t = self.toks[p];
        let macro_tok = match t.k {
            K::Ident => Some(p),
            K::P(b')') => {
                let m = self.mate[p];
                (m != u32::MAX && m > 0).then(|| m as usize - 1)
            }
            _ => None,
        };
        // The macro must start its own line.
        macro_tok.is_some_and(|m| self.toks[m].nl() && is_macro_name(self.text(m)))
    }

    /// Go: a line break after token `p` inserts a semicolon.
    fn go_ends(&self, p: usize) -> bool {
        let t = self.toks[p];
        match t.k {
            K::Ident => {
                let w = t.text(self.src);
                !matches!(w, "func" | "type" | "struct" | "interface" | "map" | "chan" | "else" | "import" | "package" | "var" | "const")
                    || matches!(w, "break" | "continue" | "fallthrough" | "return")
            }
            K::Num | K::Str => true,
            K::P(c) => matches!(c, b')' | b']' | b'}'),
            _ => false,
        }
    }

    /// Soft break rule: the line before ends with a complete-looking token
    /// and the next line does not continue the expression.
    fn soft_ends(&self, p: usize, n: usize) -> bool {
        let prev = self.toks[p];
        let ends = match prev.k {
            K::Ident => !is_modifier(self.syn, prev.text(self.src)),
            K::Num | K::Str => true,
            K::P(c) => matches!(c, b')' | b']' | b'}' | b'>' | b'?' | b'!'),
            _ => false,
        };
        if !ends {
            return false;
        }
        let next = self.toks[n];
        let continues = match next.k {
            K::P(c) => {
                matches!(c, b'.' | b':' | b'{' | b'?' | b'|' | b'&' | b'+' | b'-' | b'*' | b'/' | b'%' | b'<' | b'>' | b',')
                    || c == b'(' && matches!(self.syn, Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx) && prev.k != K::P(b'}')
            }
            K::Arrow | K::FatArrow | K::Assign | K::Op | K::PathSep => true,
            K::Ident => matches!(
                next.text(self.src),
                "where"
                    | "extends"
                    | "implements"
                    | "with"
                    | "throws"
                    | "rethrows"
                    | "as"
                    | "is"
                    | "by"
                    | "derives"
                    | "else"
                    | "catch"
                    | "finally"
                    | "match"
                    | "instanceof"
                    | "in"
            ),
            _ => false,
        };
        !continues
    }

    /// The first token of a declaration whose header window starts at `hs`:
    /// the window's first token (attributes and modifiers included).
    fn header_start(&self, hs: usize, name_tok: usize) -> usize {
        hs.min(name_tok)
    }

    /// A C# or PHP `namespace X;` covering the rest of the file (or up to the
    /// next one): pushes the scope and returns its index.
    fn file_namespace(&mut self, lo: usize, semi: usize, top_level: bool) -> Option<usize> {
        if !top_level || !matches!(self.syn, Syntax::CSharp | Syntax::Php) || !self.is_word(lo, "namespace") || semi <= lo + 1 {
            return None;
        }
        let name = self.span_text(lo + 1, semi);
        let (start, name_line) = (self.toks[lo].line, self.toks[lo + 1].line);
        let end = self.toks.last().map_or(start, |t| t.line).max(start);
        self.out.push(Scope { kind: ScopeKind::Namespace, name, start, name_line, header_end: self.toks[semi].line, end, parent: None });
        Some(self.out.len() - 1)
    }

    /// Decides what the `{` at `hi` opens from its header `lo..hi`.
    fn classify(&self, lo: usize, hi: usize, owner: Option<ScopeKind>, members: bool, go_group: bool) -> Opens {
        if lo >= hi {
            return Opens::Block { members: false };
        }
        match self.syn {
            Syntax::Rust => self.rust(lo, hi, owner),
            Syntax::C | Syntax::Cpp | Syntax::ObjectiveC => self.c_like(lo, hi, owner, members),
            Syntax::Java | Syntax::CSharp => self.java_like(lo, hi, owner, members),
            Syntax::Go => self.go(lo, hi, go_group),
            Syntax::Kotlin | Syntax::Swift | Syntax::Scala => self.keyword_lang(lo, hi, owner),
            Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx => self.js(lo, hi),
            Syntax::Php => self.php(lo, hi, owner),
            _ => self.generic(lo, hi),
        }
    }

    fn method_or_fn(owner: Option<ScopeKind>) -> ScopeKind {
        match owner {
            Some(k) if k.is_type() || k == ScopeKind::Impl => ScopeKind::Method,
            _ => ScopeKind::Function,
        }
    }

    /// Skips attributes, annotations and modifiers from `i`; returns the first
    /// other top-level token.
    fn skip_prefix(&self, mut i: usize, hi: usize) -> usize {
        while i < hi {
            let t = self.toks[i];
            match t.k {
                K::P(b'#') if self.syn != Syntax::Php || self.is_p(i + 1, b'[') => {
                    let mut j = i + 1;
                    if self.is_p(j, b'!') {
                        j += 1;
                    }
                    if j < hi && self.is_p(j, b'[') {
                        i = self.skip(j, hi);
                    } else {
                        return i;
                    }
                }
                K::P(b'@') => {
                    // `@interface` is Java's annotation-type definer, not an annotation.
                    if self.is_word(i + 1, "interface") {
                        return i;
                    }
                    i = self.annotation_end(i, hi);
                }
                K::P(b'[') if matches!(self.syn, Syntax::CSharp) => i = self.skip(i, hi),
                K::P(b'[') if self.syn == Syntax::Cpp && self.is_p(i + 1, b'[') => i = self.skip(i, hi),
                // Java `non-sealed`.
                K::Ident if self.syn == Syntax::Java && t.text(self.src) == "non" && self.is_p(i + 1, b'-') && self.is_word(i + 2, "sealed") => {
                    i += 3;
                }
                K::Ident if is_modifier(self.syn, t.text(self.src)) => {
                    let w = t.text(self.src);
                    let takes_group = matches!(w, "pub" | "private" | "protected" | "internal" | "fileprivate" | "public" | "open");
                    // A modifier word used as a name (`get(url) {`) is the name.
                    if !takes_group && i + 1 < hi && (self.is_p(i + 1, b'(') || self.is_p(i + 1, b'<')) {
                        return i;
                    }
                    i += 1;
                    // `pub(crate)`, `private[pkg]`, `private(set)`.
                    if takes_group && i < hi && (self.is_p(i, b'(') || self.is_p(i, b'[')) {
                        i = self.skip(i, hi);
                    }
                    // `extern "C"`.
                    if i < hi && self.toks[i].k == K::Str && self.text(i - 1) == "extern" {
                        i += 1;
                    }
                }
                _ => return i,
            }
        }
        i
    }

    fn scope(&self, kind: ScopeKind, name_tok: usize) -> Opens {
        Opens::Scope { kind, name: self.text(name_tok).to_string(), name_tok }
    }

    fn rust(&self, lo: usize, hi: usize, owner: Option<ScopeKind>) -> Opens {
        let i = self.skip_prefix(lo, hi);
        if i >= hi {
            return Opens::Block { members: false };
        }
        let w = self.text(i);
        let named = |kind| {
            if self.is_ident(i + 1) && i + 1 < hi { self.scope(kind, i + 1) } else { Opens::Block { members: false } }
        };
        match w {
            "fn" => named(Self::method_or_fn(owner)),
            "struct" => named(ScopeKind::Struct),
            "enum" => named(ScopeKind::Enum),
            "union" => named(ScopeKind::Union),
            "trait" => named(ScopeKind::Trait),
            "mod" => named(ScopeKind::Module),
            "macro_rules" if self.is_p(i + 1, b'!') && self.is_ident(i + 2) => self.scope(ScopeKind::Macro, i + 2),
            "impl" => {
                let mut j = i + 1;
                if self.is_p(j, b'<') {
                    j = self.skip_angles(j, hi);
                }
                let mut end = j;
                while end < hi && !self.is_word(end, "where") {
                    end += 1;
                }
                if j >= end {
                    return Opens::Block { members: false };
                }
                Opens::Scope { kind: ScopeKind::Impl, name: self.span_text(j, end), name_tok: j }
            }
            _ => Opens::Block { members: false },
        }
    }

    /// C, C++, Objective-C: a function when a name is followed by a parameter
    /// list and only qualifiers; else a class-like keyword; else a block.
    fn c_like(&self, lo: usize, hi: usize, owner: Option<ScopeKind>, members: bool) -> Opens {
        let mut i = self.skip_prefix(lo, hi);
        // `template <…>` (possibly several) before the declaration.
        while self.is_word(i, "template") && self.is_p(i + 1, b'<') {
            let j = self.skip_angles(i + 1, hi);
            if j == i + 1 {
                break;
            }
            i = self.skip_prefix(j, hi);
        }
        let tops = self.top(i, hi);
        // An initializer or a lambda bound to a name: not a definition.
        let mut prev_operator = false;
        for &t in &tops {
            if self.toks[t].k == K::Assign && !prev_operator {
                return Opens::Block { members: false };
            }
            prev_operator = self.is_word(t, "operator");
        }
        if let Some(o) = self.c_function(&tops, hi, owner, members) {
            return o;
        }
        // `extern "C" {`: declarations inside.
        if tops.len() == 2 && self.is_word(tops[0], "extern") && self.toks[tops[1]].k == K::Str {
            return Opens::Block { members: true };
        }
        for (pos, &t) in tops.iter().enumerate() {
            let w = self.text(t);
            let kind = match w {
                "struct" => ScopeKind::Struct,
                "union" => ScopeKind::Union,
                "enum" => ScopeKind::Enum,
                "class" if self.syn != Syntax::C => ScopeKind::Class,
                "namespace" if self.syn == Syntax::Cpp => ScopeKind::Namespace,
                "@interface" | "@implementation" => ScopeKind::Class,
                _ => continue,
            };
            // Declaration position: only `typedef`, storage words and
            // attributes may come first.
            if !tops[..pos].iter().all(|&p| {
                matches!(self.text(p), "typedef" | "static" | "const" | "inline" | "export" | "extern" | "volatile")
                    || self.is_p(p, b'[')
                    || is_macro_name(self.text(p))
            }) {
                break;
            }
            if kind == ScopeKind::Namespace {
                let rest = tops[pos + 1..].to_vec();
                let name = rest.first().map_or(String::new(), |&f| self.span_text(f, hi));
                return Opens::Scope { kind, name, name_tok: rest.first().copied().unwrap_or(t) };
            }
            // The name: the first identifier after the keyword (skipping
            // `class` in `enum class` and attribute groups).
            let name_tok = tops[pos + 1..]
                .iter()
                .copied()
                .find(|&n| {
                    self.is_ident(n)
                        && !matches!(self.text(n), "class" | "struct" | "final" | "alignas" | "__attribute__")
                        // `class V8_EXPORT Name`: an export macro before the name.
                        && !(is_macro_name(self.text(n)) && self.is_ident(n + 1) && !self.is_word(n + 1, "final"))
                })
                .filter(|&n| !self.is_p(n + 1, b'(') || self.text(n) == "alignas");
            return match name_tok {
                Some(n) => self.scope(kind, n),
                None => Opens::Scope { kind, name: String::new(), name_tok: t },
            };
        }
        // A brace in a namespace or class body that is not a definition
        // (a macro-made block, an initializer list) still holds declarations.
        Opens::Block { members }
    }

    /// The function-definition rule shared by C-like languages. `tops` are
    /// the header's top-level tokens after the prefix.
    fn c_function(&self, tops: &[usize], hi: usize, owner: Option<ScopeKind>, members: bool) -> Option<Opens> {
        let in_body = !members;
        for (k, &g) in tops.iter().enumerate() {
            if !self.is_p(g, b'(') || k == 0 {
                continue;
            }
            // The name before the parameter list: an identifier, or an
            // operator (`operator==`, `operator()`, `operator new`).
            let prev = tops[k - 1];
            let mut name_pos = k - 1;
            let op = (0..k).rev().take(4).find(|&p| self.is_word(tops[p], "operator"));
            let op_name = match op {
                // `operator()(…)`: the empty group is part of the name.
                Some(p) if p + 2 == k && self.is_p(prev, b'(') && self.mate[prev] as usize == prev + 1 => Some(p),
                Some(p) if p + 1 == k && k + 1 < tops.len() && self.is_p(tops[k + 1], b'(') && self.mate[g] as usize == g + 1 => {
                    // This is the `()` of `operator()`; the next group holds the parameters.
                    continue;
                }
                Some(p) if tops[p + 1..k].iter().all(|&x| !self.is_ident(x) || p + 1 == k - 1) => Some(p),
                _ => None,
            };
            let name_t = prev;
            if let Some(p) = op_name {
                name_pos = p;
            } else if !self.is_ident(name_t) || is_control(self.syn, self.text(name_t)) {
                continue;
            }
            // Member calls and `new` expressions are not definitions.
            if name_pos > 0 {
                let before = tops[name_pos - 1];
                if self.is_p(before, b'.') || self.toks[before].k == K::Arrow || self.is_word(before, "new") {
                    continue;
                }
            }
            let end = self.mate[g];
            if end == u32::MAX || end as usize >= hi {
                continue;
            }
            let tail = &tops[k + 1..];
            let Some(transparent) = self.qualifiers_ok(tail, hi) else {
                // `operator()(args)`: the first group was the name.
                continue;
            };
            if transparent {
                return Some(Opens::Transparent);
            }
            if in_body {
                // Local functions exist in C# (with a return type before the
                // name); nowhere else among these languages.
                let typed = name_pos > 0 && self.syn == Syntax::CSharp && owner.is_some_and(ScopeKind::is_callable);
                if !typed {
                    return Some(Opens::Block { members: false });
                }
            }
            // A name alone at a header's start (`Foo(…) {`) is a constructor
            // in a type, a macro-made definition at file level; in a body it
            // is a call.
            let mut name_tok = name_t;
            let mut lo_name = tops[name_pos];
            // Qualified names: `ns::Class::method`, `Buffer<T>::reset`, `~Class`.
            let mut q = name_pos;
            while q >= 2 && self.toks[tops[q - 1]].k == K::PathSep {
                if self.is_ident(tops[q - 2]) {
                    q -= 2;
                } else if self.is_p(tops[q - 2], b'>') {
                    // Back over a template argument list to its name.
                    let mut depth = 0i32;
                    let mut r = q - 2;
                    loop {
                        match self.toks[tops[r]].k {
                            K::P(b'>') => depth += 1,
                            K::P(b'<') => depth -= 1,
                            _ => {}
                        }
                        if depth == 0 || r == 0 {
                            break;
                        }
                        r -= 1;
                    }
                    if depth != 0 || r == 0 || !self.is_ident(tops[r - 1]) {
                        break;
                    }
                    q = r - 1;
                } else {
                    break;
                }
                lo_name = tops[q];
            }
            if q >= 1 && self.is_p(tops[q - 1], b'~') {
                lo_name = tops[q - 1];
            }
            if op_name.is_some() {
                name_tok = tops[name_pos];
            }
            let name = self.span_text(lo_name, g);
            let kind = if name.contains("::") { ScopeKind::Method } else { Self::method_or_fn(owner) };
            return Some(Opens::Scope { kind, name, name_tok });
        }
        None
    }

    /// Whether `tail` (tokens after a parameter list) holds only what may sit
    /// between a signature and its body: `Some(true)` when the `{` is a
    /// member brace-initializer inside a constructor's init list.
    fn qualifiers_ok(&self, tail: &[usize], hi: usize) -> Option<bool> {
        let mut j = 0;
        while j < tail.len() {
            let t = tail[j];
            let tok = self.toks[t];
            match tok.k {
                // Trailing return type (C++ `->`, anything after it).
                K::Arrow => return Some(false),
                K::P(b':') => {
                    // Constructor init list (C++), base call (C#): the body
                    // follows a group; a `{` right after a name is a member
                    // initializer.
                    let last = *tail.last().expect("non-empty");
                    return Some(self.is_ident(last) || self.is_p(last, b'>') || self.toks[last].k == K::PathSep);
                }
                K::Ident => match tok.text(self.src) {
                    "const" | "volatile" | "override" | "final" | "mutable" | "noexcept" | "throw" | "try" | "__attribute__" | "__declspec"
                    | "transaction_safe" => {
                        j += 1;
                        if j < tail.len() && self.is_p(tail[j], b'(') {
                            j += 1;
                        }
                        continue;
                    }
                    // Java `throws A, B`, C# `where T : class`, C++20 `requires …`:
                    // everything after belongs to them.
                    "throws" | "where" | "requires" => return Some(false),
                    _ => return None,
                },
                K::P(b'&') | K::Op if matches!(tok.text(self.src), "&" | "&&") => {}
                K::P(b'[') if self.is_p(t + 1, b'[') => {}
                _ => return None,
            }
            j += 1;
        }
        let _ = hi;
        Some(false)
    }

    fn java_like(&self, lo: usize, hi: usize, owner: Option<ScopeKind>, members: bool) -> Opens {
        let i = self.skip_prefix(lo, hi);
        if i >= hi {
            return Opens::Block { members: false };
        }
        let w = self.text(i);
        let kind = match w {
            "class" => Some(ScopeKind::Class),
            "interface" => Some(ScopeKind::Interface),
            "enum" => Some(ScopeKind::Enum),
            "record" if self.is_ident(i + 1) => Some(ScopeKind::Class),
            "struct" => Some(ScopeKind::Struct),
            "namespace" if self.syn == Syntax::CSharp => Some(ScopeKind::Namespace),
            "@" if self.is_word(i + 1, "interface") => Some(ScopeKind::Interface),
            _ => None,
        };
        if let Some(kind) = kind {
            let mut n = i + 1;
            if w == "@" || self.is_word(n, "class") || self.is_word(n, "struct") {
                n += 1; // `@interface`, `record class`, `record struct`
            }
            if kind == ScopeKind::Namespace {
                return Opens::Scope { kind, name: self.span_text(n, hi), name_tok: n.min(hi - 1) };
            }
            if self.is_ident(n) && n < hi {
                return self.scope(kind, n);
            }
            return Opens::Block { members: true };
        }
        let tops = self.top(i, hi);
        // Lambdas (`x -> {`, `x => {`) and initializers.
        if let Some(&last) = tops.last()
            && matches!(self.toks[last].k, K::Arrow | K::FatArrow)
        {
            return Opens::Block { members: false };
        }
        if tops.iter().any(|&t| self.toks[t].k == K::Assign) {
            return Opens::Block { members: false };
        }
        // Anonymous class bodies hold members.
        if tops.iter().any(|&t| self.is_word(t, "new")) {
            return Opens::Block { members: true };
        }
        if let Some(o) = self.c_function(&tops, hi, owner, members) {
            return o;
        }
        // C# properties and indexers: `Type Name {` / `Type this[…] {` in a type.
        if self.syn == Syntax::CSharp && members && owner.is_some_and(ScopeKind::is_type) && tops.len() >= 2 {
            let last = *tops.last().expect("len >= 2");
            let name = if self.is_ident(last) && !is_control(self.syn, self.text(last)) {
                Some(last)
            } else if self.is_p(last, b'[') && tops.len() >= 3 && self.is_word(tops[tops.len() - 2], "this") {
                Some(tops[tops.len() - 2])
            } else {
                None
            };
            if let Some(n) = name {
                return self.scope(ScopeKind::Property, n);
            }
        }
        Opens::Block { members: false }
    }

    fn go(&self, lo: usize, hi: usize, go_group: bool) -> Opens {
        let mut i = lo;
        if self.is_word(i, "func") {
            i += 1;
            if self.is_p(i, b'(') {
                let after = self.skip(i, hi);
                if self.is_ident(after) && (self.is_p(after + 1, b'(') || self.is_p(after + 1, b'[')) {
                    return self.scope(ScopeKind::Method, after);
                }
                return Opens::Block { members: false };
            }
            if self.is_ident(i) {
                return self.scope(ScopeKind::Function, i);
            }
            return Opens::Block { members: false };
        }
        if self.is_word(i, "type") {
            i += 1;
        } else if !go_group {
            return Opens::Block { members: false };
        }
        if !self.is_ident(i) {
            return Opens::Block { members: false };
        }
        let name = i;
        let mut j = i + 1;
        if self.is_p(j, b'[') {
            j = self.skip(j, hi);
        }
        if self.toks.get(j).is_some_and(|t| t.k == K::Assign) {
            j += 1;
        }
        match self.text(j) {
            "struct" if j + 1 == hi => self.scope(ScopeKind::Struct, name),
            "interface" if j + 1 == hi => self.scope(ScopeKind::Interface, name),
            _ => Opens::Block { members: false },
        }
    }

    /// Kotlin, Swift, Scala: definer keywords after modifiers and annotations.
    fn keyword_lang(&self, lo: usize, hi: usize, owner: Option<ScopeKind>) -> Opens {
        let mut i = self.skip_prefix(lo, hi);
        // Swift `class func`, `class var`: `class` as a modifier.
        if self.syn == Syntax::Swift
            && self.is_word(i, "class")
            && self.is_ident(i + 1)
            && (is_modifier(self.syn, self.text(i + 1)) || matches!(self.text(i + 1), "func" | "var" | "let" | "subscript" | "init"))
        {
            i = self.skip_prefix(i + 1, hi);
        }
        if i >= hi {
            return Opens::Block { members: false };
        }
        let w = self.text(i);
        let next_ident =
            |kind: ScopeKind| -> Opens { if i + 1 < hi && self.is_ident(i + 1) { self.scope(kind, i + 1) } else { Opens::Block { members: true } } };
        match (self.syn, w) {
            (Syntax::Kotlin, "fun") => {
                if self.is_word(i + 1, "interface") {
                    return if self.is_ident(i + 2) { self.scope(ScopeKind::Interface, i + 2) } else { Opens::Block { members: true } };
                }
                // The name sits right before the first top-level `(`
                // (after type parameters and an extension receiver).
                let tops = self.top(i + 1, hi);
                match tops.iter().position(|&t| self.is_p(t, b'(')) {
                    Some(p) if p > 0 && self.is_ident(tops[p - 1]) => self.scope(Self::method_or_fn(owner), tops[p - 1]),
                    _ => Opens::Block { members: false },
                }
            }
            (Syntax::Kotlin, "class") => next_ident(ScopeKind::Class),
            (Syntax::Kotlin, "interface") => next_ident(ScopeKind::Interface),
            (Syntax::Kotlin, "object") => {
                if self.is_ident(i + 1) {
                    self.scope(ScopeKind::Object, i + 1)
                } else if i > lo && self.is_word(i - 1, "companion") {
                    Opens::Scope { kind: ScopeKind::Object, name: "Companion".into(), name_tok: i }
                } else {
                    Opens::Block { members: true }
                }
            }
            (Syntax::Kotlin, "constructor") => Opens::Scope { kind: ScopeKind::Method, name: "constructor".into(), name_tok: i },
            (Syntax::Swift, "func") => {
                let n = i + 1;
                if n < hi && matches!(self.toks[n].k, K::Ident | K::Op | K::P(_) | K::Assign) && !self.is_p(n, b'(') {
                    let kind = Self::method_or_fn(owner);
                    // Operators are several punctuation tokens: take them all.
                    let mut e = n + 1;
                    while self.toks[n].k != K::Ident && e < hi && !self.is_p(e, b'(') && !self.is_p(e, b'<') {
                        e += 1;
                    }
                    return Opens::Scope { kind, name: self.span_text(n, e), name_tok: n };
                }
                Opens::Block { members: false }
            }
            (Syntax::Swift, "init" | "deinit" | "subscript") => Opens::Scope { kind: ScopeKind::Method, name: w.to_string(), name_tok: i },
            (Syntax::Swift, "class" | "actor") => next_ident(ScopeKind::Class),
            (Syntax::Swift, "struct") => next_ident(ScopeKind::Struct),
            (Syntax::Swift, "enum") => next_ident(ScopeKind::Enum),
            (Syntax::Swift, "protocol") => next_ident(ScopeKind::Interface),
            (Syntax::Swift, "extension") => {
                let mut e = i + 1;
                while e < hi && !self.is_p(e, b':') && !self.is_word(e, "where") {
                    e += 1;
                }
                if e == i + 1 {
                    return Opens::Block { members: true };
                }
                Opens::Scope { kind: ScopeKind::Impl, name: self.span_text(i + 1, e), name_tok: i + 1 }
            }
            (Syntax::Scala, "def") => {
                if i + 1 < hi && self.toks[i + 1].k != K::P(b'(') {
                    let kind = Self::method_or_fn(owner);
                    return self.scope(kind, i + 1);
                }
                Opens::Block { members: false }
            }
            (Syntax::Scala, "class") => next_ident(ScopeKind::Class),
            (Syntax::Scala, "trait") => next_ident(ScopeKind::Trait),
            (Syntax::Scala, "object") => next_ident(ScopeKind::Object),
            (Syntax::Scala, "enum") => next_ident(ScopeKind::Enum),
            (Syntax::Scala, "package") if self.is_word(i + 1, "object") && self.is_ident(i + 2) => self.scope(ScopeKind::Object, i + 2),
            (Syntax::Scala, "package") => Opens::Scope { kind: ScopeKind::Namespace, name: self.span_text(i + 1, hi), name_tok: (i + 1).min(hi - 1) },
            (Syntax::Scala, "extension") => Opens::Scope { kind: ScopeKind::Impl, name: self.span_text(i + 1, hi), name_tok: i },
            _ => {
                let members = matches!(self.syn, Syntax::Scala | Syntax::Kotlin)
                    && self.top(i, hi).iter().any(|&t| self.is_word(t, "new") || self.is_word(t, "object"));
                Opens::Block { members }
            }
        }
    }

    fn js(&self, lo: usize, hi: usize) -> Opens {
        let i = self.skip_prefix(lo, hi);
        if i >= hi {
            return Opens::Block { members: false };
        }
        let w = self.text(i);
        match w {
            "function" => {
                let mut n = i + 1;
                if self.is_p(n, b'*') {
                    n += 1;
                }
                if self.is_ident(n) && n < hi {
                    return self.scope(ScopeKind::Function, n);
                }
                if i > lo && self.is_word(i - 1, "default") {
                    return Opens::Scope { kind: ScopeKind::Function, name: "default".into(), name_tok: i };
                }
            }
            "class" => {
                if self.is_ident(i + 1) && !self.is_word(i + 1, "extends") && !self.is_word(i + 1, "implements") {
                    return self.scope(ScopeKind::Class, i + 1);
                }
                if i > lo && self.is_word(i - 1, "default") {
                    return Opens::Scope { kind: ScopeKind::Class, name: "default".into(), name_tok: i };
                }
            }
            "interface" if self.syn != Syntax::JavaScript && self.is_ident(i + 1) => {
                return self.scope(ScopeKind::Interface, i + 1);
            }
            "enum" if self.syn != Syntax::JavaScript && self.is_ident(i + 1) => {
                return self.scope(ScopeKind::Enum, i + 1);
            }
            "namespace" | "module" if self.syn != Syntax::JavaScript && i + 1 < hi && matches!(self.toks[i + 1].k, K::Ident | K::Str) => {
                return Opens::Scope { kind: ScopeKind::Module, name: self.span_text(i + 1, hi), name_tok: i + 1 };
            }
            _ => {}
        }
        let tops = self.top(i, hi);
        // A class expression bound to a name: `const X = class extends Y {`.
        if let Some(c) = tops.iter().position(|&t| self.is_word(t, "class"))
            && c >= 2
            && self.toks[tops[c - 1]].k == K::Assign
            && self.is_ident(tops[c - 2])
        {
            let n = if self.is_ident(tops[c] + 1) && !matches!(self.text(tops[c] + 1), "extends" | "implements") { tops[c] + 1 } else { tops[c - 2] };
            return self.scope(ScopeKind::Class, n);
        }
        // A method: name, optional `?`/`!` and type parameters, parameters,
        // optional return type annotation.
        if let Some(o) = self.js_method(&tops, hi) {
            return o;
        }
        // A function expression or arrow function bound to a name.
        if let Some(o) = self.js_bound(&tops, hi) {
            return o;
        }
        let members = tops.iter().any(|&t| self.is_word(t, "class"));
        Opens::Block { members }
    }

    fn js_method(&self, tops: &[usize], hi: usize) -> Option<Opens> {
        let first = *tops.first()?;
        let mut k = 0;
        // `#private`, `[computed]`, `"quoted"`, `123`, `name`.
        let name_tok = if self.is_p(first, b'#') && tops.len() > 1 {
            k = 1;
            tops[1]
        } else {
            first
        };
        let named = match self.toks[name_tok].k {
            K::Ident => !is_control(self.syn, self.text(name_tok)) && !matches!(self.text(name_tok), "function" | "class" | "catch"),
            K::Str | K::Num => true,
            K::P(b'[') => true,
            _ => false,
        };
        if !named {
            return None;
        }
        k += 1;
        while k < tops.len() && (self.is_p(tops[k], b'?') || self.is_p(tops[k], b'!')) {
            k += 1;
        }
        if k < tops.len() && self.is_p(tops[k], b'<') {
            let after = self.skip_angles(tops[k], hi);
            k = tops.iter().position(|&t| t >= after)?;
        }
        if k >= tops.len() || !self.is_p(tops[k], b'(') {
            return None;
        }
        let rest = &tops[k + 1..];
        // Nothing, or a return type annotation.
        if !(rest.is_empty() || self.is_p(rest[0], b':') && self.syn != Syntax::JavaScript) {
            return None;
        }
        if rest.iter().any(|&t| matches!(self.toks[t].k, K::FatArrow | K::Assign)) {
            return None;
        }
        // In a class or an object literal alike, a method.
        let kind = ScopeKind::Method;
        let name = if self.is_p(name_tok, b'[') { self.span_text(name_tok, self.skip(name_tok, hi)) } else { self.text(name_tok).to_string() };
        Some(Opens::Scope { kind, name, name_tok })
    }

    fn js_bound(&self, tops: &[usize], hi: usize) -> Option<Opens> {
        let last = *tops.last()?;
        let arrow = self.toks[last].k == K::FatArrow;
        for (b, &t) in tops.iter().enumerate() {
            let binder = self.toks[t].k == K::Assign || self.is_p(t, b':');
            if !binder || b == 0 {
                continue;
            }
            let mut k = b + 1;
            if k < tops.len() && self.is_word(tops[k], "async") && k + 1 < tops.len() {
                k += 1;
            }
            if k >= tops.len() {
                return None;
            }
            let head = tops[k];
            let ok = if self.is_word(head, "function") {
                // `= function name?(…) {`
                let mut n = k + 1;
                if n < tops.len() && self.is_p(tops[n], b'*') {
                    n += 1;
                }
                if n < tops.len() && self.is_ident(tops[n]) {
                    n += 1;
                }
                n + 1 == tops.len() && self.is_p(tops[n], b'(')
            } else if arrow {
                let mut n = k;
                if n < tops.len() && self.is_p(tops[n], b'<') {
                    let after = self.skip_angles(tops[n], hi);
                    n = tops.iter().position(|&x| x >= after).unwrap_or(tops.len());
                }
                if n < tops.len() && (self.is_p(tops[n], b'(') || self.is_ident(tops[n])) {
                    n += 1;
                    // Optional return type annotation, then `=>`.
                    n + 1 == tops.len() || n < tops.len() && self.is_p(tops[n], b':') && self.syn != Syntax::JavaScript
                } else {
                    false
                }
            } else {
                false
            };
            if !ok {
                continue;
            }
            let name_tok = tops[b - 1];
            if !matches!(self.toks[name_tok].k, K::Ident | K::Str) {
                return None;
            }
            // A TS type annotation on the binding: `const f: Handler = …`
            // puts the name two tokens further back.
            let name_tok = if b >= 3 && self.is_p(tops[b - 2], b':') && self.toks[t].k == K::Assign && self.is_ident(tops[b - 3]) {
                tops[b - 3]
            } else {
                name_tok
            };
            let kind = ScopeKind::Function;
            return Some(Opens::Scope { kind, name: self.text(name_tok).trim_matches(['"', '\'']).to_string(), name_tok });
        }
        None
    }

    fn php(&self, lo: usize, hi: usize, owner: Option<ScopeKind>) -> Opens {
        let i = self.skip_prefix(lo, hi);
        if i >= hi {
            return Opens::Block { members: false };
        }
        match self.text(i) {
            "function" => {
                let mut n = i + 1;
                if self.is_p(n, b'&') {
                    n += 1;
                }
                if self.is_ident(n) && self.is_p(n + 1, b'(') {
                    return self.scope(Self::method_or_fn(owner), n);
                }
                Opens::Block { members: false }
            }
            "class" if self.is_ident(i + 1) => self.scope(ScopeKind::Class, i + 1),
            "interface" if self.is_ident(i + 1) => self.scope(ScopeKind::Interface, i + 1),
            "trait" if self.is_ident(i + 1) => self.scope(ScopeKind::Trait, i + 1),
            "enum" if self.is_ident(i + 1) => self.scope(ScopeKind::Enum, i + 1),
            "namespace" => Opens::Scope { kind: ScopeKind::Namespace, name: self.span_text(i + 1, hi), name_tok: (i + 1).min(hi - 1) },
            _ => {
                let members = self.top(i, hi).iter().any(|&t| self.is_word(t, "class"));
                Opens::Block { members }
            }
        }
    }

    fn generic(&self, lo: usize, hi: usize) -> Opens {
        let first = self.toks[lo];
        if first.k == K::Ident && is_control(self.syn, first.text(self.src)) || matches!(first.text(self.src), "else" | "then" | "do") {
            return Opens::Block { members: false };
        }
        if matches!(first.k, K::Assign | K::P(b'}') | K::P(b',') | K::P(b'(')) {
            return Opens::Block { members: false };
        }
        // The header's last line only: earlier lines of a window in a
        // language we do not know are often unrelated.
        let line = self.toks[hi - 1].line;
        let mut s = hi - 1;
        while s > lo && self.toks[s - 1].line == line {
            s -= 1;
        }
        if s == hi {
            return Opens::Block { members: false };
        }
        if self.toks[s].k == K::Ident && is_control(self.syn, self.text(s)) {
            return Opens::Block { members: false };
        }
        Opens::Scope { kind: ScopeKind::Block, name: self.span_text(s, hi), name_tok: s }
    }
}

/// An all-caps identifier, the usual shape of a C macro (`FMT_API`, `V8_EXPORT`).
fn is_macro_name(w: &str) -> bool {
    w.len() >= 2 && w.bytes().any(|c| c.is_ascii_uppercase()) && w.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

/// Words that may precede a definer keyword.
fn is_modifier(syn: Syntax, w: &str) -> bool {
    let common = matches!(
        w,
        "public"
            | "private"
            | "protected"
            | "static"
            | "final"
            | "abstract"
            | "async"
            | "export"
            | "default"
            | "override"
            | "internal"
            | "open"
            | "sealed"
    );
    common
        || match syn {
            Syntax::Rust => matches!(w, "pub" | "const" | "unsafe" | "extern" | "crate"),
            Syntax::C | Syntax::Cpp | Syntax::ObjectiveC => {
                matches!(w, "inline" | "extern" | "constexpr" | "consteval" | "virtual" | "explicit" | "friend" | "typedef")
            }
            Syntax::Java => matches!(w, "strictfp" | "synchronized" | "native" | "transient" | "non"),
            Syntax::CSharp => {
                matches!(w, "partial" | "readonly" | "unsafe" | "virtual" | "extern" | "new" | "file" | "required" | "ref" | "volatile")
            }
            Syntax::Kotlin => matches!(
                w,
                "data"
                    | "inner"
                    | "enum"
                    | "annotation"
                    | "companion"
                    | "suspend"
                    | "inline"
                    | "tailrec"
                    | "operator"
                    | "infix"
                    | "external"
                    | "lateinit"
                    | "const"
                    | "value"
                    | "actual"
                    | "expect"
                    | "crossinline"
                    | "noinline"
                    | "reified"
            ),
            Syntax::Swift => matches!(
                w,
                "fileprivate"
                    | "mutating"
                    | "nonmutating"
                    | "convenience"
                    | "required"
                    | "dynamic"
                    | "lazy"
                    | "weak"
                    | "unowned"
                    | "indirect"
                    | "optional"
                    | "prefix"
                    | "postfix"
                    | "infix"
                    | "nonisolated"
                    | "isolated"
                    | "distributed"
                    | "package"
                    | "consuming"
                    | "borrowing"
            ),
            Syntax::Scala => matches!(w, "implicit" | "lazy" | "case" | "inline" | "opaque" | "transparent" | "infix"),
            Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx => {
                matches!(w, "declare" | "readonly" | "get" | "set" | "accessor" | "const")
            }
            Syntax::Php => matches!(w, "readonly" | "var"),
            _ => false,
        }
}

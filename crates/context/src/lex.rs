//! The token scanner for brace languages: one linear pass that keeps
//! identifiers, numbers and punctuation and reduces every string, comment and
//! preprocessor line to nothing (a string becomes one [`K::Str`] token), so
//! the structure pass sees only braces that mean structure.
//!
//! What it knows, per language ([`Rules`]): line and block comments (nested in
//! Rust, Kotlin, Swift and Scala), strings with escapes, raw strings (Rust
//! `r#"…"#`, C++ `R"d(…)d"`, Go and JS backticks, Swift `#"…"#`), multi-line
//! strings (`"""` in Kotlin, Swift, Scala, C#), C# verbatim `@"…"`,
//! interpolation that can hold code and further strings (JS `${}`, Kotlin and
//! Scala `${}`, Swift `\()`, C# `$"{}"`, PHP `"{$}"`), char literals versus
//! Rust lifetimes and Scala symbols, C preprocessor lines (with `\`
//! continuations; `#if 0` and every `#else`/`#elif` branch are skipped so that
//! braces repeated in alternative branches do not unbalance the count), JS
//! regex literals where an expression may start, JSX elements, and PHP's
//! `<?php … ?>` regions and heredocs.
//!
//! Line numbers are assigned after the scan by merging token offsets with the
//! line index, so skipping a multi-line string costs nothing extra.

use crate::text::Lines;

/// Token kinds the structure pass distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum K {
    Ident,
    Num,
    /// A whole string, char or regex literal (or a JSX element).
    Str,
    /// A single punctuation byte: `{ } ( ) [ ] ; , . : < > @ # ! ? * & | + - / % ^ ~ \`.
    P(u8),
    /// `->`
    Arrow,
    /// `=>`
    FatArrow,
    /// `::`
    PathSep,
    /// `=` and `:=` (a binding or assignment).
    Assign,
    /// `+=`, `-=`, … and comparison or logic operators: none of them binds a name.
    Op,
}

/// A token: kind, byte range, 1-based line, and whether it starts its line
/// ([`NL`]) or follows a blank line ([`BLANK`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok {
    pub k: K,
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub flags: u8,
}

/// The token is the first on its line.
pub(crate) const NL: u8 = 1;
/// A blank line lies between the previous token and this one.
pub(crate) const BLANK: u8 = 2;

impl Tok {
    pub(crate) fn text<'t>(&self, src: &'t str) -> &'t str {
        src.get(self.start as usize..self.end as usize).unwrap_or("")
    }
    pub(crate) fn nl(&self) -> bool {
        self.flags & NL != 0
    }
    pub(crate) fn blank(&self) -> bool {
        self.flags & BLANK != 0
    }
}

/// How `'` starts a literal.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quote1 {
    /// Never (Swift: `'` is not used).
    None,
    /// A char literal on one line (C, Java, C#, Go, Kotlin).
    Char,
    /// A char literal, or a lifetime / symbol when no closing quote follows
    /// one char (Rust `'a`, Scala `'sym`).
    CharOrLabel,
    /// A string like `"` (JS, PHP).
    String,
}

/// What a backtick starts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backtick {
    None,
    /// Go raw string: no escapes, may span lines.
    Raw,
    /// JS template literal with `${}`.
    Template,
    /// Kotlin, Scala, Swift quoted identifier.
    Ident,
}

/// What interpolation inside `"` strings looks like.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interp {
    None,
    /// `${ … }` (Kotlin; Scala after an interpolator prefix).
    DollarBrace,
    /// `\( … )` (Swift).
    BackslashParen,
    /// `{$ … }` and `${ … }` (PHP).
    Php,
}

/// Per-language lexical rules.
#[derive(Clone, Copy)]
pub(crate) struct Rules {
    pub quote1: Quote1,
    pub backtick: Backtick,
    pub interp: Interp,
    /// `/* */` nest (Rust, Kotlin, Swift, Scala).
    pub nested_comments: bool,
    /// `#` starts a comment (PHP, except `#[`; the generic fallback after whitespace).
    pub hash_comment: bool,
    /// C preprocessor lines (C, C++, C#, Objective-C).
    pub preprocessor: bool,
    /// Swift's `#if`/`#else`/`#endif` lines (dropped; branches stay).
    pub hash_directives: bool,
    /// A `"` string may run over line ends (Rust, PHP, shell-like).
    pub multiline_strings: bool,
    /// `"""` strings (Kotlin, Swift, Scala, C#, Java text blocks).
    pub triple_quotes: bool,
    /// Rust `r"…"`, `r#"…"#`, `br"…"`.
    pub rust_raw: bool,
    /// C++ `R"delim(…)delim"`.
    pub cpp_raw: bool,
    /// C# `@"…"`, `$"…{x}…"`, `$@"…"`.
    pub csharp_strings: bool,
    /// Swift `#"…"#`.
    pub swift_raw: bool,
    /// Scala: an identifier right before `"` makes an interpolated string.
    pub scala_interp: bool,
    /// JS regex literals.
    pub regex: bool,
    /// JSX elements (JS, TSX).
    pub jsx: bool,
    /// PHP: code lives in `<?php … ?>`; heredocs.
    pub php: bool,
}

impl Rules {
    pub(crate) const BASE: Rules = Rules {
        quote1: Quote1::Char,
        backtick: Backtick::None,
        interp: Interp::None,
        nested_comments: false,
        hash_comment: false,
        preprocessor: false,
        hash_directives: false,
        multiline_strings: false,
        triple_quotes: false,
        rust_raw: false,
        cpp_raw: false,
        csharp_strings: false,
        swift_raw: false,
        scala_interp: false,
        regex: false,
        jsx: false,
        php: false,
    };
}

/// Nesting bound for interpolations and JSX inside each other; deeper input
/// is scanned flat (it only happens in adversarial text).
const MAX_NEST: u32 = 64;

struct Lexer<'a> {
    b: &'a [u8],
    r: Rules,
    toks: Vec<Tok>,
    /// Only whitespace since the last line break (for `#` directives).
    at_line_start: bool,
    /// Inside nested code (an interpolation, a JSX expression).
    nested: bool,
    /// In nested code: the code byte before the current one, and the current one.
    nested_last: Option<u8>,
    nested_cur: Option<u8>,
}

/// Scans `src` into tokens with lines and flags.
pub(crate) fn lex(src: &str, rules: Rules, lines: &Lines) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut lx =
        Lexer { b, r: rules, toks: Vec::with_capacity(b.len() / 5 + 16), at_line_start: true, nested: false, nested_last: None, nested_cur: None };
    let start = if rules.php { lx.php_html(0) } else { 0 };
    lx.code(start, None, 0);
    let mut toks = lx.toks;
    assign_lines(&mut toks, lines);
    toks
}

/// Sets `line` and the flags of every token in one merge with the line index.
pub(crate) fn assign_lines(toks: &mut [Tok], lines: &Lines) {
    let mut prev_line = 0u32;
    let mut line = 1u32;
    let count = lines.count();
    for t in toks.iter_mut() {
        // Tokens are in offset order: the line cursor only moves forward, so
        // the whole merge is linear in tokens plus lines.
        while line < count && lines.range_start(line + 1) <= t.start {
            line += 1;
        }
        t.line = line;
        if line != prev_line {
            t.flags |= NL;
            if prev_line != 0 && lines.blank_between(prev_line, line) {
                t.flags |= BLANK;
            }
        }
        prev_line = line;
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

impl<'a> Lexer<'a> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn push(&mut self, k: K, start: usize, end: usize) {
        self.toks.push(Tok { k, start: start as u32, end: end as u32, line: 0, flags: 0 });
        self.at_line_start = false;
    }

    /// Whether an expression may start here (for regex and JSX): after an
    /// operator, an opening bracket, a comma, a keyword like `return`, or at
    /// the start.
    fn expr_may_start(&self) -> bool {
        if self.nested {
            return match self.nested_last {
                None => true,
                Some(c) => !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b')' | b']' | b'}' | b'"' | b'\'' | b'`')),
            };
        }
        let Some(t) = self.toks.last() else {
            return true;
        };
        match t.k {
            K::Ident => {
                let w = &self.b[t.start as usize..t.end as usize];
                matches!(
                    w,
                    b"return"
                        | b"typeof"
                        | b"case"
                        | b"do"
                        | b"else"
                        | b"in"
                        | b"of"
                        | b"new"
                        | b"delete"
                        | b"void"
                        | b"throw"
                        | b"yield"
                        | b"await"
                        | b"instanceof"
                )
            }
            K::Num | K::Str => false,
            K::P(c) => !matches!(c, b')' | b']' | b'}'),
            K::Arrow | K::FatArrow | K::PathSep | K::Assign | K::Op => true,
        }
    }

    /// Scans code from `i` until `closer` at depth 0 (returning the index
    /// after it), or to the end. `closer = None` is the top level, which emits
    /// tokens; nested code (interpolations, JSX attributes) is only skipped.
    fn code(&mut self, i: usize, closer: Option<u8>, nest: u32) -> usize {
        let saved = (self.nested, self.nested_last, self.nested_cur);
        if closer.is_some() {
            self.nested = true;
            self.nested_last = None;
            self.nested_cur = None;
        }
        let end = self.code_inner(i, closer, nest);
        (self.nested, self.nested_last, self.nested_cur) = saved;
        end
    }

    /// [`Lexer::code`] without the nesting bookkeeping.
    fn code_inner(&mut self, mut i: usize, closer: Option<u8>, nest: u32) -> usize {
        let emit = closer.is_none();
        let mut depth = 0u32;
        let n = self.b.len();
        while i < n {
            let c = self.b[i];
            if !emit && !c.is_ascii_whitespace() {
                // The previous code byte, for "may an expression start here".
                self.nested_last = self.nested_cur;
                self.nested_cur = Some(c);
            }
            match c {
                b'\n' => {
                    self.at_line_start = true;
                    i += 1;
                }
                b' ' | b'\t' | b'\r' | b'\x0c' | b'\x0b' => {
                    i += 1;
                    while i < n && matches!(self.b[i], b' ' | b'\t') {
                        i += 1;
                    }
                }
                b'/' if self.at(i + 1) == b'/' => i = self.line_end(i),
                b'/' if self.at(i + 1) == b'*' => i = self.block_comment(i + 2),
                b'#' if self.r.preprocessor && self.at_line_start && emit => i = self.directive(i),
                b'#' if self.r.hash_directives && self.at_line_start && is_ident_start(self.at(i + 1)) && emit => i = self.line_end(i),
                b'#' if self.r.hash_comment && self.at(i + 1) != b'[' => i = self.line_end(i),
                b'#' if self.r.swift_raw && matches!(self.at(i + 1), b'#' | b'"') => {
                    let e = self.swift_raw(i);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'?' if self.r.php && self.at(i + 1) == b'>' && emit => {
                    i = self.php_html(i + 2);
                }
                b'"' => {
                    let e = self.dq_string(i, nest);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'\'' => match self.quote1(i) {
                    Some(e) => {
                        if emit {
                            self.push(K::Str, i, e);
                        }
                        i = e;
                    }
                    None => {
                        if emit {
                            self.push(K::P(b'\''), i, i + 1);
                        }
                        i += 1;
                    }
                },
                b'`' if self.r.backtick != Backtick::None => {
                    let (e, k) = match self.r.backtick {
                        Backtick::Raw => (self.until_byte(i + 1, b'`'), K::Str),
                        Backtick::Template => (self.template(i + 1, nest), K::Str),
                        _ => (self.until_byte_on_line(i + 1, b'`'), K::Ident),
                    };
                    if emit {
                        self.push(k, i, e);
                    }
                    i = e;
                }
                b'/' if self.r.regex && self.expr_may_start() => match self.regex(i + 1) {
                    Some(e) => {
                        if emit {
                            self.push(K::Str, i, e);
                        }
                        i = e;
                    }
                    None => {
                        if emit {
                            self.push(K::P(b'/'), i, i + 1);
                        }
                        i += 1;
                    }
                },
                b'<' if self.r.jsx && nest < MAX_NEST && (is_ident_start(self.at(i + 1)) || self.at(i + 1) == b'>') && self.expr_may_start() => {
                    let e = self.jsx(i, nest + 1);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'<' if self.r.php && self.at(i + 1) == b'<' && self.at(i + 2) == b'<' => {
                    let e = self.heredoc(i + 3);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'@' if self.r.csharp_strings && self.at(i + 1) == b'"' => {
                    let e = self.verbatim(i + 2);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'@' if self.r.csharp_strings && self.at(i + 1) == b'$' && self.at(i + 2) == b'"' => {
                    let e = self.csharp_interp(i + 3, true, nest);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'$' if self.r.csharp_strings && matches!(self.at(i + 1), b'"' | b'@' | b'$') => {
                    // `$"`, `$@"`, `$$"""`: interpolated (and maybe verbatim or raw).
                    let mut j = i;
                    while self.at(j) == b'$' {
                        j += 1;
                    }
                    let verbatim = self.at(j) == b'@';
                    if verbatim {
                        j += 1;
                    }
                    if self.at(j) == b'"' {
                        let e = if self.b[j..].starts_with(b"\"\"\"") { self.triple(j + 3) } else { self.csharp_interp(j + 1, verbatim, nest) };
                        if emit {
                            self.push(K::Str, i, e);
                        }
                        i = e;
                    } else {
                        let e = self.ident_end(i);
                        if emit {
                            self.push(K::Ident, i, e);
                        }
                        i = e;
                    }
                }
                c if is_ident_start(c) => {
                    let e = self.ident_end(i);
                    // A prefix glued to a quote makes a special string.
                    if let Some(se) = self.prefixed_string(i, e, nest) {
                        if emit {
                            self.push(K::Str, i, se);
                        }
                        i = se;
                    } else {
                        if emit {
                            self.push(K::Ident, i, e);
                        }
                        i = e;
                    }
                }
                c if c.is_ascii_digit() => {
                    let e = self.number_end(i);
                    if emit {
                        self.push(K::Num, i, e);
                    }
                    i = e;
                }
                _ => {
                    if let Some(cl) = closer {
                        match c {
                            b'{' | b'(' | b'[' => depth += 1,
                            b'}' | b')' | b']' => {
                                if depth == 0 {
                                    if c == cl {
                                        return i + 1;
                                    }
                                } else {
                                    depth -= 1;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                        continue;
                    }
                    let (k, len) = self.punct(i);
                    self.push(k, i, i + len);
                    i += len;
                }
            }
        }
        n
    }

    fn punct(&self, i: usize) -> (K, usize) {
        let c = self.at(i);
        let d = self.at(i + 1);
        let e = self.at(i + 2);
        match (c, d) {
            (b'-', b'>') => (K::Arrow, 2),
            (b'=', b'>') => (K::FatArrow, 2),
            (b':', b':') => (K::PathSep, 2),
            (b':', b'=') => (K::Assign, 2),
            (b'=', b'=') | (b'!', b'=') => (K::Op, if e == b'=' { 3 } else { 2 }),
            (b'<', b'=') | (b'>', b'=') if e != b'>' => (K::Op, 2),
            (b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'|' | b'&', b'=') => (K::Op, 2),
            (b'&', b'&') | (b'|', b'|') | (b'?', b'?') => (K::Op, 2),
            (b'=', _) => (K::Assign, 1),
            _ => (K::P(c), 1),
        }
    }

    fn ident_end(&self, mut i: usize) -> usize {
        i += 1;
        while i < self.b.len() && is_ident_char(self.b[i]) {
            i += 1;
        }
        i
    }

    fn number_end(&self, mut i: usize) -> usize {
        let n = self.b.len();
        i += 1;
        while i < n {
            let c = self.b[i];
            if c.is_ascii_alphanumeric() || c == b'_' {
                i += 1;
            } else if (c == b'.' || c == b'\'') && self.at(i + 1).is_ascii_digit() {
                i += 2;
            } else if (c == b'+' || c == b'-') && matches!(self.b[i - 1], b'e' | b'E' | b'p' | b'P') {
                i += 1;
            } else {
                break;
            }
        }
        i
    }

    /// Index of the `\n` ending the line at `i` (or the end).
    fn line_end(&self, i: usize) -> usize {
        memchr::memchr(b'\n', &self.b[i.min(self.b.len())..]).map_or(self.b.len(), |p| i + p)
    }

    fn block_comment(&self, mut i: usize) -> usize {
        let n = self.b.len();
        let mut depth = 1u32;
        while i < n {
            // Jump to the next byte that can end or open a comment.
            let hit = if self.r.nested_comments { memchr::memchr2(b'*', b'/', &self.b[i..]) } else { memchr::memchr(b'*', &self.b[i..]) };
            let Some(p) = hit else { return n };
            i += p;
            match (self.b[i], self.at(i + 1)) {
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 || !self.r.nested_comments {
                        return i;
                    }
                }
                (b'/', b'*') if self.r.nested_comments => {
                    depth += 1;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        n
    }

    /// After the byte `b` from `i` (no escapes), or the end.
    fn until_byte(&self, i: usize, b: u8) -> usize {
        self.b.get(i..).and_then(|s| s.iter().position(|&c| c == b)).map_or(self.b.len(), |p| i + p + 1)
    }

    fn until_byte_on_line(&self, i: usize, b: u8) -> usize {
        let mut j = i;
        while j < self.b.len() {
            match self.b[j] {
                c if c == b => return j + 1,
                b'\n' => return j,
                _ => j += 1,
            }
        }
        j
    }

    /// A `"` string from `i` (at the quote), honouring the language's
    /// triple quotes, escapes and interpolation. Returns the index after it.
    fn dq_string(&mut self, i: usize, nest: u32) -> usize {
        if self.r.triple_quotes && self.b[i..].starts_with(b"\"\"\"") {
            return self.triple_interp(i + 3, nest);
        }
        self.escaped(i + 1, b'"', self.r.interp, self.r.multiline_strings, nest)
    }

    /// Body of a quoted literal with backslash escapes, from `i` (after the
    /// opening quote) to after `q`. Stops at a line end unless `multiline`
    /// (an unterminated literal must not swallow the file).
    fn escaped(&mut self, mut i: usize, q: u8, interp: Interp, multiline: bool, nest: u32) -> usize {
        let n = self.b.len();
        while i < n {
            let c = self.b[i];
            if c == q {
                return i + 1;
            }
            match c {
                b'\\' => {
                    if interp == Interp::BackslashParen && self.at(i + 1) == b'(' && nest < MAX_NEST {
                        i = self.code(i + 2, Some(b')'), nest + 1);
                    } else {
                        i += 2;
                    }
                }
                b'\n' if !multiline => return i,
                b'$' if interp == Interp::DollarBrace && self.at(i + 1) == b'{' && nest < MAX_NEST => {
                    i = self.code(i + 2, Some(b'}'), nest + 1);
                }
                b'{' if interp == Interp::Php && self.at(i + 1) == b'$' && nest < MAX_NEST => {
                    i = self.code(i + 1, Some(b'}'), nest + 1);
                }
                b'$' if interp == Interp::Php && self.at(i + 1) == b'{' && nest < MAX_NEST => {
                    i = self.code(i + 2, Some(b'}'), nest + 1);
                }
                _ => i += 1,
            }
        }
        n
    }

    /// A `"""` string body (Kotlin, Scala, Swift, Java text blocks): no
    /// escapes needed to find the end, but `${}` / `\()` may hold code.
    fn triple_interp(&mut self, mut i: usize, nest: u32) -> usize {
        let n = self.b.len();
        while i < n {
            if self.b[i..].starts_with(b"\"\"\"") {
                // `""""` ends with the last three quotes.
                let mut e = i + 3;
                while self.at(e) == b'"' {
                    e += 1;
                }
                return e;
            }
            match (self.b[i], self.r.interp) {
                (b'$', Interp::DollarBrace) if self.at(i + 1) == b'{' && nest < MAX_NEST => i = self.code(i + 2, Some(b'}'), nest + 1),
                (b'\\', Interp::BackslashParen) if self.at(i + 1) == b'(' && nest < MAX_NEST => i = self.code(i + 2, Some(b')'), nest + 1),
                (b'\\', _) => i += 2,
                _ => i += 1,
            }
        }
        n
    }

    /// A `"""` block without interpolation (C# raw strings).
    fn triple(&self, i: usize) -> usize {
        self.b.get(i..).and_then(|s| s.windows(3).position(|w| w == b"\"\"\"")).map_or(self.b.len(), |p| {
            let mut e = i + p + 3;
            while self.at(e) == b'"' {
                e += 1;
            }
            e
        })
    }

    /// What `'` at `i` starts: the end of a literal, or `None` for a lone
    /// quote (a Rust lifetime or label, a Scala symbol, a stray quote).
    fn quote1(&mut self, i: usize) -> Option<usize> {
        match self.r.quote1 {
            Quote1::None => None,
            Quote1::String => Some(self.escaped(i + 1, b'\'', Interp::None, self.r.multiline_strings, 0)),
            Quote1::Char => {
                let e = self.until_quote_on_line(i + 1)?;
                Some(e)
            }
            Quote1::CharOrLabel => {
                let c = self.at(i + 1);
                if c == b'\\' {
                    return self.until_quote_on_line(i + 1);
                }
                // One (possibly multi-byte) char, then the closing quote.
                let len = utf8_len(c);
                if self.at(i + 1 + len) == b'\'' && c != b'\n' && c != 0 { Some(i + 2 + len) } else { None }
            }
        }
    }

    /// From after an opening `'`: to after the closing one on the same line
    /// (escapes honoured), or `None` when the line ends first.
    fn until_quote_on_line(&self, mut i: usize) -> Option<usize> {
        // Char literals are short: give up after a few bytes so a stray quote
        // (a C++14 digit separator, an apostrophe in a macro) costs little.
        let limit = (i + 16).min(self.b.len());
        while i < limit {
            match self.b[i] {
                b'\'' => return Some(i + 1),
                b'\\' => i += 2,
                b'\n' => return None,
                _ => i += 1,
            }
        }
        None
    }

    /// A JS template literal body from after the backtick.
    fn template(&mut self, mut i: usize, nest: u32) -> usize {
        let n = self.b.len();
        while i < n {
            match self.b[i] {
                b'`' => return i + 1,
                b'\\' => i += 2,
                b'$' if self.at(i + 1) == b'{' && nest < MAX_NEST => i = self.code(i + 2, Some(b'}'), nest + 1),
                _ => i += 1,
            }
        }
        n
    }

    /// A JS regex body from after the `/`, or `None` when the line ends first
    /// (then the `/` was a division).
    fn regex(&self, mut i: usize) -> Option<usize> {
        let n = self.b.len();
        let mut class = false;
        if matches!(self.at(i), b'/' | b'*') {
            return None;
        }
        while i < n {
            match self.b[i] {
                b'\\' => i += 2,
                b'[' => {
                    class = true;
                    i += 1;
                }
                b']' => {
                    class = false;
                    i += 1;
                }
                b'/' if !class => {
                    i += 1;
                    while i < n && self.b[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    return Some(i);
                }
                b'\n' => return None,
                _ => i += 1,
            }
        }
        None
    }

    /// A JSX element from its `<`; returns the index after it. Text inside
    /// may hold quotes and apostrophes freely; `{}` holds code.
    fn jsx(&mut self, mut i: usize, nest: u32) -> usize {
        let n = self.b.len();
        let mut depth = 0u32;
        loop {
            // At a `<`: a tag.
            if i >= n {
                return n;
            }
            let closing = self.at(i + 1) == b'/';
            i += if closing { 2 } else { 1 };
            // Tag name and attributes up to `>` or `/>`.
            let mut self_closing = false;
            while i < n {
                match self.b[i] {
                    b'>' => {
                        i += 1;
                        break;
                    }
                    b'/' if self.at(i + 1) == b'>' => {
                        self_closing = true;
                        i += 2;
                        break;
                    }
                    b'"' | b'\'' => {
                        let q = self.b[i];
                        i = self.until_byte(i + 1, q);
                    }
                    b'{' if nest < MAX_NEST => i = self.code(i + 1, Some(b'}'), nest + 1),
                    // A `<` inside a tag means this was not JSX after all
                    // (a generic call `f<T>(x)`); end here.
                    b'<' | b';' => return i,
                    _ => i += 1,
                }
            }
            if closing {
                depth = depth.saturating_sub(1);
            } else if !self_closing {
                depth += 1;
            }
            if depth == 0 {
                return i;
            }
            // Children: text, `{code}`, nested tags.
            while i < n {
                match self.b[i] {
                    b'<' => break,
                    b'{' if nest < MAX_NEST => i = self.code(i + 1, Some(b'}'), nest + 1),
                    _ => i += 1,
                }
            }
        }
    }

    /// A C# verbatim string body after `@"`: `""` is a quote.
    fn verbatim(&self, mut i: usize) -> usize {
        let n = self.b.len();
        while i < n {
            if self.b[i] == b'"' {
                if self.at(i + 1) == b'"' {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i += 1;
        }
        n
    }

    /// A C# interpolated string body after `$"`: `{{` is a brace, `{…}` code.
    fn csharp_interp(&mut self, mut i: usize, verbatim: bool, nest: u32) -> usize {
        let n = self.b.len();
        while i < n {
            match self.b[i] {
                b'"' if verbatim && self.at(i + 1) == b'"' => i += 2,
                b'"' => return i + 1,
                b'\\' if !verbatim => i += 2,
                b'{' if self.at(i + 1) == b'{' => i += 2,
                b'{' if nest < MAX_NEST => i = self.code(i + 1, Some(b'}'), nest + 1),
                b'\n' if !verbatim => return i,
                _ => i += 1,
            }
        }
        n
    }

    /// Swift raw string `#…#"…"#…#` from the first `#`.
    fn swift_raw(&self, i: usize) -> usize {
        let mut j = i;
        while self.at(j) == b'#' {
            j += 1;
        }
        let hashes = j - i;
        if self.at(j) != b'"' {
            return j;
        }
        let triple = self.b[j..].starts_with(b"\"\"\"");
        let mut k = j + if triple { 3 } else { 1 };
        let n = self.b.len();
        while k < n {
            if self.b[k] == b'"' {
                let q = if triple { self.b[k..].starts_with(b"\"\"\"") } else { true };
                let after = k + if triple { 3 } else { 1 };
                if q && self.b.len() >= after + hashes && self.b[after..after + hashes].iter().all(|&c| c == b'#') {
                    return after + hashes;
                }
            }
            k += 1;
        }
        n
    }

    /// Strings that start with an identifier prefix glued to a quote: Rust
    /// `r"`, `r#"`, `b"`, `br"`, `c"`; C++ `R"(`, `u8R"(`, `L"`; Scala `s"`.
    /// `i..e` is the identifier. Returns the end of the string when it is one.
    fn prefixed_string(&mut self, i: usize, e: usize, nest: u32) -> Option<usize> {
        let word = &self.b[i..e];
        let next = self.at(e);
        if self.r.rust_raw && matches!(word, b"r" | b"br" | b"cr") && (next == b'"' || next == b'#') {
            let mut j = e;
            while self.at(j) == b'#' {
                j += 1;
            }
            let hashes = j - e;
            if self.at(j) != b'"' {
                return None;
            }
            let n = self.b.len();
            let mut k = j + 1;
            while k < n {
                if self.b[k] == b'"' && self.b.len() >= k + 1 + hashes && self.b[k + 1..k + 1 + hashes].iter().all(|&c| c == b'#') {
                    return Some(k + 1 + hashes);
                }
                k += 1;
            }
            return Some(n);
        }
        if self.r.rust_raw && matches!(word, b"b" | b"c") && next == b'"' {
            return Some(self.escaped(e + 1, b'"', Interp::None, true, nest));
        }
        if self.r.rust_raw && word == b"b" && next == b'\'' {
            return self.until_quote_on_line(e + 1);
        }
        if self.r.cpp_raw && matches!(word, b"R" | b"u8R" | b"uR" | b"UR" | b"LR") && next == b'"' {
            // R"delim( … )delim"
            let open = e + 1;
            let paren = self.b[open..].iter().take(17).position(|&c| c == b'(')? + open;
            let delim = &self.b[open..paren];
            let mut close = Vec::with_capacity(delim.len() + 2);
            close.push(b')');
            close.extend_from_slice(delim);
            close.push(b'"');
            let body = paren + 1;
            return Some(self.b[body..].windows(close.len()).position(|w| w == close.as_slice()).map_or(self.b.len(), |p| body + p + close.len()));
        }
        if self.r.cpp_raw && matches!(word, b"u8" | b"u" | b"U" | b"L") && (next == b'"' || next == b'\'') {
            return if next == b'"' { Some(self.escaped(e + 1, b'"', Interp::None, false, nest)) } else { self.until_quote_on_line(e + 1) };
        }
        if self.r.scala_interp && next == b'"' {
            if self.b[e..].starts_with(b"\"\"\"") {
                let saved = self.r.interp;
                self.r.interp = Interp::DollarBrace;
                let end = self.triple_interp(e + 3, nest);
                self.r.interp = saved;
                return Some(end);
            }
            return Some(self.escaped(e + 1, b'"', Interp::DollarBrace, false, nest));
        }
        None
    }

    /// A C preprocessor line at `i` (the `#`): skipped with its `\`
    /// continuations. `#if 0` skips to its `#else`/`#elif`/`#endif`; an
    /// `#else`/`#elif` reached in normal flow skips to the `#endif`, so only
    /// the first branch of a conditional is read.
    fn directive(&mut self, i: usize) -> usize {
        let word = self.directive_word(i);
        let end = self.directive_end(i);
        match word {
            b"else" | b"elif" | b"elifdef" | b"elifndef" => self.skip_branches(end, true),
            b"if" => {
                let rest = self.b.get(i..end).unwrap_or(&[]);
                let cond = rest.splitn(2, |&c| c == b'f').nth(1).unwrap_or(&[]);
                let cond: Vec<u8> = cond.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
                if cond == b"0" { self.skip_branches(end, false) } else { end }
            }
            _ => end,
        }
    }

    fn directive_word(&self, i: usize) -> &'a [u8] {
        let b: &'a [u8] = self.b;
        let mut j = i + 1;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        let s = j;
        while j < b.len() && b[j].is_ascii_alphabetic() {
            j += 1;
        }
        &b[s..j]
    }

    /// End of a directive line, following `\` continuations and block
    /// comments that start on it.
    fn directive_end(&self, mut i: usize) -> usize {
        let n = self.b.len();
        while i < n {
            match self.b[i] {
                b'\\' if self.at(i + 1) == b'\n' => i += 2,
                b'\\' if self.at(i + 1) == b'\r' && self.at(i + 2) == b'\n' => i += 3,
                b'/' if self.at(i + 1) == b'*' => i = self.block_comment(i + 2),
                b'/' if self.at(i + 1) == b'/' => return self.line_end(i),
                b'\n' => return i,
                _ => i += 1,
            }
        }
        n
    }

    /// Skips lines from `i` until the directive that ends the current branch:
    /// the matching `#endif` (`to_endif`), or also an `#else`/`#elif` (then
    /// that branch is read). Returns where reading resumes.
    fn skip_branches(&mut self, mut i: usize, to_endif: bool) -> usize {
        let n = self.b.len();
        let mut depth = 0u32;
        while i < n {
            // `i` is at a line break or the start of a line.
            if self.b[i] == b'\n' {
                i += 1;
            }
            let mut j = i;
            while j < n && (self.b[j] == b' ' || self.b[j] == b'\t') {
                j += 1;
            }
            if self.at(j) == b'#' {
                let w = self.directive_word(j);
                let end = self.directive_end(j);
                match w {
                    b"if" | b"ifdef" | b"ifndef" => depth += 1,
                    b"endif" if depth == 0 => {
                        self.at_line_start = true;
                        return end;
                    }
                    b"endif" => depth -= 1,
                    b"else" | b"elif" | b"elifdef" | b"elifndef" if depth == 0 && !to_endif => {
                        // `#elif`: its own condition is not evaluated; read it.
                        self.at_line_start = true;
                        return end;
                    }
                    _ => {}
                }
                i = end;
            } else {
                i = self.line_end(j);
            }
        }
        n
    }

    /// PHP: skips inline HTML from `i` to after the next `<?php` / `<?=` / `<?`.
    fn php_html(&mut self, i: usize) -> usize {
        let n = self.b.len();
        let mut j = i;
        while j + 1 < n {
            if self.b[j] == b'<' && self.b[j + 1] == b'?' {
                let mut k = j + 2;
                if self.b[k..].len() >= 3 && self.b[k..k + 3].eq_ignore_ascii_case(b"php") {
                    k += 3;
                } else if self.at(k) == b'=' {
                    k += 1;
                }
                self.at_line_start = false;
                return k;
            }
            j += 1;
        }
        n
    }

    /// PHP heredoc / nowdoc from after `<<<`: the body ends at a line whose
    /// first non-blank text is the label.
    fn heredoc(&self, i: usize) -> usize {
        let mut j = i;
        while matches!(self.at(j), b' ' | b'\t') {
            j += 1;
        }
        let quoted = matches!(self.at(j), b'"' | b'\'');
        if quoted {
            j += 1;
        }
        let s = j;
        while is_ident_char(self.at(j)) {
            j += 1;
        }
        let label = &self.b[s..j];
        if label.is_empty() {
            return i;
        }
        let mut k = self.line_end(j);
        let n = self.b.len();
        while k < n {
            k += 1; // past `\n`
            let mut t = k;
            while matches!(self.at(t), b' ' | b'\t') {
                t += 1;
            }
            if self.b[t..].starts_with(label) && !is_ident_char(self.at(t + label.len())) {
                return t + label.len();
            }
            k = self.line_end(k);
        }
        n
    }
}

/// Byte length of the UTF-8 char starting with byte `c`.
fn utf8_len(c: u8) -> usize {
    match c {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str, r: Rules) -> String {
        let lines = Lines::new(src);
        lex(src, r, &lines)
            .iter()
            .map(|t| match t.k {
                K::Str => "S".to_string(),
                _ => t.text(src).to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn rust_lifetimes_chars_raw_strings() {
        let r = Rules { quote1: Quote1::CharOrLabel, rust_raw: true, nested_comments: true, multiline_strings: true, ..Rules::BASE };
        assert_eq!(kinds("fn f<'a>(x: &'a str) { '{' }", r), "fn f < ' a > ( x : & ' a str ) { S }");
        assert_eq!(kinds("r#\"}\"# /* /* } */ } */ b'}' '\\''", r), "S S S");
        assert_eq!(kinds("\"a\nb}\" x", r), "S x");
    }

    #[test]
    fn c_preprocessor_branches() {
        let r = Rules { preprocessor: true, cpp_raw: true, ..Rules::BASE };
        let src = "#define X { \\\n }\n#if A\nif (a) {\n#else\nif (b) {\n#endif\n}\n#if 0\n{\n#endif\nR\"x()\")x\" y";
        assert_eq!(kinds(src, r), "if ( a ) { } S y");
    }

    #[test]
    fn js_templates_regex_jsx() {
        let r = Rules { quote1: Quote1::String, backtick: Backtick::Template, regex: true, jsx: true, ..Rules::BASE };
        assert_eq!(kinds("x = `a ${ {b: `}`} } c` + /}/g; y = a / b", r), "x = S + S ; y = a / b");
        assert_eq!(kinds("return (<p>Don't {f({a})}</p>)", r), "return ( S )");
    }
}

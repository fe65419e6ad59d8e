//! The Ruby scope finder: `def`, `class`, `module` and `class << self`,
//! closed by keyword balance with `end`.
//!
//! Every keyword that opens an `end`-terminated construct is counted: `def`
//! (but not an endless `def x = …`), `class`, `module`, `begin`, `case`,
//! `do` (except the optional `do` of a `while`/`until`/`for` line), and
//! `if`/`unless`/`while`/`until` only at the start of an expression (not as
//! modifiers such as `return if x`). Keywords after `.` or `::` are method
//! calls and `if:` is a hash label. Strings with `#{}` interpolation, `%w[]`
//! style literals, regexes, heredocs, comments and `=begin`/`=end` blocks are
//! skipped.

use crate::lex::{K, Tok, assign_lines};
use crate::scope::{Scope, ScopeKind};
use crate::text::Lines;

const MAX_NEST: u32 = 64;

struct Lexer<'a> {
    b: &'a [u8],
    toks: Vec<Tok>,
    /// Heredoc labels waiting for the end of the current line: (label, squiggly/dash).
    heredocs: Vec<(Vec<u8>, bool)>,
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl<'a> Lexer<'a> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }
    fn push(&mut self, k: K, s: usize, e: usize) {
        self.toks.push(Tok { k, start: s as u32, end: e as u32, line: 0, flags: 0 });
    }
    fn word(&self, t: &Tok) -> &'a [u8] {
        &self.b[t.start as usize..t.end as usize]
    }
    /// An expression may start here (regex, `%` literals, heredocs).
    fn expr_start(&self, i: usize) -> bool {
        let Some(t) = self.toks.last() else {
            return true;
        };
        match t.k {
            K::Ident => {
                let w = self.word(t);
                if matches!(
                    w,
                    b"if"
                        | b"unless"
                        | b"while"
                        | b"until"
                        | b"and"
                        | b"or"
                        | b"not"
                        | b"return"
                        | b"when"
                        | b"in"
                        | b"puts"
                        | b"then"
                        | b"else"
                        | b"elsif"
                        | b"case"
                ) {
                    return true;
                }
                // `foo /re/`: a space before and none after.
                i > 0 && self.b[i - 1] == b' ' && !matches!(self.at(i + 1), b' ' | b'=')
            }
            K::Num | K::Str => false,
            K::P(c) => !matches!(c, b')' | b']' | b'}'),
            _ => true,
        }
    }

    fn run(&mut self, mut i: usize, closer: Option<u8>, nest: u32) -> usize {
        let n = self.b.len();
        let emit = closer.is_none();
        let mut depth = 0u32;
        let mut line_start = true;
        while i < n {
            let c = self.b[i];
            if line_start && emit {
                if self.b[i..].starts_with(b"=begin") {
                    i = find_line(self.b, i, b"=end");
                    continue;
                }
                if self.b[i..].starts_with(b"__END__") && matches!(self.at(i + 7), b'\n' | b'\r' | 0) {
                    return n;
                }
            }
            line_start = false;
            match c {
                b'\n' => {
                    i += 1;
                    line_start = true;
                    if !self.heredocs.is_empty() {
                        i = self.heredoc_bodies(i);
                    }
                }
                b' ' | b'\t' | b'\r' => i += 1,
                b'#' => {
                    while i < n && self.b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'"' | b'`' => {
                    let e = self.string(i + 1, c, c, true, nest);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'\'' => {
                    let e = self.string(i + 1, b'\'', b'\'', false, nest);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b':' if self.at(i + 1) == b'"' => {
                    let e = self.string(i + 2, b'"', b'"', true, nest);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'/' if self.expr_start(i) => {
                    let e = self.string(i + 1, b'/', b'/', true, nest);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'%' if self.expr_start(i) && self.percent_literal(i).is_some() => {
                    let (open, body, interp) = self.percent_literal(i).expect("checked");
                    let close = match open {
                        b'(' => b')',
                        b'[' => b']',
                        b'{' => b'}',
                        b'<' => b'>',
                        x => x,
                    };
                    let e = self.string(body, open, close, interp, nest);
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                b'<' if self.at(i + 1) == b'<' && self.heredoc_start(i + 2).is_some() => {
                    let (label, squiggly, e) = self.heredoc_start(i + 2).expect("checked");
                    self.heredocs.push((label, squiggly));
                    if emit {
                        self.push(K::Str, i, e);
                    }
                    i = e;
                }
                // Special globals: `$'`, `$"`, `$~`, `$1` …
                b'$' if !ident_char(self.at(i + 1)) && self.at(i + 1).is_ascii_graphic() => {
                    if emit {
                        self.push(K::Ident, i, i + 2);
                    }
                    i += 2;
                }
                c if ident_char(c) && !c.is_ascii_digit() || c == b'@' || c == b'$' => {
                    let s = i;
                    i += 1;
                    while i < n && (ident_char(self.b[i]) || self.b[i] == b'@' && i == s + 1) {
                        i += 1;
                    }
                    // Method names may end in `?` or `!`.
                    if matches!(self.at(i), b'?' | b'!') && self.at(i + 1) != b'=' {
                        i += 1;
                    }
                    if emit {
                        self.push(K::Ident, s, i);
                    }
                }
                c if c.is_ascii_digit() => {
                    let s = i;
                    while i < n && (self.b[i].is_ascii_alphanumeric() || self.b[i] == b'_' || self.b[i] == b'.' && self.at(i + 1).is_ascii_digit()) {
                        i += 1;
                    }
                    if emit {
                        self.push(K::Num, s, i);
                    }
                }
                b'?' if self.at(i + 1).is_ascii_graphic() && !ident_char(self.at(i + 2)) && self.expr_start(i) => {
                    // `?a` char literal.
                    if emit {
                        self.push(K::Str, i, i + 2);
                    }
                    i += 2;
                }
                _ => {
                    if let Some(cl) = closer {
                        match c {
                            b'{' | b'(' | b'[' => depth += 1,
                            b'}' | b')' | b']' if depth == 0 && c == cl => return i + 1,
                            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
                            _ => {}
                        }
                        i += 1;
                        continue;
                    }
                    let (k, len) = match (c, self.at(i + 1)) {
                        (b':', b':') => (K::PathSep, 2),
                        (b'=', b'=' | b'~' | b'>') => (K::Op, 2),
                        (b'=', _) => (K::Assign, 1),
                        (b'&', b'&') | (b'|', b'|') => (K::Op, 2),
                        (b'<', b'<') => (K::Op, 2),
                        (b'+' | b'-' | b'*' | b'/' | b'|' | b'&' | b'!' | b'<' | b'>', b'=') => (K::Op, 2),
                        _ => (K::P(c), 1),
                    };
                    self.push(k, i, i + len);
                    i += len;
                }
            }
        }
        n
    }

    /// A string body from `i` to after its closing delimiter; `open`/`close`
    /// nest for bracket delimiters; `#{}` holds code when `interp`.
    fn string(&mut self, mut i: usize, open: u8, close: u8, interp: bool, nest: u32) -> usize {
        let n = self.b.len();
        let mut depth = 0u32;
        while i < n {
            let c = self.b[i];
            if c == b'\\' {
                i += 2;
                continue;
            }
            if interp && c == b'#' && self.at(i + 1) == b'{' && nest < MAX_NEST {
                let saved = std::mem::take(&mut self.heredocs);
                i = self.run(i + 2, Some(b'}'), nest + 1);
                self.heredocs = saved;
                continue;
            }
            if c == close && depth == 0 {
                return i + 1;
            }
            if open != close {
                if c == open {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                }
            }
            i += 1;
        }
        n
    }

    /// `%w[`, `%q(`, `%(`: (opening delimiter, body start, interpolates).
    fn percent_literal(&self, i: usize) -> Option<(u8, usize, bool)> {
        let c = self.at(i + 1);
        let (kind, d) = if matches!(c, b'q' | b'Q' | b'w' | b'W' | b'i' | b'I' | b'r' | b's' | b'x') { (c, self.at(i + 2)) } else { (b'Q', c) };
        if d.is_ascii_alphanumeric() || d.is_ascii_whitespace() || d == 0 || d == b'=' {
            return None;
        }
        let body = if kind == c { i + 3 } else { i + 2 };
        Some((d, body, matches!(kind, b'Q' | b'W' | b'I' | b'r' | b'x')))
    }

    /// After `<<`: `~ID`, `-ID`, `ID` (upper case), or quoted labels.
    fn heredoc_start(&self, i: usize) -> Option<(Vec<u8>, bool, usize)> {
        let mut j = i;
        let squiggly = matches!(self.at(j), b'~' | b'-');
        if squiggly {
            j += 1;
        }
        let quote = matches!(self.at(j), b'"' | b'\'' | b'`');
        if quote {
            j += 1;
        }
        let s = j;
        while ident_char(self.at(j)) {
            j += 1;
        }
        if j == s {
            return None;
        }
        let label = self.b[s..j].to_vec();
        if label[0].is_ascii_digit() {
            return None;
        }
        // A bare `<<ID` is a heredoc only where an expression starts and
        // the label is upper case (`x <<FOO` after a value is a shift).
        if !squiggly
            && !quote
            && (!label.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_') || !self.expr_start(i.saturating_sub(2)))
        {
            return None;
        }
        if quote {
            j += 1;
        }
        Some((label, squiggly, j))
    }

    /// Skips the bodies of the heredocs opened on the line that just ended.
    fn heredoc_bodies(&mut self, mut i: usize) -> usize {
        let n = self.b.len();
        for (label, squiggly) in std::mem::take(&mut self.heredocs) {
            while i < n {
                let e = self.b[i..].iter().position(|&c| c == b'\n').map_or(n, |p| i + p);
                let line = &self.b[i..e];
                let t = if squiggly { trim_start(line) } else { line };
                let t = t.strip_suffix(b"\r").unwrap_or(t);
                i = (e + 1).min(n);
                if t == label.as_slice() {
                    break;
                }
            }
        }
        i
    }
}

fn trim_start(s: &[u8]) -> &[u8] {
    let k = s.iter().take_while(|c| **c == b' ' || **c == b'\t').count();
    &s[k..]
}

/// After the line that starts with `marker` at or after `i` (for `=begin`/`=end`).
fn find_line(b: &[u8], i: usize, marker: &[u8]) -> usize {
    let mut j = i;
    let n = b.len();
    while j < n {
        let e = b[j..].iter().position(|&c| c == b'\n').map_or(n, |p| j + p);
        if b[j..e].starts_with(marker) && j != i {
            return (e + 1).min(n);
        }
        j = e + 1;
    }
    n
}

enum Open {
    Scope(usize),
    Other,
}

pub(crate) fn find(src: &str, lines: &Lines) -> Vec<Scope> {
    let b = src.as_bytes();
    let mut lx = Lexer { b, toks: Vec::with_capacity(b.len() / 5), heredocs: Vec::new() };
    lx.run(0, None, 0);
    let mut toks = lx.toks;
    assign_lines(&mut toks, lines);
    let word = |t: &Tok| t.text(src);
    let mut out: Vec<Scope> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut loop_line: Option<u32> = None;
    let n = toks.len();
    let mut i = 0;
    while i < n {
        let t = toks[i];
        if t.k != K::Ident {
            i += 1;
            continue;
        }
        let prev = i.checked_sub(1).map(|p| toks[p]);
        // Method calls (`x.end`, `Foo::new`) and labels (`if:`) are not keywords.
        if prev.is_some_and(|p| p.k == K::P(b'.') || p.k == K::PathSep) || toks.get(i + 1).is_some_and(|x| x.k == K::P(b':') && x.start == t.end) {
            i += 1;
            continue;
        }
        let stmt_start = match prev {
            None => true,
            Some(p) if p.k == K::P(b';') => true,
            Some(p) if t.nl() => !matches!(p.k, K::P(b',' | b'(' | b'[' | b'\\' | b'.' | b'+' | b'-' | b'*') | K::Op | K::Assign),
            Some(p) => {
                matches!(p.k, K::Assign | K::Op | K::P(b'(' | b'[' | b',' | b'!' | b'{' | b'|'))
                    || p.k == K::Ident && matches!(word(&p), "and" | "or" | "not" | "then" | "else" | "do" | "begin" | "in")
            }
        };
        match word(&t) {
            "def" => {
                // The name: `self.x`, `x`, `x=`, an operator.
                let mut j = i + 1;
                if toks.get(j).is_some_and(|x| x.k == K::Ident) && toks.get(j + 1).is_some_and(|x| x.k == K::P(b'.')) {
                    j += 2;
                }
                let name_tok = j.min(n - 1);
                let name = toks.get(j).map_or("", |x| x.text(src)).to_string();
                // Skip the parameter list (parenthesized) and look for `=`.
                let mut k = j + 1;
                if toks.get(k).is_some_and(|x| x.k == K::Assign && j < n && x.start == toks[j].end) {
                    k += 1; // setter name `x=`
                }
                let mut header_end = toks.get(j).map_or(t.line, |x| x.line);
                if toks.get(k).is_some_and(|x| x.k == K::P(b'(')) {
                    let mut d = 0i32;
                    while k < n {
                        match toks[k].k {
                            K::P(b'(') => d += 1,
                            K::P(b')') => {
                                d -= 1;
                                if d == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        k += 1;
                    }
                    header_end = toks.get(k).map_or(header_end, |x| x.line);
                    k += 1;
                }
                let endless = toks.get(k).is_some_and(|x| x.k == K::Assign && !x.nl());
                let kind = if stack
                    .iter()
                    .rev()
                    .find_map(|o| match o {
                        Open::Scope(s) => Some(out[*s].kind),
                        Open::Other => None,
                    })
                    .is_some_and(|k: ScopeKind| matches!(k, ScopeKind::Class | ScopeKind::Module))
                {
                    ScopeKind::Method
                } else {
                    ScopeKind::Function
                };
                out.push(Scope {
                    kind,
                    name,
                    start: t.line,
                    name_line: toks[name_tok].line,
                    header_end,
                    end: if endless { toks.get(k).map_or(t.line, |x| x.line) } else { lines.count() },
                    parent: None,
                });
                if endless {
                    // One line; extend to the end of that line's tokens.
                    let s = out.len() - 1;
                    let mut m = k;
                    while m + 1 < n && !toks[m + 1].nl() {
                        m += 1;
                    }
                    out[s].end = toks[m.min(n - 1)].line;
                } else {
                    stack.push(Open::Scope(out.len() - 1));
                }
                i = k.max(i + 1);
                continue;
            }
            "class" | "module" => {
                let kind = if word(&t) == "class" { ScopeKind::Class } else { ScopeKind::Module };
                let j = i + 1;
                let name = if toks.get(j).is_some_and(|x| x.k == K::Op && x.text(src) == "<<") {
                    "<< self".to_string()
                } else {
                    let mut e = j;
                    while e < n && (toks[e].k == K::Ident || toks[e].k == K::PathSep) && toks[e].line == t.line {
                        e += 1;
                    }
                    if e == j {
                        // `class` as a value (`x = class`) or a broken line.
                        i += 1;
                        continue;
                    }
                    src.get(toks[j].start as usize..toks[e - 1].end as usize).unwrap_or("").to_string()
                };
                out.push(Scope { kind, name, start: t.line, name_line: t.line, header_end: t.line, end: lines.count(), parent: None });
                stack.push(Open::Scope(out.len() - 1));
            }
            "begin" | "case" => stack.push(Open::Other),
            "do" => {
                if loop_line == Some(t.line) {
                    loop_line = None;
                } else {
                    stack.push(Open::Other);
                }
            }
            "if" | "unless" if stmt_start => stack.push(Open::Other),
            "while" | "until" if stmt_start => {
                stack.push(Open::Other);
                loop_line = Some(t.line);
            }
            "for" if stmt_start => {
                stack.push(Open::Other);
                loop_line = Some(t.line);
            }
            "end" => {
                if let Some(Open::Scope(s)) = stack.pop() {
                    out[s].end = t.line;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

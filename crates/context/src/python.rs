//! The Python scope finder: `def`, `async def` and `class` by indentation.
//!
//! One pass splits the text into logical lines (brackets and backslashes
//! continue a line; strings, triple-quoted ones included, and comments are
//! skipped), then an indentation stack opens a scope at each definition and
//! closes it at the first logical line indented no deeper. Decorators
//! directly above a definition belong to its header.

use crate::scope::{Scope, ScopeKind};
use crate::text::{Lines, indent_width};

/// One logical line.
struct Logical {
    first: u32,
    last: u32,
    indent: u32,
    /// Byte offset of the first code byte.
    at: usize,
    /// The header's `:` at bracket depth 0 (first one), and whether code
    /// follows it on the same logical line.
    colon_line: Option<u32>,
    code_after_colon: bool,
}

pub(crate) fn find(src: &str, lines: &Lines) -> Vec<Scope> {
    let logical = split(src, lines);
    let b = src.as_bytes();
    let mut out: Vec<Scope> = Vec::new();
    // (indent, scope index)
    let mut stack: Vec<(u32, usize)> = Vec::new();
    let mut decorators: Option<(u32, u32)> = None; // (indent, first line)
    let mut prev_last = 0u32;
    for l in &logical {
        while let Some(&(ind, s)) = stack.last() {
            if ind >= l.indent {
                out[s].end = prev_last.max(out[s].header_end);
                stack.pop();
            } else {
                break;
            }
        }
        let rest = &b[l.at..];
        if rest.first() == Some(&b'@') {
            if decorators.is_none_or(|(ind, _)| ind != l.indent) {
                decorators = Some((l.indent, l.first));
            }
            prev_last = l.last;
            continue;
        }
        let (kind, name_at) = if let Some(r) = keyword(rest, b"def") {
            (ScopeKind::Function, r)
        } else if let Some(r) = keyword(rest, b"async").and_then(|r| keyword(&rest[r..], b"def").map(|d| r + d)) {
            (ScopeKind::Function, r)
        } else if let Some(r) = keyword(rest, b"class") {
            (ScopeKind::Class, r)
        } else {
            decorators = None;
            prev_last = l.last;
            continue;
        };
        let name_start = l.at + name_at;
        let name_end = name_start + b[name_start..].iter().take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80).count();
        let name = src.get(name_start..name_end).unwrap_or("").to_string();
        let start = match decorators.take() {
            Some((ind, first)) if ind == l.indent => first,
            _ => l.first,
        };
        let kind = match (kind, stack.last()) {
            (ScopeKind::Function, Some(&(_, p))) if out[p].kind == ScopeKind::Class => ScopeKind::Method,
            (k, _) => k,
        };
        let header_end = l.colon_line.unwrap_or(l.last);
        let inline = l.code_after_colon;
        out.push(Scope {
            kind,
            name,
            start,
            name_line: lines.line_of(name_start as u32),
            header_end: if inline { l.last } else { header_end },
            end: l.last,
            parent: None,
        });
        if !inline {
            stack.push((l.indent, out.len() - 1));
        }
        prev_last = l.last;
    }
    for (_, s) in stack {
        out[s].end = prev_last.max(out[s].header_end);
    }
    out
}

/// When `rest` starts with keyword `kw` and whitespace, the offset after them.
fn keyword(rest: &[u8], kw: &[u8]) -> Option<usize> {
    if !rest.starts_with(kw) {
        return None;
    }
    let ws = rest[kw.len()..].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    (ws > 0).then_some(kw.len() + ws)
}

/// Splits `src` into logical lines with code (blank and comment-only lines
/// are left out).
fn split(src: &str, lines: &Lines) -> Vec<Logical> {
    let b = src.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0usize;
    let mut depth = 0u32;
    let mut cur: Option<Logical> = None;
    let mut line = 1u32;
    let mut line_start = 0usize;
    let mut continued = false;
    while i < n {
        let c = b[i];
        match c {
            b'\n' => {
                if depth == 0
                    && !continued
                    && let Some(l) = cur.take()
                {
                    out.push(l);
                }
                continued = false;
                i += 1;
                line += 1;
                line_start = i;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\\' if matches!(b.get(i + 1), Some(b'\n')) || b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => {
                continued = true;
                i += 1;
                continue;
            }
            _ => {}
        }
        // A code byte: start a logical line if none is open.
        let l = cur.get_or_insert_with(|| Logical {
            first: line,
            last: line,
            indent: src.get(line_start..i).map_or(0, indent_width),
            at: i,
            colon_line: None,
            code_after_colon: false,
        });
        if l.colon_line.is_some() {
            l.code_after_colon = true;
        }
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b':' if depth == 0 => {
                if l.colon_line.is_none() && !matches!(b.get(i + 1), Some(b'=')) {
                    l.colon_line = Some(line);
                    l.code_after_colon = false;
                }
                i += 1;
            }
            b'"' | b'\'' => {
                let e = string_end(b, i);
                // Count the line breaks inside (triple-quoted strings).
                line += b[i..e].iter().filter(|&&x| x == b'\n').count() as u32;
                if let Some(nl) = b[i..e].iter().rposition(|&x| x == b'\n') {
                    line_start = i + nl + 1;
                }
                i = e;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                let s = i;
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                    i += 1;
                }
                // A string prefix (r, b, f, u, rb, fr …) glued to a quote.
                if i - s <= 2 && matches!(b.get(i), Some(b'"' | b'\'')) && b[s..i].iter().all(|x| b"rRbBfFuU".contains(x)) {
                    let e = string_end(b, i);
                    line += b[i..e].iter().filter(|&&x| x == b'\n').count() as u32;
                    if let Some(nl) = b[i..e].iter().rposition(|&x| x == b'\n') {
                        line_start = i + nl + 1;
                    }
                    i = e;
                }
            }
            _ => i += 1,
        }
        if let Some(l) = cur.as_mut() {
            l.last = line;
        }
    }
    if let Some(l) = cur.take() {
        out.push(l);
    }
    let _ = lines;
    out
}

/// End of the string literal whose opening quote is at `i`.
fn string_end(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let n = b.len();
    if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
        let mut j = i + 3;
        while j < n {
            if b[j] == b'\\' {
                j += 2;
                continue;
            }
            if b[j] == q && b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
                return j + 3;
            }
            j += 1;
        }
        return n;
    }
    let mut j = i + 1;
    while j < n {
        match b[j] {
            b'\\' => j += 2,
            b'\n' => return j,
            x if x == q => return j + 1,
            _ => j += 1,
        }
    }
    n
}

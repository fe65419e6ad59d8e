//! Scope finders for non-code files that still have a structure a reviewer
//! looks up: Markdown headings (a section runs to the next heading of the same
//! or a higher level), YAML keys that hold nested content (by indentation),
//! and TOML tables (to the next table header).

use crate::scope::{Scope, ScopeKind};
use crate::text::{Lines, indent_width};

fn scope(kind: ScopeKind, name: &str, line: u32, end: u32) -> Scope {
    let mut name = name.trim().to_string();
    if name.len() > 100 {
        let mut cut = 100;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
        name.push('…');
    }
    Scope { kind, name, start: line, name_line: line, header_end: line, end, parent: None }
}

pub(crate) fn markdown(src: &str, lines: &Lines) -> Vec<Scope> {
    let mut out = Vec::new();
    // (level, scope index)
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut fence: Option<&str> = None;
    let count = lines.count();
    for n in 1..=count {
        let l = lines.line(src, n);
        let t = l.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if t.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        if indent_width(l) >= 4 {
            continue;
        }
        let level = t.bytes().take_while(|&c| c == b'#').count();
        if level == 0 || level > 6 || !matches!(t.as_bytes().get(level), Some(b' ' | b'\t') | None) {
            continue;
        }
        while let Some(&(lv, s)) = open.last() {
            if lv >= level {
                let sc: &mut Scope = &mut out[s];
                sc.end = n - 1;
                open.pop();
            } else {
                break;
            }
        }
        out.push(scope(ScopeKind::Section, t.trim_start_matches('#').trim_end_matches('#'), n, count));
        open.push((level, out.len() - 1));
    }
    out
}

pub(crate) fn yaml(src: &str, lines: &Lines) -> Vec<Scope> {
    let mut out: Vec<Scope> = Vec::new();
    // (indent, scope index)
    let mut open: Vec<(u32, usize)> = Vec::new();
    let mut last_content = 0u32;
    // Lines indented deeper than this belong to a block scalar.
    let mut scalar: Option<u32> = None;
    let count = lines.count();
    for n in 1..=count {
        let l = lines.line(src, n);
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = indent_width(l);
        if let Some(s) = scalar {
            if ind > s {
                last_content = n;
                continue;
            }
            scalar = None;
        }
        if t == "---" || t == "..." {
            for (_, s) in open.drain(..) {
                out[s].end = last_content.max(out[s].start);
            }
            last_content = n;
            continue;
        }
        while let Some(&(i, s)) = open.last() {
            if i >= ind {
                let sc: &mut Scope = &mut out[s];
                sc.end = last_content.max(sc.start);
                open.pop();
            } else {
                break;
            }
        }
        last_content = n;
        // `key:` (or `- key:`) with nested content, or a block scalar.
        let body = t.strip_prefix("- ").unwrap_or(t);
        let body_ind = ind + (t.len() - body.len()) as u32;
        let Some((key, rest)) = split_key(body) else {
            continue;
        };
        let rest = rest.split(" #").next().unwrap_or("").trim();
        if rest.is_empty() {
            out.push(scope(ScopeKind::Key, key, n, count));
            open.push((body_ind, out.len() - 1));
        } else if rest.starts_with('|') || rest.starts_with('>') {
            out.push(scope(ScopeKind::Key, key, n, count));
            open.push((body_ind, out.len() - 1));
            scalar = Some(body_ind);
        }
    }
    for (_, s) in open {
        out[s].end = last_content.max(out[s].start);
    }
    out
}

/// `key: rest` for a plain or quoted key.
fn split_key(t: &str) -> Option<(&str, &str)> {
    let b = t.as_bytes();
    let end = if matches!(b.first(), Some(b'"' | b'\'')) {
        let q = b[0];
        1 + b[1..].iter().position(|&c| c == q)? + 1
    } else {
        b.iter().position(|&c| c == b':' || c == b'#' || c == b'{' || c == b'[')?
    };
    if b.get(end) != Some(&b':') || !matches!(b.get(end + 1), None | Some(b' ' | b'\t')) {
        return None;
    }
    Some((&t[..end], &t[end + 1..]))
}

pub(crate) fn toml(src: &str, lines: &Lines) -> Vec<Scope> {
    let mut out: Vec<Scope> = Vec::new();
    let mut in_string: Option<&str> = None;
    let count = lines.count();
    let mut last_content = 0u32;
    for n in 1..=count {
        let l = lines.line(src, n);
        if let Some(q) = in_string {
            if l.matches(q).count() % 2 == 1 {
                in_string = None;
            }
            last_content = n;
            continue;
        }
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        for q in ["\"\"\"", "'''"] {
            if t.matches(q).count() % 2 == 1 {
                in_string = Some(q);
            }
        }
        if t.starts_with('[') && in_string.is_none() {
            if let Some(prev) = out.last_mut() {
                prev.end = last_content.max(prev.start);
            }
            let name = t.split('#').next().unwrap_or(t).trim();
            out.push(scope(ScopeKind::Key, name, n, count));
        }
        last_content = n;
    }
    if let Some(prev) = out.last_mut() {
        prev.end = last_content.max(prev.start);
    }
    out
}

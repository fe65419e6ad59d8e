//! Line bookkeeping shared by the scope finders and the renderer: where each
//! 1-based line starts, which lines are blank, and a line's text without its
//! line break.

/// Byte offsets of line starts, and which lines hold only whitespace.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lines {
    /// `starts[i]` is the byte offset of line `i + 1`.
    starts: Vec<u32>,
    /// `blank_before[i]`: blank (whitespace-only) lines among lines `1..=i`.
    blank_prefix: Vec<u32>,
    len: u32,
}

impl Lines {
    /// Indexes `text` (`\n` line breaks; a `\r` before them stays part of the
    /// line's text and is trimmed by [`Lines::line`]). A text longer than
    /// `u32::MAX` bytes is indexed up to that point.
    pub(crate) fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let len = b.len().min(u32::MAX as usize);
        let mut starts = Vec::with_capacity(len / 32 + 1);
        let mut blank_prefix = Vec::with_capacity(len / 32 + 1);
        let mut blanks = 0u32;
        let mut start = 0usize;
        loop {
            let end = memchr::memchr(b'\n', &b[start..len]).map_or(len, |p| start + p);
            starts.push(start as u32);
            // Blank: only indentation before the break (the scan stops at
            // the first other byte, so it costs the indentation only).
            if b[start..end].iter().all(|c| c.is_ascii_whitespace()) {
                blanks += 1;
            }
            blank_prefix.push(blanks);
            if end >= len {
                break;
            }
            start = end + 1;
            if start >= len {
                // A final line break ends the last line; no empty line after it.
                break;
            }
        }
        Lines { starts, blank_prefix, len: len as u32 }
    }

    /// Number of lines (a text ending with `\n` has no empty last line).
    pub(crate) fn count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// Byte offset where 1-based line `n` starts (`u32::MAX` past the end).
    pub(crate) fn range_start(&self, n: u32) -> u32 {
        n.checked_sub(1).and_then(|i| self.starts.get(i as usize)).copied().unwrap_or(u32::MAX)
    }

    /// 1-based line of byte `offset` (offsets past the end map to the last line).
    pub(crate) fn line_of(&self, offset: u32) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i.max(1) as u32,
        }
    }

    /// Byte range of 1-based line `n` without its `\n` and a `\r` before it.
    pub(crate) fn range(&self, text: &str, n: u32) -> Option<(usize, usize)> {
        let i = n.checked_sub(1)? as usize;
        let start = *self.starts.get(i)? as usize;
        let mut end = self.starts.get(i + 1).map_or(self.len as usize, |&s| s as usize - 1);
        let b = text.as_bytes();
        // The last line of a text ending with a line break.
        if end > start && b.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && b.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some((start, end.max(start)))
    }

    /// Text of 1-based line `n` (empty when out of range).
    pub(crate) fn line<'t>(&self, text: &'t str, n: u32) -> &'t str {
        self.range(text, n).and_then(|(s, e)| text.get(s..e)).unwrap_or("")
    }

    /// Whether any line strictly between lines `a` and `b` is blank.
    pub(crate) fn blank_between(&self, a: u32, b: u32) -> bool {
        if b <= a + 1 {
            return false;
        }
        let at = |n: u32| self.blank_prefix.get(n as usize - 1).copied().unwrap_or(0);
        at(b - 1) > at(a)
    }
}

/// Width of a line's leading whitespace, tabs counted to the next multiple of 8
/// (Python's rule; good enough for every indentation-based guess).
pub(crate) fn indent_width(line: &str) -> u32 {
    let mut w = 0u32;
    for c in line.bytes() {
        match c {
            b' ' => w += 1,
            b'\t' => w = (w / 8 + 1) * 8,
            b'\x0c' => w = 0,
            _ => break,
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_offsets() {
        let u = "x\ny\n";
        assert_eq!(Lines::new(u).line(u, 2), "y");
        let t = "a\n\n  \nbc\r\nd";
        let l = Lines::new(t);
        assert_eq!(l.count(), 5);
        assert_eq!(l.line(t, 4), "bc");
        assert_eq!(l.line(t, 5), "d");
        assert_eq!(l.line(t, 6), "");
        assert_eq!(l.line_of(0), 1);
        assert_eq!(l.line_of(2), 2);
        assert_eq!(l.line_of(7), 4);
        assert!(l.blank_between(1, 4));
        assert!(!l.blank_between(3, 4));
        assert_eq!(Lines::new("x\n").count(), 1);
        assert_eq!(Lines::new("").count(), 1);
    }
}

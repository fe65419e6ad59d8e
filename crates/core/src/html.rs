//! HTML escaping for the server-rendered pages (the status page, setup and the
//! dashboard): text and attribute values, OWASP's five characters.

/// Escapes `s` for HTML text and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_five_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(super::escape(r#"<a href="x">Tom & 'Jerry' é</a>"#), "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39; é&lt;/a&gt;");
    }
}

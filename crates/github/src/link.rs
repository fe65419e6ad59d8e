//! Parsing of GitHub's `Link` pagination header, e.g.
//! `<https://api.github.com/…&page=2>; rel="next", <…&page=5>; rel="last"`.
//! See <https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api>.
//! RFC 8288 allows several relation types in one `rel` (`rel="next last"`), unquoted
//! values, other parameters and commas inside the `<…>` target, so the parser
//! splits on commas only outside angle brackets and quotes.

/// The target of the first link whose `rel` includes `next`, if any.
pub fn next_link(header: &str) -> Option<String> {
    links(header).into_iter().find(|(_, rels)| rels.iter().any(|r| r.eq_ignore_ascii_case("next"))).map(|(u, _)| u)
}

/// Every `(target, rel values)` pair of a `Link` header; malformed parts are skipped.
pub fn links(header: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for part in split_outside(header, ',') {
        let part = part.trim();
        let Some(rest) = part.strip_prefix('<') else { continue };
        let Some(end) = rest.find('>') else { continue };
        let target = rest[..end].trim().to_string();
        let mut rels = Vec::new();
        for param in split_outside(&rest[end + 1..], ';') {
            let Some((name, value)) = param.split_once('=') else { continue };
            if !name.trim().eq_ignore_ascii_case("rel") {
                continue;
            }
            let value = value.trim().trim_matches('"');
            rels.extend(value.split_ascii_whitespace().map(str::to_string));
        }
        out.push((target, rels));
    }
    out
}

fn split_outside(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_angle, mut in_quote, mut start) = (false, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            '"' if !in_angle => in_quote = !in_quote,
            c if c == sep && !in_angle && !in_quote => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_table() {
        let cases: &[(&str, Option<&str>)] = &[
            // GitHub's own example from the pagination docs.
            (
                r#"<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", <https://api.github.com/repositories/1300192/issues?page=4>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last", <https://api.github.com/repositories/1300192/issues?page=1>; rel="first""#,
                Some("https://api.github.com/repositories/1300192/issues?page=4"),
            ),
            (r#"<https://x/a?page=1>; rel="first", <https://x/a?page=3>; rel="prev""#, None),
            ("", None),
            ("garbage", None),
            // Several relations in one value, unquoted value, extra parameters, odd spacing.
            (r#"<https://x/a?page=9>; rel="next last""#, Some("https://x/a?page=9")),
            ("<https://x/a?page=2>;rel=next", Some("https://x/a?page=2")),
            (r#"<https://x/a?page=2> ; title="a, b; c" ; rel="NEXT""#, Some("https://x/a?page=2")),
            // A comma inside the target must not split it.
            (r#"<https://x/a?ids=1,2&page=2>; rel="next""#, Some("https://x/a?ids=1,2&page=2")),
            // A part without `rel`, or without brackets, is skipped; the next one is still found.
            (r#"<https://x/norel>, https://x/bare; rel="next", <https://x/ok>; rel="next""#, Some("https://x/ok")),
        ];
        for (header, want) in cases {
            assert_eq!(next_link(header).as_deref(), *want, "{header}");
        }
    }

    proptest::proptest! {
        /// Arbitrary header text never panics.
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = next_link(&s);
        }

        /// A header built from GitHub's parts always yields its `next` target, whatever
        /// the order of the relations.
        #[test]
        fn finds_next_among_shuffled_relations(page in 2u32..10_000, rot in 0usize..4) {
            let mut parts = [
                format!("<https://api.github.com/x?page={}>; rel=\"next\"", page),
                "<https://api.github.com/x?page=1>; rel=\"first\"".to_string(),
                "<https://api.github.com/x?page=99999>; rel=\"last\"".to_string(),
                "<https://api.github.com/x?page=1>; rel=\"prev\"".to_string(),
            ];
            parts.rotate_left(rot);
            let want = format!("https://api.github.com/x?page={}", page);
            proptest::prop_assert_eq!(next_link(&parts.join(", ")), Some(want));
        }
    }
}

//! Quoting for the shell commands the setup page prints.

/// `s` as one POSIX shell word: inside single quotes, each `'` written as `'\''`.
/// Newlines stay as they are (a PEM is several lines).
pub fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::single_quote;

    #[test]
    fn quotes_survive_the_shell() {
        assert_eq!(single_quote("abc"), "'abc'");
        assert_eq!(single_quote("it's"), r"'it'\''s'");
        assert_eq!(single_quote("a\nb $X `y`"), "'a\nb $X `y`'");
    }
}

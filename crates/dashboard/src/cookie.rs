//! `Cookie` parsing and `Set-Cookie` values. Every cookie ArgusAI sets is
//! `HttpOnly` (scripts never need it), `Secure` (browsers treat `localhost` and
//! `127.0.0.1` as secure too, so local runs work) and `SameSite=Lax`: sent on
//! the top-level GET that brings a maintainer back from GitHub, never on a
//! cross-site POST (<https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis>).

/// `Set-Cookie` for `name=value` living `max_age_secs`.
pub fn set(name: &str, value: &str, max_age_secs: u64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age_secs}")
}

/// `Set-Cookie` that deletes `name`.
pub fn clear(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0")
}

/// Every value of `name` in a `Cookie` header, in order (a browser may send
/// two cookies of one name set for different paths; callers try each).
pub fn values<'a>(header: &'a str, name: &str) -> Vec<&'a str> {
    header
        .split(';')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_build() {
        assert_eq!(values("a=1; argus_session=v1.x.y; b=2", "argus_session"), ["v1.x.y"]);
        assert_eq!(values("argus_session=one;argus_session=\"two\"", "argus_session"), ["one", "two"]);
        assert!(values("xargus_session=1", "argus_session").is_empty());
        assert_eq!(set("s", "v", 60), "s=v; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=60");
        assert!(clear("s").ends_with("Max-Age=0"));
    }
}

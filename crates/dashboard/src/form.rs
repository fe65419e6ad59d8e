//! `application/x-www-form-urlencoded`, both ways: the dashboard's own forms
//! come in that way, and GitHub's OAuth token endpoint takes it
//! (<https://url.spec.whatwg.org/#application/x-www-form-urlencoded>).

/// Percent-encodes one component (unreserved characters stay as they are).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// Decodes a body or query string into pairs; malformed escapes are kept as text.
pub fn decode(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (component(k), component(v))
        })
        .collect()
}

/// The first value of `name`.
pub fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let pairs = [("a b", "x&y=z"), ("csrf", "AbC-_~"), ("n", "ünï")];
        let body = encode_pairs(&pairs);
        assert_eq!(body, "a%20b=x%26y%3Dz&csrf=AbC-_~&n=%C3%BCn%C3%AF");
        let back = decode(&body);
        assert_eq!(back, pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>());
        assert_eq!(
            decode("a=1+2&b=%zz&c=%4&d"),
            [("a".into(), "1 2".into()), ("b".into(), "%zz".into()), ("c".into(), "%4".into()), ("d".into(), String::new())]
        );
        assert_eq!(get(&decode("x=1&x=2"), "x"), Some("1"));
    }
}

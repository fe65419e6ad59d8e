//! The pages' frame: escaping, one small inline stylesheet (no external
//! assets, readable on a phone, light and dark, visible focus, contrast of at
//! least 4.5:1 for text), the layout with a skip link, and the response
//! headers every page carries. Pages are plain string building: no template
//! engine in the Worker.

use std::fmt::Write;

pub use argus_core::html::escape as esc;

const CSS: &str = ":root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--link:#0550ae;--focus:#0969da;--ok:#1a7f37;--bad:#cf222e;--warn:#8a5a00;--panel:#f6f8fa}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--link:#58a6ff;--focus:#58a6ff;--ok:#3fb950;--bad:#ff7b72;--warn:#d29922;--panel:#161b22}}\
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem}\
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;border-bottom:1px solid var(--line)}\
header .brand{font-weight:700;text-decoration:none;color:var(--fg)}main{max-width:68rem;margin:0 auto;padding:1rem}\
a{color:var(--link)}:focus-visible{outline:3px solid var(--focus);outline-offset:2px}\
h1{font-size:1.5rem;margin:.25rem 0 1rem;overflow-wrap:anywhere}h2{font-size:1.2rem;margin:1.75rem 0 .5rem}\
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}table{border-collapse:collapse;width:100%;font-size:.9rem}\
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}th{font-weight:600}td.num,th.num{text-align:right;white-space:nowrap}\
code,pre,textarea{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875em}code{background:var(--panel);padding:.1em .3em;border-radius:4px;overflow-wrap:anywhere}td code{overflow-wrap:normal;white-space:nowrap}\
pre{background:var(--panel);padding:.75rem;border-radius:6px;overflow-x:auto}\
.muted{color:var(--muted)}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}\
.notice{border-left:4px solid var(--focus);background:var(--panel);padding:.5rem 1rem;margin:1rem 0}.notice.bad{border-color:var(--bad);color:inherit}\
button{font:inherit;min-height:44px;padding:.5rem 1rem;border-radius:6px;border:1px solid var(--line);background:var(--panel);color:var(--fg);cursor:pointer}\
button.primary{background:#1a7f37;border-color:#1a7f37;color:#fff}form.inline{display:inline-block;margin:0 .5rem .5rem 0}\
label{display:block;font-weight:600;margin:1rem 0 .25rem}fieldset{border:1px solid var(--line);border-radius:6px;margin:1rem 0;padding:.5rem 1rem}legend{font-weight:600}\
fieldset label{display:inline;font-weight:400;margin:0 1rem 0 .25rem}\
input[type=text],input[type=search]{font:inherit;padding:.5rem;width:100%;max-width:30rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}\
.hint{color:var(--muted);font-size:.9rem;margin:.25rem 0}dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}";

/// The signed-in user shown in the header, with a CSRF-protected sign-out form.
pub struct Viewer<'a> {
    pub login: &'a str,
    pub csrf: &'a str,
}

/// A whole page. `body` is trusted HTML built by the page functions (every
/// value in it already escaped).
pub fn layout(title: &str, viewer: Option<&Viewer<'_>>, body: &str) -> String {
    let mut h = String::with_capacity(body.len() + CSS.len() + 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"same-origin\"><title>{} · ArgusAI</title><style>{CSS}</style></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to content</a><header><a class=\"brand\" href=\"/dashboard\">ArgusAI</a>",
        esc(title)
    );
    if let Some(v) = viewer {
        let _ = write!(
            h,
            "<form class=\"inline\" method=\"post\" action=\"/auth/logout\"><span class=\"muted\">Signed in as <strong>{}</strong></span> \
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></form>",
            esc(v.login),
            esc(v.csrf)
        );
    }
    let _ = write!(h, "</header><main id=\"main\">{body}</main></body></html>");
    h
}

/// Headers for every HTML page: no caching (pages show private data and
/// one-time secrets), no framing, no scripts at all, forms only to this origin
/// and to `form_target` (GitHub's App registration page, for `/setup`).
/// Referrers stay on this origin (`same-origin`): `/setup?token=…` never leaks
/// to GitHub, while same-origin form posts keep their `Origin` header, which
/// the action route checks (`no-referrer` would make browsers send `Origin: null`,
/// <https://fetch.spec.whatwg.org/#origin-header>).
pub fn page_headers(form_target: Option<&str>) -> Vec<(&'static str, String)> {
    let forms = match form_target {
        Some(t) => format!("'self' {}", origin_of(t)),
        None => "'self'".to_string(),
    };
    vec![
        ("content-type", "text/html; charset=utf-8".into()),
        ("cache-control", "no-store".into()),
        (
            "content-security-policy",
            format!(
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action {forms}; base-uri 'none'; frame-ancestors 'none'"
            ),
        ),
        ("x-content-type-options", "nosniff".into()),
        ("referrer-policy", "same-origin".into()),
        ("x-frame-options", "DENY".into()),
    ]
}

/// `https://host:port` of a URL (what a CSP source names).
pub fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// "3 min ago" from millisecond times.
pub fn ago(now_ms: u64, t_ms: u64) -> String {
    let secs = now_ms.saturating_sub(t_ms) / 1000;
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// A SHA's first 7 characters in a code span.
pub fn sha(s: Option<&str>) -> String {
    match s {
        Some(s) if !s.is_empty() => format!("<code>{}</code>", esc(&s[..s.len().min(7)])),
        _ => "–".into(),
    }
}

pub fn opt_num(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "–".into())
}

/// Micro-dollars as `$0.0012`.
pub fn cost(micro: Option<u64>) -> String {
    match micro {
        Some(m) => format!("${:.4}", m as f64 / 1e6),
        None => "–".into(),
    }
}

pub fn duration(ms: Option<u64>) -> String {
    match ms {
        Some(ms) if ms >= 10_000 => format!("{:.0} s", ms as f64 / 1000.0),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
        None => "–".into(),
    }
}

/// A table in a horizontally scrolling box (wide tables stay usable on a
/// phone), with a caption for screen readers. `cells` are trusted HTML.
pub fn table(caption: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut h = format!("<div class=\"scroll\"><table><caption class=\"skip\">{}</caption><thead><tr>", esc(caption));
    for head in headers {
        let class = if head.starts_with('#') { " class=\"num\"" } else { "" };
        let _ = write!(h, "<th scope=\"col\"{class}>{}</th>", esc(head.trim_start_matches('#')));
    }
    h.push_str("</tr></thead><tbody>");
    for row in rows {
        h.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if headers.get(i).is_some_and(|h| h.starts_with('#')) { " class=\"num\"" } else { "" };
            let _ = write!(h, "<td{class}>{cell}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_formatting() {
        assert_eq!(esc("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
        assert_eq!(origin_of("https://github.com/settings/apps/new?state=1"), "https://github.com");
        assert_eq!(origin_of("http://127.0.0.1:8788/organizations/o/settings/apps/new"), "http://127.0.0.1:8788");
        assert_eq!(cost(Some(1234)), "$0.0012");
        assert_eq!((duration(Some(1500)), duration(Some(61_000))), ("1.5 s".to_string(), "61 s".to_string()));
        assert_eq!(sha(Some("0123456789abcdef")), "<code>0123456</code>");
        assert_eq!(ago(120_000, 0), "2 min ago");
    }

    #[test]
    fn the_layout_is_accessible_and_self_contained() {
        let page = layout("A <title>", Some(&Viewer { login: "al\"ice", csrf: "t" }), "<p>x</p>");
        for must in [
            "<html lang=\"en\">",
            "name=\"viewport\"",
            "<title>A &lt;title&gt; · ArgusAI</title>",
            "href=\"#main\"",
            "<main id=\"main\">",
            "al&quot;ice",
        ] {
            assert!(page.contains(must), "{must}");
        }
        for never in ["<script", "http://", "https://", "@import", "url("] {
            assert!(!page.contains(never), "{never}");
        }
    }
}

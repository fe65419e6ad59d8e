//! Prints the figures of the redactor and the input tripwire, the same ones the tests
//! assert on: recall per secret kind on the generated corpus (and every miss), every
//! redaction on the 360 real diffs (file, line, kind, shape; never a value), and the
//! tripwire's hits on the real diffs and on the real pull request texts.
//!
//! Run: `cargo run -p argus-review --example security_figures`

// The tests' own modules, so the example prints exactly what they assert on.
#[path = "../tests/redaction/corpus.rs"]
mod corpus;
#[path = "../tests/redaction/figures.rs"]
mod figures;

use argus_diff::diff::parse_unified;
use argus_review::tripwire::{TextSource, diff_hits, scan_text};
use figures::{real_diffs, real_redactions, real_table, recall, recall_table};

fn main() {
    print!("{}", recall_table(&recall()));
    println!();
    print!("{}", real_table(&real_redactions()));
    println!();
    let diffs = real_diffs();
    let mut hits = Vec::new();
    for (name, text) in &diffs {
        let parsed = parse_unified(text);
        hits.extend(diff_hits(&parsed.files).iter().map(|h| format!("{name}: {}", h.describe())));
    }
    println!("tripwire hits on {} real diffs (none holds an injection): {}", diffs.len(), hits.len());
    for h in &hits {
        println!("  {h}");
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/webhooks");
    let mut payloads: Vec<_> = std::fs::read_dir(&dir).expect("webhook corpus").map(|e| e.expect("entry").path()).collect();
    payloads.sort();
    let (mut texts, mut text_hits) = (0, Vec::new());
    for p in &payloads {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).expect("payload")).expect("JSON payload");
        for (source, ptr) in
            [(TextSource::Title, "/pull_request/title"), (TextSource::Description, "/pull_request/body"), (TextSource::Description, "/comment/body")]
        {
            if let Some(s) = v.pointer(ptr).and_then(|x| x.as_str()) {
                texts += 1;
                text_hits.extend(scan_text(source, s).iter().map(|h| h.describe()));
            }
        }
    }
    println!("tripwire hits on {texts} real titles, descriptions and comments: {}", text_hits.len());
    for h in &text_hits {
        println!("  {h}");
    }
}

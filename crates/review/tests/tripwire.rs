//! Prompt-injection tripwires, driven by fixture files:
//! - `fixtures/injection/attempts/*.txt`: injection attempts (several human languages,
//!   comments in several programming languages, strings, Markdown, HTML comments,
//!   zero-width and tag characters, homoglyphs, base64, split over lines), each with the
//!   lines and intents it must be reported with;
//! - `fixtures/injection/benign/*.txt`: near misses that must not trigger;
//! - `fixtures/injection/output/{steering,benign}.txt`: model output to discard or keep.
//!
//! Attempt and benign files start with a header (`source:` diff, title, description or
//! commit; `lines:`; `intents:`; optional `hidden: yes`, `encoded: yes`) ended by `----`.
//! For a diff the content is a hunk body (`+` added, ` ` context lines, new file numbered
//! from 1). Output files hold cases opened by `=== name finding|summary [reason]`; a
//! finding's first line is `title: …`, and `--- replacement` starts its replacement.
//!
//! Also measured: hits on the 360 real diffs and on the real pull request titles and
//! descriptions of the webhook corpus (printed, and required to be none).

use argus_diff::diff::parse_unified;
use argus_review::contract::{Category, Finding, Severity, Side};
use argus_review::tripwire::{FINDING_TITLE, Hit, Intent, Steering, TextSource, diff_hits, scan_diff, scan_text, screen_output, steering};
use std::path::{Path, PathBuf};

fn fixture_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/injection").join(sub)
}

fn files(sub: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(fixture_dir(sub))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

struct Case {
    source: String,
    lines: Option<(u32, u32)>,
    intents: Vec<Intent>,
    hidden: bool,
    encoded: bool,
    content: String,
}

fn intent(name: &str) -> Intent {
    serde_json::from_value(serde_json::Value::String(name.trim().to_owned())).unwrap_or_else(|e| panic!("intent {name:?}: {e}"))
}

fn parse_case(text: &str) -> Case {
    let (header, content) = text.split_once("\n----\n").expect("a header ended by ----");
    let mut case = Case { source: String::new(), lines: None, intents: Vec::new(), hidden: false, encoded: false, content: content.to_owned() };
    for line in header.lines() {
        let (k, v) = line.split_once(':').expect("header lines are `key: value`");
        let v = v.trim();
        match k {
            "source" => case.source = v.to_owned(),
            "lines" => {
                let (a, b) = v.split_once('-').unwrap_or((v, v));
                case.lines = Some((a.parse().unwrap(), b.parse().unwrap()));
            }
            "intents" => case.intents = v.split(',').map(intent).collect(),
            "hidden" => case.hidden = v == "yes",
            "encoded" => case.encoded = v == "yes",
            other => panic!("unknown header {other}"),
        }
    }
    case
}

/// A one-file diff whose hunk body is `body`.
fn diff_of(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let old = lines.iter().filter(|l| !l.starts_with('+')).count();
    let new = lines.iter().filter(|l| !l.starts_with('-')).count();
    format!("diff --git a/src/fixture.txt b/src/fixture.txt\n--- a/src/fixture.txt\n+++ b/src/fixture.txt\n@@ -1,{old} +1,{new} @@\n{body}")
}

fn hits_of(case: &Case) -> Vec<Hit> {
    match case.source.as_str() {
        "diff" => {
            let d = diff_of(&case.content);
            let parsed = parse_unified(&d);
            assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
            diff_hits(&parsed.files)
        }
        "title" => scan_text(TextSource::Title, &case.content),
        "description" => scan_text(TextSource::Description, &case.content),
        "commit" => scan_text(TextSource::CommitMessage { commit: "0123456789abcdef".into() }, &case.content),
        other => panic!("unknown source {other}"),
    }
}

/// Runs of three words of `content`, lowercased: none may appear in what ArgusAI posts.
fn phrases(content: &str) -> Vec<String> {
    let words: Vec<String> = content.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    words.windows(3).map(|w| w.join(" ")).collect()
}

#[test]
fn every_attempt_is_reported_once_on_its_lines_without_being_quoted() {
    let all = files("attempts");
    assert!(all.len() >= 30, "the corpus needs at least 30 attempts, has {}", all.len());
    let mut failures = Vec::new();
    for (name, text) in &all {
        let case = parse_case(text);
        let hits = hits_of(&case);
        let ok = hits.len() == 1
            && Some((*hits[0].lines.start(), *hits[0].lines.end())) == case.lines
            && hits[0].intents == case.intents
            && hits[0].hidden == case.hidden
            && hits[0].encoded == case.encoded;
        if !ok {
            failures.push(format!(
                "{name}: want lines {:?} {:?} hidden {} encoded {}, got {hits:?}",
                case.lines, case.intents, case.hidden, case.encoded
            ));
            continue;
        }
        // What is posted describes the text and never repeats it.
        let posted = match case.source.as_str() {
            "diff" => {
                let d = diff_of(&case.content);
                let parsed = parse_unified(&d);
                let f = scan_diff(&parsed.files);
                assert_eq!(f.len(), 1, "{name}");
                assert_eq!((f[0].side, f[0].category, f[0].title.as_str()), (Side::Right, Category::Security, FINDING_TITLE), "{name}");
                assert_eq!((f[0].start_line, f[0].end_line), (case.lines.filter(|(a, b)| a < b).map(|(a, _)| a), case.lines.unwrap().1), "{name}");
                format!("{}\n{}", f[0].title, f[0].body)
            }
            _ => hits[0].describe(),
        };
        // Our own wording may share words with the attempt ("note to AI reviewers"): only
        // phrases beyond it count.
        let template = phrases(&template_text());
        let ours: Vec<String> = phrases(&posted).into_iter().filter(|p| !template.contains(p)).collect();
        if let Some(p) = phrases(&case.content).into_iter().find(|p| ours.contains(p)) {
            failures.push(format!("{name}: the posted text repeats {p:?}: {posted}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} attempts:\n{}", failures.len(), all.len(), failures.join("\n"));
}

/// Everything ArgusAI itself writes about a hit, for every intent.
fn template_text() -> String {
    let all = [
        Intent::IgnoreInstructions,
        Intent::RevealPrompt,
        Intent::RolePlay,
        Intent::AddressedToAi,
        Intent::Approve,
        Intent::SuppressFindings,
        Intent::Contact,
        Intent::VisitLink,
        Intent::RunCommand,
    ];
    let hit = Hit { source: TextSource::Diff { path: "src/fixture.txt".into() }, lines: 1..=2, intents: all.to_vec(), hidden: true, encoded: true };
    let f = argus_review::tripwire::finding_for(&hit).unwrap();
    format!("{FINDING_TITLE}\n{}\n{}\nthe pull request's title description message of commit", f.body, hit.describe())
}

#[test]
fn near_misses_do_not_trigger() {
    let all = files("benign");
    assert!(all.len() >= 15);
    let mut failures = Vec::new();
    for (name, text) in &all {
        let case = parse_case(text);
        let hits = hits_of(&case);
        if !hits.is_empty() {
            failures.push(format!("{name}: {hits:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

struct OutCase {
    name: String,
    finding: Option<Finding>,
    summary: Option<String>,
    reason: Option<Steering>,
}

fn output_cases(file: &str) -> Vec<OutCase> {
    let text = std::fs::read_to_string(fixture_dir("output").join(file)).unwrap();
    let mut out = Vec::new();
    for block in text.split("\n=== ").skip(1) {
        let (head, body) = block.split_once('\n').unwrap_or((block, ""));
        let mut parts = head.split_whitespace();
        let name = parts.next().unwrap().to_owned();
        let kind = parts.next().unwrap();
        let reason = parts.next().map(|r| serde_json::from_value(serde_json::Value::String(r.to_owned())).unwrap());
        let (said, replacement) = match body.split_once("--- replacement\n") {
            Some((s, r)) => (s, Some(r.to_owned())),
            None => (body, None),
        };
        let case = match kind {
            "finding" => {
                let (title, rest) = said.split_once('\n').unwrap_or((said, ""));
                let title = title.strip_prefix("title: ").expect("a finding starts with `title: `");
                let finding = Finding {
                    path: "src/lib.rs".into(),
                    side: Side::Right,
                    start_line: None,
                    end_line: 3,
                    severity: Severity::Medium,
                    category: Category::Bug,
                    title: title.to_owned(),
                    body: rest.trim().to_owned(),
                    replacement,
                };
                OutCase { name, finding: Some(finding), summary: None, reason }
            }
            "summary" => OutCase { name, finding: None, summary: Some(said.trim().to_owned()), reason },
            other => panic!("{other}"),
        };
        out.push(case);
    }
    out
}

#[test]
fn model_output_that_steers_is_discarded_and_counted() {
    let cases = output_cases("steering.txt");
    assert!(cases.len() >= 15);
    let mut failures = Vec::new();
    for c in &cases {
        let mut findings: Vec<Finding> = c.finding.iter().cloned().collect();
        let mut summaries: Vec<String> = c.summary.iter().cloned().collect();
        let why = match (&c.finding, &c.summary) {
            (Some(f), _) if f.replacement.is_none() => steering(&format!("{}\n{}", f.title, f.body)),
            (_, Some(s)) => steering(s),
            _ => None,
        };
        let dropped = screen_output(&mut findings, &mut summaries);
        if dropped != 1 || (c.finding.as_ref().is_some_and(|f| f.replacement.is_none()) || c.summary.is_some()) && why != c.reason {
            failures.push(format!("{}: dropped {dropped}, reason {why:?}, want {:?}", c.name, c.reason));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // All at once: the count is the number of statements discarded.
    let mut findings: Vec<Finding> = cases.iter().filter_map(|c| c.finding.clone()).collect();
    let mut summaries: Vec<String> = cases.iter().filter_map(|c| c.summary.clone()).collect();
    assert_eq!(screen_output(&mut findings, &mut summaries), cases.len());
}

#[test]
fn ordinary_model_output_is_kept() {
    let cases = output_cases("benign.txt");
    assert!(cases.len() >= 10);
    let mut findings: Vec<Finding> = cases.iter().filter_map(|c| c.finding.clone()).collect();
    let mut summaries: Vec<String> = cases.iter().filter_map(|c| c.summary.clone()).collect();
    let kept_before = findings.len() + summaries.len();
    let dropped = screen_output(&mut findings, &mut summaries);
    let lost: Vec<&str> = cases
        .iter()
        .filter(|c| c.finding.as_ref().is_some_and(|f| !findings.contains(f)) || c.summary.as_ref().is_some_and(|s| !summaries.contains(s)))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(dropped, 0, "dropped {lost:?} of {kept_before}");
}

/// Hits on real data, which holds no injection: every hit is a false positive.
fn real_hits() -> (usize, Vec<String>, usize, Vec<String>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    let mut diffs: Vec<PathBuf> = std::fs::read_dir(dir.join("diffs/real")).unwrap().map(|e| e.unwrap().path()).collect();
    diffs.sort();
    let mut diff_hits_list = Vec::new();
    for p in &diffs {
        let text = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
        let parsed = parse_unified(&text);
        for h in diff_hits(&parsed.files) {
            diff_hits_list.push(format!("{}: {}", p.file_name().unwrap().to_string_lossy(), h.describe()));
        }
    }
    let mut texts = 0;
    let mut text_hits = Vec::new();
    let mut payloads: Vec<PathBuf> = std::fs::read_dir(dir.join("webhooks")).unwrap().map(|e| e.unwrap().path()).collect();
    payloads.sort();
    for p in &payloads {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        for (source, ptr) in
            [(TextSource::Title, "/pull_request/title"), (TextSource::Description, "/pull_request/body"), (TextSource::Description, "/comment/body")]
        {
            if let Some(s) = v.pointer(ptr).and_then(|x| x.as_str()) {
                texts += 1;
                for h in scan_text(source.clone(), s) {
                    text_hits.push(format!("{}: {}", p.file_name().unwrap().to_string_lossy(), h.describe()));
                }
            }
        }
    }
    (diffs.len(), diff_hits_list, texts, text_hits)
}

#[test]
fn real_diffs_and_pull_request_texts_raise_no_tripwire() {
    let (diffs, dh, texts, th) = real_hits();
    println!("tripwire hits on {diffs} real diffs: {}", dh.len());
    for h in &dh {
        println!("  {h}");
    }
    println!("tripwire hits on {texts} real titles, descriptions and comments: {}", th.len());
    for h in &th {
        println!("  {h}");
    }
    assert!(diffs >= 360 && texts >= 30, "corpus missing: {diffs} diffs, {texts} texts");
    assert!(dh.is_empty() && th.is_empty(), "false positives:\n{}\n{}", dh.join("\n"), th.join("\n"));
}

proptest::proptest! {
    #[test]
    fn odd_text_never_panics(s in "(\\PC|\n|\u{200B}|\u{E0041}|\u{202E}|忽略|指令|ignore|previous|instructions|AI|:|@|[A-Za-z0-9+/=]{20,40}|\u{FF29}|і){0,40}") {
        for source in [TextSource::Title, TextSource::Description] {
            for h in scan_text(source, &s) {
                proptest::prop_assert!(!h.intents.is_empty());
                proptest::prop_assert!(h.lines.start() <= h.lines.end());
            }
        }
        let _ = steering(&s);
        let mut findings = vec![Finding { path: "a".into(), side: Side::Right, start_line: None, end_line: 1, severity: Severity::Low, category: Category::Bug, title: "t".into(), body: s.clone(), replacement: Some(s.clone()) }];
        let mut summaries = vec![s.clone()];
        let dropped = screen_output(&mut findings, &mut summaries);
        proptest::prop_assert!(dropped <= 2);
    }
}

//! `argus eval`: ArgusAI scored against golden comments, by the offline code
//! review benchmark's method (argus-eval holds the pure parts). This module
//! does the IO: the dataset (a directory in the benchmark's format, or
//! `martian-offline` fetched from GitHub and cached under the user's cache
//! directory), a review of every PR with `argus review`'s engine (bounded
//! parallelism, results appended to a JSONL file so an interrupted run
//! resumes), the judge's calls, and the report.

use crate::Args;
use crate::native::{self, SystemClock, UreqHttp};
use crate::review;
use argus_core::http::{HttpClient, HttpRequest, Method};
use argus_eval::candidates::dedupe_groups;
use argus_eval::cheap;
use argus_eval::dataset::{GoldenPr, MARTIAN_GOLDEN_FILES, MARTIAN_REF, MARTIAN_REPO, PrUrl, parse_golden};
use argus_eval::judge::{JUDGE_SYSTEM, evaluate, judge_prompt, parse_verdict};
use argus_eval::report::{PrResult, Report, build_report, compare, read_jsonl, render};
use argus_eval::score::{PeerTallies, peer_tallies};
use argus_llm::{ChatRequest, LlmClient, LlmConfig, MemoryBreakerStore, Message};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// `argus eval`'s own options (the model and `--config` are shared with `argus review`).
#[derive(Debug)]
pub struct EvalArgs {
    pub dataset: Option<String>,
    pub out: Option<String>,
    pub judge_model: Option<String>,
    pub peers: Option<String>,
    pub label: String,
    pub compare: bool,
    pub cheap_only: bool,
    /// PRs reviewed at once. Two by default: GitHub Models' free tier allows 2–5
    /// concurrent requests, and each review may itself run a few in parallel.
    pub jobs: usize,
    pub limit: Option<usize>,
}

impl Default for EvalArgs {
    fn default() -> Self {
        Self {
            dataset: None,
            out: None,
            judge_model: None,
            peers: None,
            label: String::new(),
            compare: false,
            cheap_only: false,
            jobs: 2,
            limit: None,
        }
    }
}

/// The judge's answer is one short JSON object.
const JUDGE_MAX_OUTPUT: u32 = 300;

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.trim().is_empty())
}

/// Where downloaded datasets, diffs and default run directories live:
/// `ARGUS_CACHE_DIR`, else `$XDG_CACHE_HOME/argus`, else `~/.cache/argus`
/// (`%LOCALAPPDATA%\argus` on Windows). Never inside the repository.
pub fn cache_dir() -> Result<PathBuf, String> {
    if let Some(d) = env("ARGUS_CACHE_DIR") {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = env("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(d).join("argus"));
    }
    if let Some(d) = env("LOCALAPPDATA") {
        return Ok(PathBuf::from(d).join("argus"));
    }
    env("HOME").map(|h| PathBuf::from(h).join(".cache").join("argus")).ok_or_else(|| "no cache directory: set ARGUS_CACHE_DIR".into())
}

/// A GET to GitHub's REST API with the user's token when there is one (public
/// data needs none, but the unauthenticated limit is 60 requests an hour).
fn github_get(path: &str, accept: &str) -> Result<Vec<u8>, String> {
    let api = env("GITHUB_API_URL").unwrap_or_else(|| argus_github::client::DEFAULT_API_URL.to_string());
    let url = format!("{}{path}", api.trim_end_matches('/'));
    let mut req = HttpRequest::new(Method::Get, &url)
        .header("accept", accept)
        .header("user-agent", argus_github::client::USER_AGENT)
        .header("x-github-api-version", argus_github::client::API_VERSION)
        .timeout_ms(60_000);
    if let Some(t) = env("GITHUB_TOKEN") {
        req = req.header("authorization", format!("Bearer {}", t.trim()));
    }
    let resp = futures_executor::block_on(UreqHttp::default().send(req)).map_err(|e| format!("GET {path}: {e}"))?;
    if resp.status != 200 {
        let body = resp.text();
        return Err(format!("GET {path}: GitHub answered {}: {}", resp.status, body.chars().take(200).collect::<String>()));
    }
    Ok(resp.body)
}

/// A file of a repository, raw
/// (<https://docs.github.com/en/rest/repos/contents#get-repository-content>, media type `raw`).
fn fetch_repo_file(repo: &str, path: &str, git_ref: &str) -> Result<Vec<u8>, String> {
    github_get(&format!("/repos/{repo}/contents/{}?ref={git_ref}", argus_github::client::encode_path(path)), "application/vnd.github.raw+json")
}

/// A pull request's diff
/// (<https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request>, media type `diff`).
fn fetch_diff(pr: &PrUrl) -> Result<String, String> {
    let bytes = github_get(&format!("/repos/{}/{}/pulls/{}", pr.owner, pr.repo, pr.number), "application/vnd.github.diff")?;
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The golden comments and where cached diffs are looked up first.
struct Dataset {
    prs: Vec<GoldenPr>,
    diff_dirs: Vec<PathBuf>,
}

fn golden_files_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let dir = if dir.join("golden_comments").is_dir() { dir.join("golden_comments") } else { dir.to_path_buf() };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn load_dataset(name: &str, cache: &Path) -> Result<Dataset, String> {
    let (dir, diff_dirs) = if name == "martian-offline" {
        // Fetched once into the cache; delete the directory to refresh.
        let dir = cache.join("martian-offline");
        let golden = dir.join("golden_comments");
        std::fs::create_dir_all(&golden).map_err(|e| format!("cannot create {}: {e}", golden.display()))?;
        for path in MARTIAN_GOLDEN_FILES {
            let file = golden.join(Path::new(path).file_name().unwrap_or_default());
            if !file.exists() {
                let bytes = fetch_repo_file(MARTIAN_REPO, path, MARTIAN_REF)?;
                std::fs::write(&file, bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            }
        }
        (dir.clone(), vec![dir.join("diffs")])
    } else {
        let dir = PathBuf::from(name);
        (dir.clone(), vec![dir.join("diffs"), cache.join("diffs")])
    };
    let mut prs = Vec::new();
    let files = golden_files_in(&dir)?;
    if files.is_empty() {
        return Err(format!("no golden comments files (*.json) in {}", dir.display()));
    }
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        let (mut list, problems) = parse_golden(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        for p in problems {
            eprintln!("argus eval: {}: {p}", f.display());
        }
        prs.append(&mut list);
    }
    Ok(Dataset { prs, diff_dirs })
}

/// The PR's diff from the first cache that has it, else from GitHub into the last cache.
fn diff_for(pr: &PrUrl, dirs: &[PathBuf]) -> Result<String, String> {
    for d in dirs {
        let f = d.join(pr.cache_name());
        if let Ok(bytes) = std::fs::read(&f) {
            return Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()));
        }
    }
    let diff = fetch_diff(pr)?;
    if let Some(d) = dirs.last() {
        let _ = std::fs::create_dir_all(d);
        let _ = std::fs::write(d.join(pr.cache_name()), &diff);
    }
    Ok(diff)
}

struct Setup {
    env: Vec<(String, String)>,
    config_text: Option<String>,
    llm: LlmConfig,
    judge: LlmConfig,
    cheap_only: bool,
}

/// Reviews and judges one PR; every failure is recorded in the result, never raised.
fn one(pr: &GoldenPr, dirs: &[PathBuf], s: &Setup) -> PrResult {
    let mut r = PrResult { url: pr.url.clone(), ..Default::default() };
    let Some(url) = PrUrl::parse(&pr.url) else {
        r.skipped = Some("not a pull request URL".into());
        return r;
    };
    let diff = match diff_for(&url, dirs) {
        Ok(d) => d,
        Err(e) => {
            r.error = Some(e);
            return r;
        }
    };
    let (config, _) = review::local_config(&s.env, s.config_text.as_deref());
    let outcome = match native::provider(&s.llm, &format!("{url}")).and_then(|p| review::review_diff(&diff, &config, &s.llm, p, &pr.pr_title, "")) {
        Ok(o) => o,
        Err(e) if e.starts_with("no file diffs") => {
            r.skipped = Some(e);
            return r;
        }
        Err(e) => {
            r.error = Some(e);
            return r;
        }
    };
    let a = &outcome.accounting;
    (r.tokens_in, r.tokens_out, r.cost_usd, r.model_calls, r.duration_ms) = (a.tokens_in, a.tokens_out, a.cost_usd, a.calls, a.duration_ms);
    r.candidates = outcome.candidates();
    r.dedupe_groups = dedupe_groups(&r.candidates);
    r.cheap = evaluate(&pr.comments, &r.candidates, &r.dedupe_groups, |g, c| Ok(cheap::verdict(&pr.comments[g].comment, &r.candidates[c])));
    if s.cheap_only {
        r.judged = r.cheap.clone();
        return r;
    }
    let provider = match native::provider(&s.judge, &format!("{url} judge")) {
        Ok(p) => p,
        Err(e) => {
            r.error = Some(e);
            return r;
        }
    };
    let judge = LlmClient::new(provider, SystemClock, MemoryBreakerStore::default(), s.judge.clone(), r.duration_ms);
    let mut calls = 0;
    r.judged = evaluate(&pr.comments, &r.candidates, &r.dedupe_groups, |g, c| {
        calls += 1;
        let req = ChatRequest::new(
            vec![Message::system(JUDGE_SYSTEM), Message::user(judge_prompt(&pr.comments[g].comment, &r.candidates[c].text))],
            JUDGE_MAX_OUTPUT,
        )
        .with_temperature(0.0);
        let done = futures_executor::block_on(judge.complete(&req, None)).map_err(|f| f.error.to_string())?;
        parse_verdict(&done.response.text)
    });
    r.judge_calls = calls;
    r
}

/// The benchmark's published evaluations judged by `judge_dir`
/// (`offline/results/{judge_dir}/evaluations.json`, e.g.
/// `anthropic_claude-sonnet-4-5-20250929`), fetched once into the cache.
fn peers_from_benchmark(judge_dir: &str, cache: &Path) -> Result<String, String> {
    if judge_dir.is_empty() || !judge_dir.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) || judge_dir.contains("..") {
        return Err(format!("--peers martian:<judge directory>, e.g. martian:openai_gpt-5.2; got {judge_dir:?}"));
    }
    let file = cache.join("martian-offline").join("results").join(judge_dir).join("evaluations.json");
    if let Ok(text) = std::fs::read_to_string(&file) {
        return Ok(text);
    }
    let bytes = fetch_repo_file(MARTIAN_REPO, &format!("offline/results/{judge_dir}/evaluations.json"), MARTIAN_REF)?;
    if let Some(d) = file.parent() {
        let _ = std::fs::create_dir_all(d);
        let _ = std::fs::write(&file, &bytes);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn read_report(path: &str) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path} is not an `argus eval` report: {e}"))
}

pub fn run(args: &Args) -> Result<String, String> {
    let a = &args.eval;
    if a.compare {
        return Ok(compare(&read_report(&args.positional[0])?, &read_report(&args.positional[1])?));
    }
    let dataset_name = a.dataset.as_deref().ok_or("--dataset is required (a directory of golden comments files, or martian-offline)")?;
    let cache = cache_dir()?;
    let dataset = load_dataset(dataset_name, &cache)?;
    let peers: PeerTallies = match &a.peers {
        Some(p) => {
            let text = match p.strip_prefix("martian:") {
                Some(judge_dir) => peers_from_benchmark(judge_dir, &cache)?,
                None => std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?,
            };
            let (peers, problems) = peer_tallies(&text, &dataset.prs).map_err(|e| format!("{p}: {e}"))?;
            for x in problems {
                eprintln!("argus eval: {p}: {x}");
            }
            peers
        }
        None => PeerTallies::new(),
    };
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let mut llm = LlmConfig::from_env(|k| std::env::var(k).ok()).map_err(|e| format!("the model settings in the environment are invalid: {e}"))?;
    if let Some(n) = args.model_limit {
        llm.limits.max_input_tokens = Some(n);
    }
    let mut judge = llm.clone();
    if let Some(m) = a.judge_model.clone().or_else(|| env("ARGUS_JUDGE_MODEL")) {
        judge.model = m;
        judge.fallback_models.clear();
        judge.price = None;
    }
    // The judge answers in plain JSON; it has no findings schema.
    judge.structured = None;
    let config_text = args.config.as_deref().map(|p| std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))).transpose()?;

    let run_name: String = if a.label.is_empty() { llm.model.clone() } else { a.label.clone() };
    let safe: String = run_name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
    let out = a.out.as_ref().map(PathBuf::from).unwrap_or_else(|| cache.join("runs").join(safe));
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let jsonl = out.join("results.jsonl");
    let (done, problems) = read_jsonl(&std::fs::read_to_string(&jsonl).unwrap_or_default());
    for p in problems {
        eprintln!("argus eval: {}: {p} (ignored)", jsonl.display());
    }
    let mut prs = dataset.prs.clone();
    if let Some(n) = a.limit {
        prs.truncate(n);
    }
    let todo: Vec<&GoldenPr> = prs.iter().filter(|p| !done.get(&p.url).is_some_and(|r| r.is_final())).collect();
    eprintln!("argus eval: {} PRs, {} to do ({} already in {})", prs.len(), todo.len(), prs.len() - todo.len(), jsonl.display());

    let setup = Setup { env: vars, config_text, llm: llm.clone(), judge: judge.clone(), cheap_only: a.cheap_only };
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&jsonl).map_err(|e| format!("cannot open {}: {e}", jsonl.display()))?;
    let sink = Mutex::new(file);
    let queue = Mutex::new(todo.into_iter());
    let write_failed = Mutex::new(None::<String>);
    std::thread::scope(|scope| {
        for _ in 0..a.jobs.min(prs.len().max(1)) {
            scope.spawn(|| {
                while let Some(pr) = queue.lock().map(|mut q| q.next()).unwrap_or(None) {
                    let result = one(pr, &dataset.diff_dirs, &setup);
                    let line = serde_json::to_string(&result).unwrap_or_default() + "\n";
                    // One line per write, under the lock: lines never interleave, and a
                    // run killed mid-way leaves every finished PR on disk.
                    if let Ok(mut f) = sink.lock()
                        && let Err(e) = f.write_all(line.as_bytes()).and_then(|_| f.flush())
                    {
                        *write_failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    }
                    let state = result.error.as_deref().map_or_else(|| format!("{} findings", result.candidates.len()), |e| format!("failed: {e}"));
                    eprintln!("\nargus eval: {}: {state}", result.url);
                }
            });
        }
    });
    if let Some(e) = write_failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(format!("cannot write {}: {e}", jsonl.display()));
    }
    let (all, _) = read_jsonl(&std::fs::read_to_string(&jsonl).unwrap_or_default());
    let results: Vec<PrResult> = prs.iter().filter_map(|p| all.get(&p.url).cloned()).collect();
    let judge_name = if a.cheap_only { "none (cheap matcher only)".to_string() } else { judge.model.clone() };
    let report = build_report(&a.label, &llm.model, &judge_name, &results, &peers);
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    std::fs::write(out.join("report.json"), json + "\n").map_err(|e| format!("cannot write the report: {e}"))?;
    let md = render(&report);
    std::fs::write(out.join("report.md"), &md).map_err(|e| format!("cannot write the report: {e}"))?;
    eprintln!("argus eval: report in {}", out.join("report.json").display());
    Ok(md)
}

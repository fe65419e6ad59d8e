//! `argus`: the review engine on the command line, so users can preview what the model
//! will see before they deploy, and tests and benchmarks can drive the same core.
//!
//! ```text
//! argus plan   <diff-file> [--config <toml>] [--model-limit N]   files kept/skipped, hunks, chunks (JSON)
//! argus prompt <diff-file> [--config <toml>] [--model-limit N] [--title T] [--description <file>] [--text]
//!                                                              the rendered prompts
//! argus place  <diff-file> <reply.json> [--source <path>=<file>]... [--head <sha>]
//!                                                              anchored comments and other findings (JSON)
//! ```
//!
//! Bad input (unreadable file, invalid JSON, bad flag) prints one clear line on stderr
//! and exits non-zero; it never panics.

use argus_config::{Sources, resolve};
use argus_core::ids::CommitSha;
use argus_diff::chunk::{Budget, ChunkPlan, plan};
use argus_diff::diff::{FileDiff, parse_unified};
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, Selection, select};
use argus_diff::tokens::estimate;
use argus_review::contract::{PromptOptions, ReplyProblem, Severity, UserMessage, system_prompt, user_message};
use argus_review::engine::{PrText, apply_limits, chunk_user_message, collect, file_rows};
use argus_review::fingerprint::Dedupe;
use argus_review::place::DiffIndex;
use argus_review::redact::RedactionReport;
use argus_review::render::{SummaryInput, Usage, review_request};
use serde_json::{Value, json};
use std::process::ExitCode;

const USAGE: &str = "usage:
  argus plan   <diff-file> [--config <toml>] [--model-limit N]
  argus prompt <diff-file> [--config <toml>] [--model-limit N] [--title T] [--description <file>] [--text]
  argus place  <diff-file> <reply.json> [--source <path>=<file>]... [--head <sha>]";

/// GitHub Models' free tier accepts 8000 input tokens per request.
const DEFAULT_MODEL_LIMIT: u32 = 8000;
/// Chat formatting around the two messages (role markers and separators), per request.
const MESSAGE_OVERHEAD_TOKENS: u32 = 16;

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}\n{USAGE}")]
    Usage(String),
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Input { path: String, message: String },
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}

#[derive(Default)]
struct Args {
    command: String,
    positional: Vec<String>,
    config: Option<String>,
    model_limit: Option<u32>,
    text: bool,
    sources: Vec<(String, String)>,
    head: Option<String>,
    title: Option<String>,
    description: Option<String>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, CliError> {
    let mut a = Args { command: it.next().ok_or_else(|| CliError::Usage("missing command".into()))?, ..Args::default() };
    let value = |it: &mut dyn Iterator<Item = String>, flag: &str| it.next().ok_or_else(|| CliError::Usage(format!("{flag} needs a value")));
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--config" => a.config = Some(value(&mut it, "--config")?),
            "--model-limit" => {
                let v = value(&mut it, "--model-limit")?;
                let n = v.parse::<u32>().ok().filter(|n| *n >= 1000).ok_or_else(|| CliError::Usage(format!("--model-limit must be a token count ≥ 1000, got {v:?}")))?;
                a.model_limit = Some(n);
            }
            "--text" => a.text = true,
            "--head" => a.head = Some(value(&mut it, "--head")?),
            "--title" => a.title = Some(value(&mut it, "--title")?),
            "--description" => a.description = Some(value(&mut it, "--description")?),
            "--source" => {
                let v = value(&mut it, "--source")?;
                let (p, f) = v.split_once('=').ok_or_else(|| CliError::Usage(format!("--source wants <path-in-diff>=<file>, got {v:?}")))?;
                a.sources.push((p.to_owned(), f.to_owned()));
            }
            "-h" | "--help" => return Err(CliError::Usage("help".into())),
            s if s.starts_with("--") => return Err(CliError::Usage(format!("unknown option {s}"))),
            _ => a.positional.push(arg),
        }
    }
    let want = match a.command.as_str() {
        "plan" | "prompt" => 1,
        "place" => 2,
        other => return Err(CliError::Usage(format!("unknown command {other:?}"))),
    };
    if a.positional.len() != want {
        return Err(CliError::Usage(format!("`{}` takes {want} file argument(s), got {}", a.command, a.positional.len())));
    }
    Ok(a)
}

fn read(path: &str) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Read { path: path.to_owned(), source })?;
    // Diffs may hold bytes that are not UTF-8 (Latin-1 sources); review them best-effort.
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// What the CLI takes from `.github/argusai.toml` (resolved by argus-config).
struct CliConfig {
    select: SelectConfig,
    instructions: String,
    threshold: Severity,
    max_inline: usize,
    problems: Vec<Value>,
}

/// The selection settings, limits and trusted instructions from a `.github/argusai.toml`.
fn load_config(path: Option<&str>) -> Result<CliConfig, CliError> {
    let text = path.map(read).transpose()?;
    let res = resolve(&Sources { base_branch_toml: text.as_deref(), ..Sources::default() });
    let c = res.config;
    let select = SelectConfig {
        include: c.include,
        ignore: c.ignore,
        default_ignores: c.default_ignores,
        max_files: c.max_files as usize,
        max_changed_lines_per_file: c.max_changed_lines_per_file,
    };
    let problems = res.problems.iter().map(|p| json!({ "key": p.key, "line": p.line, "message": p.to_string() })).collect();
    let threshold = match c.severity_threshold {
        argus_config::Severity::Critical => Severity::Critical,
        argus_config::Severity::High => Severity::High,
        argus_config::Severity::Medium => Severity::Medium,
        argus_config::Severity::Low => Severity::Low,
    };
    Ok(CliConfig { select, instructions: c.instructions, threshold, max_inline: c.max_inline_comments as usize, problems })
}

struct Planned<'a> {
    files: Vec<FileDiff<'a>>,
    diff_problems: Vec<Value>,
    selection: Selection,
    plan: ChunkPlan,
    budget: Budget,
    system: String,
    config: CliConfig,
}

fn plan_diff<'a>(diff: &'a str, args: &Args) -> Result<Planned<'a>, CliError> {
    let parsed = parse_unified(diff);
    let diff_path = &args.positional[0];
    if parsed.files.is_empty() {
        return Err(CliError::Input { path: diff_path.clone(), message: "no file diffs found (is this a unified diff?)".into() });
    }
    let config = load_config(args.config.as_deref())?;
    let selection = select(&parsed.files, &config.select).map_err(|e| CliError::Input { path: args.config.clone().unwrap_or_default(), message: e.to_string() })?;
    let system = system_prompt(&PromptOptions { max_findings: 20, guidelines: Some(config.instructions.clone()) });
    // The fixed part of every request: the system prompt and the user message around the
    // diff (title, description, every language hint that may appear), measured as sent.
    let description = args.description.as_deref().map(read).transpose()?.unwrap_or_default();
    let mut hints: Vec<String> = selection.kept.iter().filter_map(|k| k.language.and_then(|l| l.hint().map(|h| format!("{}: {h}", l.name())))).collect();
    hints.sort();
    hints.dedup();
    let hint_refs: Vec<&str> = hints.iter().map(String::as_str).collect();
    let frame = user_message(&UserMessage { title: args.title.as_deref().unwrap_or(""), description: &description, language_hints: &hint_refs, diff: "", part: Some((0, 2)) }).0;
    let budget = Budget {
        input_limit: args.model_limit.unwrap_or(DEFAULT_MODEL_LIMIT),
        reserved_output: 0,
        prompt_overhead: estimate(&system) + estimate(&frame) + MESSAGE_OVERHEAD_TOKENS,
        max_chunks: None,
    };
    let plan = plan(&parsed.files, &selection, &budget, &[], ContextOptions::default());
    let diff_problems = parsed.problems.iter().map(|p| json!(format!("{p:?}"))).collect();
    Ok(Planned { files: parsed.files, diff_problems, selection, plan, budget, system, config })
}

fn cmd_plan(args: &Args) -> Result<Value, CliError> {
    let diff = read(&args.positional[0])?;
    let p = plan_diff(&diff, args)?;
    let hunks: Vec<Value> = p
        .selection
        .kept
        .iter()
        .map(|k| {
            let f = &p.files[k.index];
            let hs: Vec<Value> = f
                .hunks
                .iter()
                .map(|h| {
                    let (added, removed) = h.changed();
                    json!({ "old_start": h.old_start, "old_count": h.old_count, "new_start": h.new_start, "new_count": h.new_count, "added": added, "removed": removed, "section": h.section_text() })
                })
                .collect();
            json!({ "path": k.path, "hunks": hs })
        })
        .collect();
    Ok(json!({
        "files": { "kept": p.selection.kept, "skipped": p.selection.skipped },
        "hunks": hunks,
        "budget": p.budget,
        "chunks": p.plan.chunks,
        "not_reviewed": p.plan.not_reviewed,
        "diff_problems": p.diff_problems,
        "config_problems": p.config.problems,
    }))
}

fn cmd_prompt(args: &Args) -> Result<(Value, String), CliError> {
    let diff = read(&args.positional[0])?;
    let p = plan_diff(&diff, args)?;
    let mut total = RedactionReport::default();
    let mut chunks = Vec::new();
    let mut text = format!("=== system ({} tokens est.)\n{}\n", estimate(&p.system), p.system);
    let description = args.description.as_deref().map(read).transpose()?.unwrap_or_default();
    let pr = PrText { title: args.title.as_deref().unwrap_or(""), description: &description };
    let total_chunks = p.plan.chunks.len();
    for (i, c) in p.plan.chunks.iter().enumerate() {
        let (user, report) = chunk_user_message(&p.files, &p.selection, c, (i, total_chunks), pr, &[], ContextOptions::default());
        total.merge(&report);
        text.push_str(&format!("=== chunk {} of {} ({} tokens est.)\n{user}", i + 1, p.plan.chunks.len(), estimate(&user)));
        chunks.push(json!({ "index": i, "tokens_estimated": estimate(&user), "planned_tokens": c.tokens, "redactions": report, "user": user }));
    }
    let json = json!({ "system": p.system, "chunks": chunks, "redactions": total, "not_reviewed": p.plan.not_reviewed });
    Ok((json, text))
}

fn cmd_place(args: &Args) -> Result<Value, CliError> {
    let diff = read(&args.positional[0])?;
    let reply_path = &args.positional[1];
    let reply = read(reply_path)?;
    let p = plan_diff(&diff, args)?;
    let sources: Vec<(String, String)> = args.sources.iter().map(|(path, file)| Ok((path.clone(), read(file)?))).collect::<Result<_, CliError>>()?;
    let mut index = DiffIndex::new(&p.files);
    for (path, content) in &sources {
        index = index.with_source(path, content);
    }
    let mut found = collect(&index, [reply.as_str()], &mut Dedupe::default());
    let below_threshold = apply_limits(&mut found.placement, p.config.threshold, p.config.max_inline);
    if found.problems.contains(&ReplyProblem::NoJson) {
        return Err(CliError::Input { path: reply_path.clone(), message: ReplyProblem::NoJson.to_string() });
    }
    let head = CommitSha(args.head.clone().unwrap_or_else(|| "0".repeat(40)));
    let rows = file_rows(&p.files, &p.selection, &p.plan);
    let no_redactions = RedactionReport::default();
    let input = SummaryInput {
        head: &head,
        model: "preview",
        model_summaries: &found.summaries,
        placed: &found.placement.placed,
        unplaced: &found.placement.unplaced,
        files: &rows,
        usage: Usage::default(),
        pricing: None,
        redactions: &no_redactions,
        rejected: found.rejected.len(),
        duplicates: found.placement.duplicates.len(),
    };
    let review = review_request(&input);
    let other: Vec<Value> = found.placement.unplaced.iter().map(|u| json!({ "finding": u.finding, "reason": u.reason.to_string() })).collect();
    Ok(json!({
        "comments": review.comments,
        "other_findings": other,
        "rejected": found.rejected,
        "duplicates": found.placement.duplicates.len(),
        "below_severity_threshold": below_threshold,
        "reply_problems": found.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "review": review,
    }))
}

fn run(args: Args) -> Result<String, CliError> {
    let out = match args.command.as_str() {
        "plan" => cmd_plan(&args)?,
        "prompt" => {
            let (json, text) = cmd_prompt(&args)?;
            if args.text {
                return Ok(text);
            }
            json
        }
        _ => cmd_place(&args)?,
    };
    // Serializing a `Value` cannot fail.
    Ok(serde_json::to_string_pretty(&out).unwrap_or_default() + "\n")
}

fn main() -> ExitCode {
    let result = parse_args(std::env::args().skip(1)).and_then(run);
    match result {
        Ok(out) => {
            use std::io::Write;
            // A closed pipe (`argus plan x | head`) is not an error worth a panic.
            let _ = std::io::stdout().write_all(out.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("argus: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

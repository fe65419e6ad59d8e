//! `argus`: ArgusAI's review engine on the command line, on a local diff, through
//! the very stages the Worker runs (argus-pipeline's `plan`, `requests` and
//! `decide`, argus-review's `render`), so users preview exactly what the model
//! will see and what ArgusAI would post, before they deploy.
//!
//! ```text
//! argus plan   <diff-file> [--config <toml>] [--model-limit N]   files kept/skipped, hunks, chunks (JSON)
//! argus prompt <diff-file> [--config <toml>] [--model-limit N] [--title T] [--description <file>] [--text]
//!                                                              the rendered prompts
//! argus place  <diff-file> <reply.json> [--config <toml>] [--source <path>=<file>]... [--head <sha>]
//!                                                              anchored comments, other findings and the summary (JSON)
//! argus review <diff-file | owner/repo#N | PR URL> [--config <toml>] [--json]
//!                                                              the review ArgusAI would post, with a real model
//! argus eval   --dataset <dir | martian-offline> [--out <dir>] [--jobs N] [--judge-model M] [--peers <file | martian:<judge dir>>]
//!              [--label L] [--limit N] [--cheap-only]          scores against golden comments
//! argus eval   --compare <report-a.json> <report-b.json>       the difference between two runs
//! ```
//!
//! The model settings come from the same environment variables the Worker reads
//! (`LLM_PROVIDER`, `LLM_MODEL`, `LLM_MAX_INPUT_TOKENS`…); `--model-limit`
//! overrides the input limit. Bad input (unreadable file, invalid JSON, bad flag)
//! prints one clear line on stderr and exits non-zero; it never panics.

mod eval;
mod native;
mod review;

use argus_config::{Config, Sources, resolve};
use argus_core::ids::CommitSha;
use argus_diff::diff::{FileDiff, parse_unified};
use argus_diff::tokens::estimate;
use argus_llm::LlmConfig;
use argus_pipeline::stage::decide::{Facts, decide};
use argus_pipeline::stage::model::Thought;
use argus_pipeline::stage::plan::{Plan, PlanInput, plan, requests};
use argus_pipeline::stage::scope::Scope;
use argus_review::contract::ReplyProblem;
use argus_review::render;
use serde_json::{Value, json};
use std::process::ExitCode;

const USAGE: &str = "usage:
  argus plan   <diff-file> [--config <toml>] [--model-limit N]
  argus prompt <diff-file> [--config <toml>] [--model-limit N] [--title T] [--description <file>] [--text]
  argus place  <diff-file> <reply.json> [--config <toml>] [--source <path>=<file>]... [--head <sha>]
  argus review <diff-file | owner/repo#N | PR URL> [--config <toml>] [--json] [--model-limit N] [--title T] [--description <file>]
               [--post]  (writes to GitHub only with --post, on a pull request: the review and the summary comment)
  argus eval   --dataset <dir | martian-offline> [--out <dir>] [--jobs N] [--judge-model M] [--peers <evaluations.json | martian:<judge dir>>]
               [--label L] [--limit N] [--cheap-only] [--config <toml>]
  argus eval   --compare <report-a.json> <report-b.json>";

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}\n{USAGE}")]
    Usage(String),
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("the model settings in the environment are invalid: {0}")]
    Settings(String),
    /// A review or an evaluation that could not be done (GitHub, the model, the dataset).
    #[error("{0}")]
    Failed(String),
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
    json: bool,
    /// `argus review <PR> --post`: publish the review with the user's token.
    post: bool,
    eval: eval::EvalArgs,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, CliError> {
    let mut a = Args { command: it.next().ok_or_else(|| CliError::Usage("missing command".into()))?, ..Args::default() };
    if matches!(a.command.as_str(), "-h" | "--help" | "help") {
        return Err(CliError::Usage("help".into()));
    }
    let value = |it: &mut dyn Iterator<Item = String>, flag: &str| it.next().ok_or_else(|| CliError::Usage(format!("{flag} needs a value")));
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--config" => a.config = Some(value(&mut it, "--config")?),
            "--model-limit" => {
                let v = value(&mut it, "--model-limit")?;
                let n = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1000)
                    .ok_or_else(|| CliError::Usage(format!("--model-limit must be a token count ≥ 1000, got {v:?}")))?;
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
            "--json" => a.json = true,
            "--post" => a.post = true,
            "--dataset" => a.eval.dataset = Some(value(&mut it, "--dataset")?),
            "--out" => a.eval.out = Some(value(&mut it, "--out")?),
            "--judge-model" => a.eval.judge_model = Some(value(&mut it, "--judge-model")?),
            "--peers" => a.eval.peers = Some(value(&mut it, "--peers")?),
            "--label" => a.eval.label = value(&mut it, "--label")?,
            "--compare" => a.eval.compare = true,
            "--cheap-only" => a.eval.cheap_only = true,
            "--jobs" | "--limit" => {
                let v = value(&mut it, &arg)?;
                let n = v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| CliError::Usage(format!("{arg} wants a number ≥ 1, got {v:?}")))?;
                if arg == "--jobs" {
                    a.eval.jobs = n;
                } else {
                    a.eval.limit = Some(n);
                }
            }
            "-h" | "--help" => return Err(CliError::Usage("help".into())),
            s if s.starts_with("--") => return Err(CliError::Usage(format!("unknown option {s}"))),
            _ => a.positional.push(arg),
        }
    }
    let want = match a.command.as_str() {
        "plan" | "prompt" | "review" => 1,
        "place" => 2,
        "eval" if a.eval.compare => 2,
        "eval" => 0,
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

/// Everything the stages need, from the command line and the environment.
struct Local {
    diff: String,
    config: Config,
    config_problems: Vec<Value>,
    llm: LlmConfig,
    title: String,
    description: String,
}

impl Local {
    fn load(args: &Args) -> Result<Self, CliError> {
        let diff = read(&args.positional[0])?;
        // The repository file is the top layer, as on GitHub; the operator layers come
        // from the same variables the Worker reads.
        let env: Vec<(String, String)> = std::env::vars().collect();
        let text = args.config.as_deref().map(read).transpose()?;
        let res = resolve(&Sources { env: &env, base_branch_toml: text.as_deref(), ..Sources::default() });
        let config_problems = res.problems.iter().map(|p| json!({ "key": p.key, "line": p.line, "message": p.to_string() })).collect();
        // These commands never call the model, so a missing key is no error here:
        // the settings are read for the model's limits and prices only.
        let previewing = |k: &str| matches!(k, "GITHUB_TOKEN" | "LLM_API_KEY").then(|| "unused-by-previews".to_string());
        let mut llm = LlmConfig::from_env(|k| std::env::var(k).ok().or_else(|| previewing(k))).map_err(|e| CliError::Settings(e.to_string()))?;
        if let Some(n) = args.model_limit {
            llm.limits.max_input_tokens = Some(n);
        }
        let description = args.description.as_deref().map(read).transpose()?.unwrap_or_default();
        Ok(Local { diff, config: res.config, config_problems, llm, title: args.title.clone().unwrap_or_default(), description })
    }
}

/// The scope of a local diff: all of it.
fn local_scope() -> Scope {
    Scope::Full { reason: "a local diff".into() }
}

fn parsed<'a>(local: &'a Local, args: &Args) -> Result<Vec<FileDiff<'a>>, CliError> {
    let files = parse_unified(&local.diff).files;
    if files.is_empty() {
        return Err(CliError::Input { path: args.positional[0].clone(), message: "no file diffs found (is this a unified diff?)".into() });
    }
    Ok(files)
}

fn input<'a>(local: &'a Local, scope: &'a Scope, files: &'a [FileDiff<'a>]) -> PlanInput<'a> {
    PlanInput { config: &local.config, guidance: "", llm: &local.llm, scope, title: &local.title, description: &local.description, files }
}

fn cmd_plan(args: &Args) -> Result<Value, CliError> {
    let local = Local::load(args)?;
    let files = parsed(&local, args)?;
    let scope = local_scope();
    let p: Plan = plan(&input(&local, &scope, &files));
    let hunks: Vec<Value> = p
        .selection
        .kept
        .iter()
        .map(|k| {
            let f = &files[k.index];
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
    let limits = p.llm.chunk_limits();
    Ok(json!({
        "files": { "kept": p.selection.kept, "skipped": p.selection.skipped },
        "hunks": hunks,
        "budget": { "input_limit": limits.max_input_tokens, "available": p.chunks.available },
        "chunks": p.chunks.chunks,
        "not_reviewed": p.chunks.not_reviewed,
        "config_problems": local.config_problems,
    }))
}

fn cmd_prompt(args: &Args) -> Result<(Value, String), CliError> {
    let local = Local::load(args)?;
    let files = parsed(&local, args)?;
    let scope = local_scope();
    let input = input(&local, &scope, &files);
    let p = plan(&input);
    let (reqs, redactions, _) = requests(&p, &input, None);
    let mut text = format!("=== system ({} tokens est.)\n{}\n", estimate(&p.system), p.system);
    let mut chunks = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        let user = r.messages.get(1).map(|m| m.content.as_str()).unwrap_or("");
        text.push_str(&format!("=== chunk {} of {} ({} tokens est.)\n{user}", i + 1, reqs.len(), estimate(user)));
        chunks.push(json!({ "index": i, "tokens_estimated": estimate(user), "planned_tokens": p.chunks.chunks[i].tokens, "user": user }));
    }
    let json = json!({ "system": p.system, "chunks": chunks, "redactions": redactions, "not_reviewed": p.chunks.not_reviewed });
    Ok((json, text))
}

fn cmd_place(args: &Args) -> Result<Value, CliError> {
    let local = Local::load(args)?;
    let files = parsed(&local, args)?;
    let reply_path = &args.positional[1];
    let reply = read(reply_path)?;
    let sources: Vec<(String, String)> = args.sources.iter().map(|(path, file)| Ok((path.clone(), read(file)?))).collect::<Result<_, CliError>>()?;
    let scope = local_scope();
    let p = plan(&input(&local, &scope, &files));
    let thought = Thought::from_replies("preview", [reply.as_str()]);
    if thought.reply_problems.contains(&ReplyProblem::NoJson.to_string()) {
        return Err(CliError::Input { path: reply_path.clone(), message: ReplyProblem::NoJson.to_string() });
    }
    let head = CommitSha(args.head.clone().unwrap_or_else(|| "0".repeat(40)));
    let facts = Facts {
        head: &head,
        scope: &scope,
        plan: &p,
        not_reviewable: Vec::new(),
        config_problems: p.problems.clone(),
        earlier: Vec::new(),
        sources: sources.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect(),
        files: &files,
        // The same input tripwire as the Worker (the diff; a local preview has no PR texts).
        tripped: argus_pipeline::stage::guard::tripwires(&files, "", "", &[]),
        scope_relocation: None,
        context_problems: Vec::new(),
    };
    let decided = decide(&local.config, &files, &thought, facts);
    let review = decided.publication.review.expect("decide always gives a review");
    let other: Vec<Value> = review.unplaced.iter().map(|u| json!({ "finding": u.finding, "reason": u.reason.to_string() })).collect();
    Ok(json!({
        "comments": render::comments(&review),
        "other_findings": other,
        "rejected": review.rejected,
        "duplicates": review.duplicates,
        "below_severity_threshold": review.notes.below_threshold,
        "reply_problems": review.notes.reply_problems,
        "review_body": render::review_body(&review),
        "summary": render::summary(&review),
        "check_title": render::check_title(&review),
    }))
}

fn cmd_review(args: &Args) -> Result<String, CliError> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let target = &args.positional[0];
    if args.post && std::path::Path::new(target).exists() {
        return Err(CliError::Usage("--post needs a pull request (owner/repo#N or its URL): a local diff has nowhere to be posted".into()));
    }
    let config_text = args.config.as_deref().map(read).transpose()?;
    let mut llm = LlmConfig::from_env(|k| std::env::var(k).ok()).map_err(|e| CliError::Settings(e.to_string()))?;
    if let Some(n) = args.model_limit {
        llm.limits.max_input_tokens = Some(n);
    }
    // A path that exists is a diff file; otherwise the target must name a pull request.
    let outcome = if !std::path::Path::new(target).exists()
        && let Some(pr) = argus_eval::dataset::PrUrl::parse(target)
    {
        review::review_pr(&pr, env, llm, config_text, args.post).map_err(CliError::Failed)?
    } else {
        let diff = read(target)?;
        let (config, problems) = review::local_config(&env, config_text.as_deref());
        for p in problems {
            eprintln!("argus: configuration: {p}");
        }
        let description = args.description.as_deref().map(read).transpose()?.unwrap_or_default();
        let provider = native::provider(&llm, "argus review").map_err(CliError::Settings)?;
        review::review_diff(&diff, &config, &llm, provider, args.title.as_deref().unwrap_or(""), &description)
            .map_err(|message| CliError::Input { path: target.clone(), message })?
    };
    if args.json {
        return Ok(serde_json::to_string_pretty(&review::to_json(&outcome)).unwrap_or_default() + "\n");
    }
    Ok(review::to_markdown(&outcome))
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
        "review" => return cmd_review(&args),
        "eval" => return eval::run(&args).map_err(CliError::Failed),
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

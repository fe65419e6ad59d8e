//! Stage 4, plan (pure): which files are reviewed (selection), how their
//! hunks are packed into model requests within the smallest model's budget
//! (chunks), the summary's file table, the system prompt and the cache key;
//! then, only when the cache misses, the requests themselves, redacted.
//! Everything here is a function of its inputs, so the `argus` command line
//! plans exactly as the Worker does.

use super::scope::Scope;
use argus_config::Config;
use argus_context::{ChunkContextReport, Prepared};
use argus_diff::chunk::{self, Budget, ChunkPlan};
use argus_diff::diff::{FileDiff, FileStatus, parse_patch};
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, Selection, Selector};
use argus_diff::tokens;
use argus_github::PrFile;
use argus_llm::{ChatRequest, JsonSchema, LlmConfig, Message};
use argus_review::contract::{self, PromptOptions};
use argus_review::engine::{PrText, chunk_message_around, chunk_user_message};
use argus_review::redact::{RedactionReport, redact};
use argus_review::render::FileRow;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashSet;

/// Bumped when prompts or parsing change, so cached findings of an older
/// engine are not reused (it is part of the cache key's config hash).
pub const ENGINE_VERSION: &str = "argus-pipeline/1";
/// At most this many model requests per review (rate limits on free tiers).
pub const MAX_CHUNKS: usize = 20;

/// What the plan is made from.
pub struct PlanInput<'a> {
    pub config: &'a Config,
    /// The repository's guidance (trusted: base branch only).
    pub guidance: &'a str,
    /// The operator's LLM settings; the repository's `model` overrides them here.
    pub llm: &'a LlmConfig,
    pub scope: &'a Scope,
    pub title: &'a str,
    pub description: &'a str,
    /// The files this run reviews.
    pub files: &'a [FileDiff<'a>],
}

/// The plan of one review.
pub struct Plan {
    /// The LLM settings for this repository (its model choice over the operator's).
    pub llm: LlmConfig,
    pub system: String,
    pub selection: Selection,
    pub chunks: ChunkPlan,
    pub file_rows: Vec<FileRow>,
    /// Selection problems (a glob that would not compile), for the summary.
    pub problems: Vec<String>,
    /// What the cached findings depend on besides the head.
    pub config_hash: String,
    /// Estimated tokens of context per request, by chunk: `context_budget_percent`
    /// of the smallest model's input, or less when the diff needs the room
    /// (changed lines never give way to context); 0 with `context = "off"`.
    pub context_budgets: Vec<u32>,
}

/// A GitHub `/pulls/{n}/files` entry as a parsed diff, with GitHub's status and old path.
pub fn to_file_diff(f: &PrFile) -> FileDiff<'_> {
    let mut d = parse_patch(&f.filename, f.patch.as_deref().unwrap_or("")).file;
    match f.status.as_str() {
        "added" => d.status = FileStatus::Added,
        "removed" => d.status = FileStatus::Deleted,
        "renamed" => {
            d.status = FileStatus::Renamed;
            d.old_path = f.previous_filename.as_deref().map(Cow::Borrowed);
        }
        "copied" => d.status = FileStatus::Copied,
        _ => {}
    }
    d
}

/// The repo's model choice over the operator's.
pub fn llm_config_for(operator: &LlmConfig, config: &Config) -> LlmConfig {
    let mut c = operator.clone();
    if let Some(m) = config.model.as_ref().filter(|m| !m.trim().is_empty()) {
        c.model = m.clone();
    }
    if !config.fallback_models.is_empty() {
        c.fallback_models = config.fallback_models.iter().filter(|m| **m != c.model).cloned().collect();
    }
    c
}

pub fn plan(input: &PlanInput<'_>) -> Plan {
    let config = input.config;
    let mut problems = Vec::new();
    let select_config = SelectConfig {
        include: config.include.clone(),
        ignore: config.ignore.clone(),
        default_ignores: config.default_ignores,
        max_files: config.max_files as usize,
        max_changed_lines_per_file: config.max_changed_lines_per_file,
    };
    let selector = match Selector::new(&select_config) {
        Ok(s) => s,
        Err(e) => {
            // The config crate validates globs; should one still fail, review with the defaults.
            problems.push(format!("{e}; file selection used the defaults"));
            Selector::new(&SelectConfig::default()).expect("default globs compile")
        }
    };
    let selection = selector.select(input.files);
    let llm = llm_config_for(input.llm, config);
    let system = system_prompt(config, input.guidance);
    let config_hash = config_hash(config, &llm, input.guidance, input.scope);

    // Sized for the smallest model of the fallback chain, so a fallback never gets a 413.
    let limits = llm.chunk_limits();
    // The frame of every request (argus-review fences the untrusted parts), measured
    // with an empty diff, as the `argus` CLI budgets it.
    let frame = contract::user_message(&contract::UserMessage {
        title: input.title,
        description: input.description,
        language_hints: &[],
        diff: "",
        part: Some((0, 2)),
    })
    .0;
    let instructions_budget: u32 = config.path_instructions.iter().map(|p| tokens::estimate(&p.instructions) + tokens::estimate(&p.path) + 8).sum();
    // Context has its own share of each request, set aside before the diff is
    // packed. Should setting it aside leave changed lines out (a small model, a
    // huge PR) or take more requests (each is a subrequest and a rate-limit
    // slot), the diff is planned without it and context gets what is left.
    let share = match config.context {
        argus_config::ContextMode::Off => 0,
        _ => limits.max_input_tokens.saturating_mul(config.context_budget_percent) / 100,
    };
    let mut budget = Budget {
        input_limit: limits.max_input_tokens,
        reserved_output: 0,
        // The schema travels with the request in most modes; count it as overhead too.
        prompt_overhead: tokens::estimate(&system)
            + tokens::estimate(&frame)
            + tokens::estimate(&input.scope.sentence())
            + tokens::estimate(&contract::output_schema().to_string())
            + instructions_budget
            + 64,
        max_chunks: Some(MAX_CHUNKS),
    };
    let lean = chunk::plan(input.files, &selection, &budget, &[], ContextOptions::default());
    let room_for_diff = budget.input_limit.saturating_sub(budget.prompt_overhead);
    let chunks = if share == 0 {
        lean
    } else {
        budget.prompt_overhead += share;
        let with_share = chunk::plan(input.files, &selection, &budget, &[], ContextOptions::default());
        let lost = |p: &ChunkPlan| p.not_reviewed.iter().map(|n| n.changed_lines).sum::<u32>();
        if lost(&with_share) > lost(&lean) || with_share.chunks.len() > lean.chunks.len() { lean } else { with_share }
    };
    let context_budgets = chunks.chunks.iter().map(|c| share.min(room_for_diff.saturating_sub(c.tokens))).collect();
    let file_rows = argus_review::engine::file_rows(input.files, &selection, &chunks);
    Plan { llm, system, selection, chunks, file_rows, problems, config_hash, context_budgets }
}

/// What the requests' context is made from (see [`super::contents`]): the
/// parsed contents and the repository map, which goes to the first request.
pub struct RequestContext<'p, 'a> {
    pub prepared: &'p Prepared<'a>,
    pub map: Option<&'p str>,
}

/// The model requests of a plan, one per chunk, with secrets redacted (the
/// report counts them) and, when `context` is given, the `~` context lines of
/// each chunk within the plan's context budget (the report says what was
/// shown and cut). Built only when the cache misses.
pub fn requests(
    plan: &Plan,
    input: &PlanInput<'_>,
    context: Option<&RequestContext<'_, '_>>,
) -> (Vec<ChatRequest>, RedactionReport, ChunkContextReport) {
    let mut redactions = RedactionReport::default();
    let mut shown = ChunkContextReport::default();
    let limits = plan.llm.chunk_limits();
    let pr_text = PrText { title: input.title, description: input.description };
    let total = plan.chunks.chunks.len();
    let mut out = Vec::with_capacity(total);
    for (i, c) in plan.chunks.chunks.iter().enumerate() {
        let (message, report) = match context {
            Some(ctx) => {
                let map = if i == 0 { ctx.map } else { None };
                let budget = plan.context_budgets.get(i).copied().unwrap_or(0);
                let (diff, report) = argus_context::render_chunk(ctx.prepared, c, budget, map);
                shown.merge(&report);
                chunk_message_around(&diff, &plan.selection, c, (i, total), pr_text)
            }
            None => chunk_user_message(input.files, &plan.selection, c, (i, total), pr_text, &[], ContextOptions::default()),
        };
        redactions.merge(&report);
        // Ours and the maintainers' (trusted) text first, then argus-review's fenced
        // message with the untrusted PR data.
        let mut user = format!("{}\n", input.scope.sentence());
        let mut seen = HashSet::new();
        for part in &c.files {
            for text in input.config.instructions_for_path(&part.path) {
                if seen.insert((part.path.clone(), text.to_string())) {
                    user.push_str(&format!("Maintainers' instructions for `{}`: {}\n", part.path, redact(&text).text));
                }
            }
        }
        user.push('\n');
        user.push_str(&message);
        let req = ChatRequest::new(vec![Message::system(plan.system.clone()), Message::user(user)], limits.max_output_tokens.min(4000))
            .with_schema(JsonSchema { name: "argus_review".into(), schema: contract::output_schema(), strict: true });
        out.push(req);
    }
    (out, redactions, shown)
}

/// The system prompt: the findings contract plus the maintainers' settings
/// (trusted: they come from the operator and the base branch, never the PR).
pub fn system_prompt(config: &Config, guidance: &str) -> String {
    let mut g = String::new();
    g.push_str(match config.profile {
        argus_config::Profile::Quiet => "Profile: quiet. Report only likely bugs, security problems and data loss; no style, docs or test remarks.\n",
        argus_config::Profile::Balanced => "Profile: balanced. Report bugs, risks and clear maintainability problems.\n",
        argus_config::Profile::Thorough => "Profile: thorough. Also report missing tests, naming and documentation problems.\n",
    });
    g.push_str(&format!("Only report findings of severity {} or more serious.\n", config.severity_threshold.as_str()));
    if !config.language.trim().is_empty() && !config.language.eq_ignore_ascii_case("english") {
        g.push_str(&format!("Write titles, bodies and the summary in {}.\n", config.language.trim()));
    }
    if !config.instructions.trim().is_empty() {
        g.push_str(&format!("Instructions: {}\n", config.instructions.trim()));
    }
    if !guidance.trim().is_empty() {
        g.push_str(&redact(guidance).text);
    }
    contract::system_prompt(&PromptOptions { max_findings: 20, guidelines: Some(g) })
}

/// What the cached findings depend on besides the head: argus-config's hash
/// of the review-relevant settings and guidance, the models actually asked
/// (the operator's env may name them), the engine version and the scope (a
/// full review of a head is not an incremental one).
pub fn config_hash(config: &Config, llm: &LlmConfig, guidance: &str, scope: &Scope) -> String {
    let mut h = Sha256::new();
    for part in [ENGINE_VERSION.to_string(), argus_config::config_hash(config, guidance), llm.models().join(","), scope.key()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()[..12].iter().map(|b| format!("{b:02x}")).collect()
}

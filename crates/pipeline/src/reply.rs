//! Answers in review threads (the consumer's `reply/1` messages): the author's
//! write access (cached, as for commands), the thread read from GitHub (the
//! message carries ids only), ArgusAI's thread or a mention, one answer per
//! comment (its marker is looked for before posting), the repository's
//! configuration from the base branch (its model chain and language, read as a
//! review reads them), the cited lines of the file at the PR's head with the
//! enclosing function's header, one model call, the answer parsed, vetted and sanitized
//! (`argus_review::reply`, `render::thread_answer`), and one reply posted.
//! Every request goes through the invocation's clients, so the subrequest
//! ledger counts them.

use crate::platform::{ByRef, Platform};
use crate::ports::ConfigSource;
use crate::ports::{LogEvent, PipelineLog};
use crate::service::ReviewService;
use crate::stage::configure::config_job;
use crate::stage::gh_err;
use argus_coordinator::{PipelineError, ReplyOutcome, ReviewPipeline};
use argus_core::error::Classify;
use argus_core::http::Clock;
use argus_core::job::ReplyJob;
use argus_core::learning::Learning;
use argus_core::signal::ReplyIntent;
use argus_diff::tokens;
use argus_github::ReactionKind;
use argus_github::types::Side;
use argus_llm::{ChatRequest, LlmClient, Message};
use argus_review::learnings;
use argus_review::render;
use argus_review::reply::{self, CodeWindow, ReplyPrompt, ThreadMessage};
use argus_review::tripwire;

/// Lines of the file shown on each side of the thread's lines.
const AROUND: u32 = 12;
/// Output tokens an answer may take.
const ANSWER_TOKENS: u32 = 700;

impl<P: Platform> ReviewService<P> {
    fn log_reply(&self, r: &ReplyJob, step: &'static str, detail: serde_json::Value) {
        self.log.event(LogEvent {
            step,
            job_id: format!("reply-{}", r.reply_id),
            pr: r.pr.to_string(),
            deliveries: vec![r.delivery.to_string()],
            at_ms: self.clock.now().0,
            detail,
        });
    }

    /// See the module docs.
    pub async fn reply(&self, r: &ReplyJob) -> Result<ReplyOutcome, PipelineError> {
        let started = self.clock.now();
        let inst = self.github.installation(r.installation);
        // As for commands: `author_association` is not write access; GitHub's permission is.
        if !inst.has_write(&r.pr.repo, &r.author).await.map_err(|e| gh_err("reading the commenter's permission", e))? {
            return Ok(ReplyOutcome::Skipped(format!("{} has no write access", r.author)));
        }
        let comments = inst.review_comments(&r.pr).await.map_err(|e| gh_err("reading the review thread", e))?;
        let Some(root) = comments.iter().find(|c| c.id == r.root_id) else {
            return Ok(ReplyOutcome::Skipped("the thread is gone".into()));
        };
        if !comments.iter().any(|c| c.id == r.comment_id) {
            return Ok(ReplyOutcome::Skipped("the comment is gone".into()));
        }
        let thread: Vec<_> = comments.iter().filter(|c| c.id == r.root_id || c.in_reply_to_id == Some(r.root_id)).collect();
        let app = self.github.app_identity().await.map_err(|e| gh_err("reading the App's identity", e))?;
        let ours = app.authored(root.user.as_ref());
        if !ours && !r.intent.mentioned() {
            return Ok(ReplyOutcome::Skipped("a reply in a thread ArgusAI did not start".into()));
        }
        // One answer per comment: a retry, or a redelivery the coordinator forgot, finds its marker.
        if thread.iter().any(|c| app.authored(c.user.as_ref()) && render::replied_to(&c.body) == Some(r.comment_id)) {
            return Ok(ReplyOutcome::Skipped("already answered".into()));
        }
        let body = comments.iter().find(|c| c.id == r.comment_id).map_or("", |c| c.body.as_str());
        let heading = if ours { learnings::finding_heading(&root.body) } else { None };
        let source = |rule: String, title: Option<String>| Learning {
            id: 0,
            rule,
            path: None,
            category: heading.as_ref().map(|(c, _)| c.clone()),
            title,
            source_pr: r.pr.number.0,
            source_comment: r.comment_id,
            author: r.author.clone(),
            created_at: self.clock.now().0,
        };
        if r.intent == ReplyIntent::Learn {
            // `@argusai learn: <rule>`: remembered as written (sanitized when shown); no model call.
            let Some(rule) = learnings::taught_rule(body) else {
                return Ok(ReplyOutcome::Skipped("a learn command without a rule".into()));
            };
            let Some(stored) = self.config_source.learn(&r.pr.repo, &source(rule, None)).await else {
                return Err(PipelineError::retryable("the repository's learnings could not be written", None));
            };
            let text = format!("{}\n\n{}", learnings::learned_line(&stored), render::reply_marker(r.comment_id));
            inst.reply_to_review_comment(&r.pr, r.root_id, &text).await.map_err(|e| gh_err("posting the learning", e))?;
            self.log_reply(r, "learned", serde_json::json!({ "comment": r.comment_id, "learning": stored.id }));
            return Ok(ReplyOutcome::Answered);
        }
        // A writer rejecting ArgusAI's finding ("intended", "false positive", or a 👎
        // on it from them) teaches the repository not to report it again; so does
        // a dismissal (`@argusai resolve`) that says so. A bare resolve does not:
        // "fixed in the next commit" is no rejection.
        let rejected = ours
            && matches!(r.intent, ReplyIntent::Plain | ReplyIntent::Resolve)
            && heading.is_some()
            && (learnings::rejects(body)
                || inst.review_comment_reactions(&r.pr.repo, r.root_id).await.is_ok_and(|rs| {
                    rs.iter()
                        .any(|x| x.kind() == Some(ReactionKind::MinusOne) && x.user.as_ref().is_some_and(|u| u.login.eq_ignore_ascii_case(&r.author)))
                }));
        // The rejected finding's title, and the learning's rule: the model writes it
        // from the thread with its answer; without an answer (a bound was hit) or a
        // usable line, the rule names the finding.
        let rejected_finding = heading.as_ref().filter(|_| rejected);
        let template = |(category, title): &(String, String)| learnings::rejection_rule(category, title);
        if r.intent == ReplyIntent::Resolve {
            let dismissal = rejected_finding.map(|f| source(template(f), Some(f.1.clone())));
            return self.resolve_on_request(r, ours, root.origin().unwrap_or_default(), dismissal).await;
        }
        if let (Some(f), Some(_)) = (rejected_finding, r.limit) {
            self.config_source.learn(&r.pr.repo, &source(template(f), Some(f.1.clone()))).await;
        }
        if let Some(limit) = r.limit {
            inst.reply_to_review_comment(&r.pr, r.root_id, &render::reply_limit_note(limit, r.comment_id))
                .await
                .map_err(|e| gh_err("posting the bound's note", e))?;
            return Ok(ReplyOutcome::Noted);
        }

        let pr = inst.pull_request(&r.pr).await.map_err(|e| gh_err("reading the pull request", e))?;
        // The repository's configuration, exactly as a review of this PR reads it
        // (base branch only): the model chain and the language apply to answers too.
        let as_job = config_job(format!("reply-{}", r.reply_id), &r.pr, r.installation, &pr, vec![r.delivery.clone()], started);
        let config = self.configure(&as_job, &pr).await?.config;
        // The file at the PR's head around the thread's lines (not when they left the diff).
        let head_text = match (root.line, root.side) {
            (Some(_), Some(Side::Right) | None) => {
                let bytes = inst.file_content(&r.pr.repo, &root.path, pr.head.sha.as_str()).await.map_err(|e| gh_err("reading the file", e))?;
                bytes.and_then(|b| String::from_utf8(b).ok())
            }
            _ => None,
        };
        let scopes = head_text.as_deref().map(|t| argus_context::scopes_for_path(&root.path, t));
        let code = match (&head_text, root.line) {
            (Some(text), Some(line)) => CodeWindow::around(&root.path, text, root.start_line.unwrap_or(line), line, AROUND).map(|mut w| {
                // The enclosing function or type's header, when it starts above the window.
                if let Some(scope) =
                    scopes.as_ref().and_then(|s| s.chain_at(line).into_iter().rev().find(|s| s.kind.is_callable() || s.kind.is_type()))
                    && scope.header_end < w.first_line
                {
                    let all: Vec<&str> = text.lines().collect();
                    w.scope_header = scope.header().take(4).filter_map(|n| all.get(n as usize - 1).copied()).collect();
                }
                w
            }),
            _ => None,
        };
        let prompt = ReplyPrompt {
            intent: r.intent,
            path: &root.path,
            line: root.line,
            finding: ours.then_some(root.body.as_str()),
            code,
            thread: thread
                .iter()
                .map(|c| ThreadMessage {
                    author: c.user.as_ref().map_or("ghost", |u| u.login.as_str()),
                    by_argus: app.authored(c.user.as_ref()),
                    body: &c.body,
                })
                .collect(),
        };
        let mut system = reply::system_prompt(r.intent, &config.language);
        if rejected_finding.is_some() {
            system.push_str(reply::RULE_REQUEST);
        }
        let (user, redactions) = reply::user_message(&prompt);
        let llm = crate::stage::plan::llm_config_for(&self.llm.config, &config);
        let limits = llm.chunk_limits();
        if tokens::estimate(&system) + tokens::estimate(&user) > limits.max_input_tokens {
            return Ok(ReplyOutcome::Skipped("the thread does not fit the model's input".into()));
        }
        let req = ChatRequest::new(vec![Message::system(system), Message::user(user)], ANSWER_TOKENS.min(limits.max_output_tokens));
        let seed = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (self.seed, r.reply_id, r.comment_id, "reply").hash(&mut h);
            h.finish()
        };
        let deadline = llm.retry.review_deadline(started);
        let client = LlmClient::new(ByRef(&self.llm.provider), ByRef(&self.clock), ByRef(&self.llm.breakers), llm, seed);
        let done = client
            .complete(&req, Some(deadline))
            .await
            .map_err(|f| PipelineError { class: f.class(), message: format!("the model call failed: {}", f.error) })?;
        let text = done.response.text;
        // The answer is screened like a review's output: text that carries instructions back is not posted.
        if tripwire::steering(&text).is_some() {
            self.log_reply(r, "reply_screened", serde_json::json!({ "comment": r.comment_id }));
            return Ok(ReplyOutcome::Skipped("the answer was screened out as likely prompt-injected".into()));
        }
        let (text, model_rule) = if rejected_finding.is_some() { reply::take_rule(&text) } else { (text, None) };
        let learned = match rejected_finding {
            Some(f) => {
                let rule = model_rule.filter(|rule| tripwire::steering(rule).is_none()).unwrap_or_else(|| template(f));
                self.config_source.learn(&r.pr.repo, &source(rule, Some(f.1.clone()))).await
            }
            None => None,
        };
        let mut answer = reply::parse_answer(&text, r.intent, prompt.code.as_ref());
        if let Some(l) = &learned {
            answer.text = format!("{}\n\n{}", answer.text.trim_end(), learnings::learned_line(l));
        }
        let body = render::thread_answer(&answer, r.comment_id);
        inst.reply_to_review_comment(&r.pr, r.root_id, &body).await.map_err(|e| gh_err("posting the answer", e))?;
        self.log_reply(
            r,
            "replied",
            serde_json::json!({
                "comment": r.comment_id, "root": r.root_id, "intent": r.intent.as_str(), "model": done.model_used,
                "tokens_in": done.usage.prompt_tokens, "tokens_out": done.usage.completion_tokens,
                "suggestion": answer.suggestion.is_some(), "redactions": redactions.total(),
                "subrequests": self.subrequests(),
            }),
        );
        Ok(ReplyOutcome::Answered)
    }

    /// `@argusai resolve` in ArgusAI's own thread: the thread is resolved at once
    /// (GraphQL `resolveReviewThread`), no model is asked, and one reply says who
    /// asked. Another's thread, or one already resolved, is left as it is.
    /// `dismissal`: the learning a rejecting resolve teaches, stored before the
    /// reply (once per comment, so a retry stores nothing twice) and named in it.
    async fn resolve_on_request(&self, r: &ReplyJob, ours: bool, commit: &str, dismissal: Option<Learning>) -> Result<ReplyOutcome, PipelineError> {
        if !ours {
            return Ok(ReplyOutcome::Skipped("only ArgusAI's own threads are resolved on request".into()));
        }
        let inst = self.github.installation(r.installation);
        let threads = inst.review_threads(&r.pr).await.map_err(|e| gh_err("reading the review threads", e))?;
        let Some(thread) = threads.iter().find(|t| t.root().is_some_and(|c| c.database_id == r.root_id)) else {
            return Ok(ReplyOutcome::Skipped("the thread is gone".into()));
        };
        if !thread.is_resolved {
            inst.resolve_review_thread(&thread.id).await.map_err(|e| gh_err("resolving the thread", e))?;
        }
        let learned = match &dismissal {
            Some(l) => self.config_source.learn(&r.pr.repo, l).await,
            None => None,
        };
        let mut text = render::resolved_on_request(&r.author, r.comment_id, commit);
        if let Some(l) = &learned {
            text = format!("{}\n\n{text}", learnings::learned_line(l));
        }
        inst.reply_to_review_comment(&r.pr, r.root_id, &text).await.map_err(|e| gh_err("posting the resolution", e))?;
        self.log_reply(
            r,
            "resolved_on_request",
            serde_json::json!({ "comment": r.comment_id, "root": r.root_id, "was_resolved": thread.is_resolved, "learning": learned.map(|l| l.id) }),
        );
        Ok(ReplyOutcome::Answered)
    }
}

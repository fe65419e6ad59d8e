//! Which deliveries reach a pull request's coordinator. Pure: the decision is a
//! function of the parsed event and the front door's configuration, so it is
//! tested as a table (see `tests` below and `tests/corpus.rs`).

use crate::event::{CommentAction, Event, PrAction, PrCommentEvent, PullRequestEvent, ReviewCommentEvent};
use crate::ids::{DeliveryId, InstallationId, PrRef, UnixMillis};
use crate::signal::{Command, Inbound, ReplyIntent, Signal};

/// The default for `REVIEW_ENABLED_EVENTS`.
pub const DEFAULT_ENABLED_EVENTS: &str = "pull_request.opened,pull_request.synchronize,pull_request.reopened,pull_request.ready_for_review";

#[derive(Clone, Debug)]
pub struct FilterConfig {
    /// `event.action` names that start a review, from `REVIEW_ENABLED_EVENTS`.
    pub enabled_events: Vec<String>,
    /// The handle users mention in commands, without `@` (`BOT_HANDLE`, default `argusai`).
    pub bot_handle: String,
}

impl Default for FilterConfig {
    fn default() -> Self {
        Self::from_vars(None, None)
    }
}

impl FilterConfig {
    pub fn from_vars(enabled_events: Option<&str>, bot_handle: Option<&str>) -> Self {
        let enabled = enabled_events.filter(|s| !s.trim().is_empty()).unwrap_or(DEFAULT_ENABLED_EVENTS);
        Self {
            enabled_events: enabled.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            bot_handle: bot_handle
                .map(|h| h.trim().trim_start_matches('@').to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "argusai".into()),
        }
    }

    fn enabled(&self, action: PrAction) -> bool {
        let name = format!("pull_request.{}", action.as_str());
        self.enabled_events.contains(&name)
    }
}

/// What the front door does with a parsed delivery (one per delivery, moved once).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Decision {
    /// Answer `ping` with 200.
    Pong,
    /// Forward to the PR's coordinator.
    Route(Inbound),
    /// Acknowledge with 202 and do nothing, for the stated reason.
    Ignore(String),
}

impl Decision {
    /// A short word for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Decision::Pong => "pong",
            Decision::Route(_) => "routed",
            Decision::Ignore(_) => "ignored",
        }
    }
}

pub fn decide(cfg: &FilterConfig, event: Event, delivery: DeliveryId, now: UnixMillis) -> Decision {
    match event {
        Event::Ping { .. } => Decision::Pong,
        Event::Installation(i) => Decision::Ignore(format!("{} {} acknowledged; nothing to review", i.event, i.action)),
        Event::PullRequest(e) => decide_pr(cfg, e, delivery, now),
        Event::PrComment(c) => decide_comment(cfg, c, delivery, now),
        Event::ReviewComment(c) => decide_review_comment(cfg, c, delivery, now),
    }
}

fn decide_pr(cfg: &FilterConfig, e: PullRequestEvent, delivery: DeliveryId, now: UnixMillis) -> Decision {
    let Some(installation) = e.installation else {
        return Decision::Ignore("delivery has no installation: ArgusAI acts only as an installed GitHub App".into());
    };
    let signal = match e.action {
        // Lifecycle events always reach the coordinator, whoever sent them: a PR
        // closed by a bot must still cancel its pending review.
        PrAction::Closed => Signal::Closed { merged: e.merged },
        PrAction::ConvertedToDraft => Signal::ConvertedToDraft,
        action => {
            if !cfg.enabled(action) {
                return Decision::Ignore(format!("pull_request.{} is not in REVIEW_ENABLED_EVENTS", action.as_str()));
            }
            if e.sender.is_bot {
                return Decision::Ignore(format!("sender {} is a bot", e.sender.login));
            }
            if !e.open {
                return Decision::Ignore("pull request is closed".into());
            }
            // Drafts are routed like any PR: whether they are reviewed is the
            // repository's `review_drafts` setting, which only the review job can
            // read (from the base branch); the front door never calls GitHub.
            Signal::Review {
                trigger: action,
                head_sha: e.head_sha,
                base_sha: e.base_sha,
                base_ref: e.base_ref,
                title: e.title,
                author: e.author.login,
                labels: e.labels,
                draft: e.draft,
            }
        }
    };
    Decision::Route(Inbound { delivery, received_at: now, pr: e.pr, installation: Some(installation), signal })
}

fn decide_comment(cfg: &FilterConfig, c: PrCommentEvent, delivery: DeliveryId, now: UnixMillis) -> Decision {
    if c.action != CommentAction::Created {
        return Decision::Ignore("only new comments can carry commands".into());
    }
    if c.sender.is_bot {
        return Decision::Ignore(format!("sender {} is a bot", c.sender.login));
    }
    let Some(command) = Command::parse(&c.body, &cfg.bot_handle) else {
        return Decision::Ignore(format!("comment does not mention @{}", cfg.bot_handle));
    };
    if !c.author_association.can_write() {
        return Decision::Ignore(format!("{} has no write access ({:?})", c.sender.login, c.author_association));
    }
    let Some(installation) = c.installation else {
        return Decision::Ignore("delivery has no installation: ArgusAI acts only as an installed GitHub App".into());
    };
    Decision::Route(Inbound {
        delivery,
        received_at: now,
        pr: PrRef { repo: c.pr.repo, number: c.pr.number },
        installation: Some(InstallationId(installation.0)),
        signal: Signal::Command { command, comment_id: c.comment_id, author: c.sender.login },
    })
}

/// A comment on a diff line: routed when it is a reply in a thread (the
/// consumer answers only in threads ArgusAI started) or mentions the handle.
/// Bots, ArgusAI itself, edits and deletions never are.
fn decide_review_comment(cfg: &FilterConfig, c: ReviewCommentEvent, delivery: DeliveryId, now: UnixMillis) -> Decision {
    if c.action != CommentAction::Created {
        return Decision::Ignore("only new review comments are answered".into());
    }
    let own = c.author.login.strip_suffix("[bot]").unwrap_or(&c.author.login).eq_ignore_ascii_case(&cfg.bot_handle);
    if c.author.is_bot || own {
        return Decision::Ignore(format!("author {} is a bot", c.author.login));
    }
    let intent = ReplyIntent::parse(&c.body, &cfg.bot_handle);
    if c.in_reply_to_id.is_none() && !intent.mentioned() {
        return Decision::Ignore(format!("review comment starts a thread without mentioning @{}", cfg.bot_handle));
    }
    if !c.author_association.can_write() {
        return Decision::Ignore(format!("{} has no write access ({:?})", c.author.login, c.author_association));
    }
    let Some(installation) = c.installation else {
        return Decision::Ignore("delivery has no installation: ArgusAI acts only as an installed GitHub App".into());
    };
    let root_id = c.root_id();
    Decision::Route(Inbound {
        delivery,
        received_at: now,
        pr: c.pr,
        installation: Some(installation),
        signal: Signal::ThreadReply { comment_id: c.comment_id, root_id, author: c.author.login, intent },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Actor, AuthorAssociation, PrCommentEvent, ReviewCommentEvent};
    use crate::ids::{CommitSha, PrNumber, RepoName};

    fn pr(action: PrAction) -> PullRequestEvent {
        PullRequestEvent {
            action,
            pr: PrRef::new(RepoName::new("o", "r"), PrNumber(1)),
            installation: Some(InstallationId(5)),
            head_sha: CommitSha("a".repeat(40)),
            base_sha: CommitSha("b".repeat(40)),
            base_ref: "main".into(),
            before_sha: None,
            draft: false,
            open: true,
            merged: false,
            title: "t".into(),
            author: Actor { login: "alice".into(), is_bot: false },
            sender: Actor { login: "alice".into(), is_bot: false },
            labels: vec![],
        }
    }

    fn comment(body: &str, assoc: AuthorAssociation) -> PrCommentEvent {
        PrCommentEvent {
            action: CommentAction::Created,
            pr: PrRef::new(RepoName::new("o", "r"), PrNumber(1)),
            installation: Some(InstallationId(5)),
            comment_id: 3,
            body: body.into(),
            author_association: assoc,
            sender: Actor { login: "bob".into(), is_bot: false },
        }
    }

    fn review_comment(body: &str, reply_to: Option<u64>, login: &str, assoc: AuthorAssociation) -> Event {
        Event::ReviewComment(ReviewCommentEvent {
            action: CommentAction::Created,
            pr: PrRef::new(RepoName::new("o", "r"), PrNumber(1)),
            installation: Some(InstallationId(5)),
            comment_id: 8,
            in_reply_to_id: reply_to,
            body: body.into(),
            author: Actor { login: login.into(), is_bot: login.ends_with("[bot]") },
            author_association: assoc,
            path: "a.rs".into(),
            line: Some(3),
        })
    }

    #[test]
    fn review_comment_table() {
        use AuthorAssociation::{Collaborator, Contributor, Member, Owner};
        let cfg = FilterConfig::default();
        let edited = {
            let Event::ReviewComment(mut c) = review_comment("@argusai fix", Some(2), "bob", Owner) else { unreachable!() };
            c.action = CommentAction::Edited;
            Event::ReviewComment(c)
        };
        let no_install = {
            let Event::ReviewComment(mut c) = review_comment("why?", Some(2), "bob", Owner) else { unreachable!() };
            c.installation = None;
            Event::ReviewComment(c)
        };
        let table: Vec<(Event, &str)> = vec![
            (review_comment("why?", Some(2), "bob", Member), "route: thread_reply plain root=2"),
            (review_comment("@argusai fix", Some(2), "bob", Collaborator), "route: thread_reply fix root=2"),
            (review_comment("@argusai explain", None, "bob", Owner), "route: thread_reply explain root=8"),
            (review_comment("@argusai is this safe?", None, "bob", Owner), "route: thread_reply question root=8"),
            (review_comment("nit: rename", None, "bob", Owner), "ignore: review comment starts a thread without mentioning @argusai"),
            (review_comment("why?", Some(2), "bob", Contributor), "ignore: bob has no write access (Contributor)"),
            (review_comment("why?", Some(2), "helper[bot]", Owner), "ignore: author helper[bot] is a bot"),
            (review_comment("@argusai fix", Some(2), "ArgusAI", Owner), "ignore: author ArgusAI is a bot"),
            (edited, "ignore: only new review comments are answered"),
            (no_install, "ignore: delivery has no installation: ArgusAI acts only as an installed GitHub App"),
        ];
        for (i, (event, want)) in table.into_iter().enumerate() {
            let got = match decide(&cfg, event, DeliveryId("d".into()), UnixMillis(0)) {
                Decision::Route(Inbound { signal: Signal::ThreadReply { root_id, intent, comment_id: 8, .. }, .. }) => {
                    format!("route: thread_reply {} root={root_id}", intent.as_str())
                }
                Decision::Ignore(r) => format!("ignore: {r}"),
                other => format!("{other:?}"),
            };
            assert_eq!(got, want, "row {i}");
        }
    }

    fn run(cfg: &FilterConfig, e: Event) -> String {
        match decide(cfg, e, DeliveryId("d".into()), UnixMillis(0)) {
            Decision::Pong => "pong".into(),
            Decision::Ignore(r) => format!("ignore: {r}"),
            Decision::Route(i) => format!("route: {}", i.signal.kind()),
        }
    }

    #[test]
    fn decision_table() {
        let cfg = FilterConfig::default();
        let only_opened = FilterConfig::from_vars(Some("pull_request.opened"), None);
        let with = |f: fn(&mut PullRequestEvent), a: PrAction| {
            let mut e = pr(a);
            f(&mut e);
            Event::PullRequest(e)
        };
        let table: Vec<(&FilterConfig, Event, &str)> = vec![
            (&cfg, Event::Ping { hook_id: None, zen: None }, "pong"),
            (&cfg, Event::PullRequest(pr(PrAction::Opened)), "route: review"),
            (&cfg, Event::PullRequest(pr(PrAction::Synchronize)), "route: review"),
            (&cfg, Event::PullRequest(pr(PrAction::Reopened)), "route: review"),
            (&cfg, Event::PullRequest(pr(PrAction::ReadyForReview)), "route: review"),
            (&cfg, Event::PullRequest(pr(PrAction::Closed)), "route: closed"),
            (&cfg, Event::PullRequest(pr(PrAction::ConvertedToDraft)), "route: converted_to_draft"),
            (&only_opened, Event::PullRequest(pr(PrAction::Synchronize)), "ignore: pull_request.synchronize is not in REVIEW_ENABLED_EVENTS"),
            (&cfg, with(|e| e.draft = true, PrAction::Opened), "route: review"),
            (&cfg, with(|e| e.open = false, PrAction::Reopened), "ignore: pull request is closed"),
            (
                &cfg,
                with(|e| e.sender = Actor { login: "argusai[bot]".into(), is_bot: true }, PrAction::Synchronize),
                "ignore: sender argusai[bot] is a bot",
            ),
            (&cfg, with(|e| e.sender = Actor { login: "dependabot[bot]".into(), is_bot: true }, PrAction::Closed), "route: closed"),
            (
                &cfg,
                with(|e| e.installation = None, PrAction::Opened),
                "ignore: delivery has no installation: ArgusAI acts only as an installed GitHub App",
            ),
            (&cfg, Event::PrComment(comment("@argusai review", AuthorAssociation::Owner)), "route: command"),
            (&cfg, Event::PrComment(comment("@ArgusAI full review please", AuthorAssociation::Collaborator)), "route: command"),
            (&cfg, Event::PrComment(comment("@argusai review", AuthorAssociation::Contributor)), "ignore: bob has no write access (Contributor)"),
            (&cfg, Event::PrComment(comment("looks good", AuthorAssociation::Owner)), "ignore: comment does not mention @argusai"),
            (&cfg, Event::PrComment(comment("email me at x@argusai.dev", AuthorAssociation::Owner)), "ignore: comment does not mention @argusai"),
        ];
        for (i, (cfg, event, want)) in table.into_iter().enumerate() {
            assert_eq!(run(cfg, event), want, "row {i}");
        }
    }
}

//! Which deliveries reach a pull request's coordinator. Pure: the decision is a
//! function of the parsed event and the front door's configuration, so it is
//! tested as a table (see `tests` below and `tests/corpus.rs`).

use crate::event::{CommentAction, Event, PrAction, PrCommentEvent, PullRequestEvent};
use crate::ids::{DeliveryId, InstallationId, PrRef, UnixMillis};
use crate::signal::{Command, Inbound, Signal};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Actor, AuthorAssociation, PrCommentEvent};
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

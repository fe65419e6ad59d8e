//! Webhook JSON → a small domain enum. Only the fields ArgusAI acts on are read;
//! events it never acts on come back as [`Parsed::Ignored`] with a reason, and a
//! body that is not the JSON GitHub documents for the event is a [`ParseError`].

use crate::ids::{CommitSha, InstallationId, PrNumber, PrRef, RepoName};
use serde::{Deserialize, Serialize};

/// What a delivery means to ArgusAI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// GitHub's `ping` after a hook is created.
    Ping {
        hook_id: Option<u64>,
        zen: Option<String>,
    },
    PullRequest(PullRequestEvent),
    /// A comment on a pull request's conversation (`issue_comment` whose issue is a PR).
    PrComment(PrCommentEvent),
    /// `installation` and `installation_repositories` events.
    Installation(InstallationEvent),
    /// A comment on a diff line (`pull_request_review_comment`): a new thread, or a reply in one.
    ReviewComment(ReviewCommentEvent),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrAction {
    Opened,
    Synchronize,
    Reopened,
    ReadyForReview,
    Closed,
    ConvertedToDraft,
}

impl PrAction {
    fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "opened" => Self::Opened,
            "synchronize" => Self::Synchronize,
            "reopened" => Self::Reopened,
            "ready_for_review" => Self::ReadyForReview,
            "closed" => Self::Closed,
            "converted_to_draft" => Self::ConvertedToDraft,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Synchronize => "synchronize",
            Self::Reopened => "reopened",
            Self::ReadyForReview => "ready_for_review",
            Self::Closed => "closed",
            Self::ConvertedToDraft => "converted_to_draft",
        }
    }
}

/// Who triggered a delivery. GitHub's `sender.type` is `User`, `Bot` or `Organization`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub login: String,
    pub is_bot: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestEvent {
    pub action: PrAction,
    pub pr: PrRef,
    pub installation: Option<InstallationId>,
    pub head_sha: CommitSha,
    pub base_sha: CommitSha,
    pub base_ref: String,
    /// For `synchronize`: the head before the push (GitHub's `before`).
    pub before_sha: Option<CommitSha>,
    pub draft: bool,
    pub open: bool,
    pub merged: bool,
    pub title: String,
    pub author: Actor,
    pub sender: Actor,
    pub labels: Vec<String>,
}

/// GitHub's `author_association` of a comment's author with the repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorAssociation {
    Owner,
    Member,
    Collaborator,
    Contributor,
    FirstTimer,
    FirstTimeContributor,
    Mannequin,
    None,
}

impl AuthorAssociation {
    fn from_wire(s: &str) -> Self {
        match s {
            "OWNER" => Self::Owner,
            "MEMBER" => Self::Member,
            "COLLABORATOR" => Self::Collaborator,
            "CONTRIBUTOR" => Self::Contributor,
            "FIRST_TIMER" => Self::FirstTimer,
            "FIRST_TIME_CONTRIBUTOR" => Self::FirstTimeContributor,
            "MANNEQUIN" => Self::Mannequin,
            _ => Self::None,
        }
    }

    /// Whether GitHub reports write access: owners, organisation members and collaborators.
    pub fn can_write(self) -> bool {
        matches!(self, Self::Owner | Self::Member | Self::Collaborator)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentAction {
    Created,
    Edited,
    Deleted,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrCommentEvent {
    pub action: CommentAction,
    pub pr: PrRef,
    pub installation: Option<InstallationId>,
    pub comment_id: u64,
    pub body: String,
    pub author_association: AuthorAssociation,
    pub sender: Actor,
}

/// A review comment: on a diff line, started as a thread or replied in one.
/// The body is read by the front door's filter only; it never travels further
/// (the consumer reads the thread from GitHub).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCommentEvent {
    pub action: CommentAction,
    pub pr: PrRef,
    pub installation: Option<InstallationId>,
    pub comment_id: u64,
    /// The thread's first comment when this is a reply (GitHub's `in_reply_to_id`).
    pub in_reply_to_id: Option<u64>,
    pub body: String,
    pub author: Actor,
    pub author_association: AuthorAssociation,
    pub path: String,
    /// `None` when the comment is on a line no longer in the diff.
    pub line: Option<u32>,
}

impl ReviewCommentEvent {
    /// The thread's first comment: the comment itself when it starts a thread.
    pub fn root_id(&self) -> u64 {
        self.in_reply_to_id.unwrap_or(self.comment_id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationEvent {
    /// `installation` or `installation_repositories`.
    pub event: String,
    pub action: String,
    pub installation: InstallationId,
    pub account: Option<String>,
}

/// The outcome of parsing one delivery. One value per delivery, moved once: the
/// size difference between variants costs nothing worth a box.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    Event(Event),
    /// A well-formed delivery ArgusAI does not act on, with the reason.
    Ignored(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("body is not valid JSON: {0}")]
    Json(String),
    #[error("`{event}` payload is missing or has a malformed `{field}`")]
    Field { event: String, field: &'static str },
}

/// Parses a delivery given its `X-GitHub-Event` name and raw body.
pub fn parse(event_name: &str, body: &[u8]) -> Result<Parsed, ParseError> {
    match event_name {
        "ping" => {
            let p: wire::Ping = from_json(body)?;
            Ok(Parsed::Event(Event::Ping { hook_id: p.hook_id, zen: p.zen }))
        }
        "pull_request" => parse_pull_request(body),
        "issue_comment" => parse_issue_comment(body),
        "pull_request_review_comment" => parse_review_comment(body),
        "installation" | "installation_repositories" => {
            let p: wire::Installation = from_json(body)?;
            let inst = p.installation.ok_or_else(|| field(event_name, "installation"))?;
            Ok(Parsed::Event(Event::Installation(InstallationEvent {
                event: event_name.to_string(),
                action: p.action.unwrap_or_default(),
                installation: InstallationId(inst.id),
                account: inst.account.map(|a| a.login),
            })))
        }
        other => {
            // Still require JSON, so a garbage body is a 400 whatever the event name.
            let _: serde::de::IgnoredAny = from_json(body)?;
            Ok(Parsed::Ignored(format!("event `{other}` is not used by ArgusAI")))
        }
    }
}

fn parse_pull_request(body: &[u8]) -> Result<Parsed, ParseError> {
    const EV: &str = "pull_request";
    let p: wire::PullRequestPayload = from_json(body)?;
    let action_raw = p.action.as_deref().ok_or_else(|| field(EV, "action"))?;
    let Some(action) = PrAction::from_wire(action_raw) else {
        return Ok(Parsed::Ignored(format!("pull_request action `{action_raw}` is not used by ArgusAI")));
    };
    let pr = p.pull_request.ok_or_else(|| field(EV, "pull_request"))?;
    let repo = p.repository.ok_or_else(|| field(EV, "repository"))?;
    let repo = RepoName::parse(&repo.full_name).ok_or_else(|| field(EV, "repository.full_name"))?;
    let number = p.number.or(pr.number).ok_or_else(|| field(EV, "number"))?;
    if number == 0 {
        return Err(field(EV, "number"));
    }
    let sender = p.sender.ok_or_else(|| field(EV, "sender"))?;
    Ok(Parsed::Event(Event::PullRequest(PullRequestEvent {
        action,
        pr: PrRef::new(repo, PrNumber(number)),
        installation: p.installation.map(|i| InstallationId(i.id)),
        head_sha: sha(EV, "pull_request.head.sha", &pr.head.sha)?,
        base_sha: sha(EV, "pull_request.base.sha", &pr.base.sha)?,
        base_ref: pr.base.r#ref,
        before_sha: p.before.as_deref().map(|s| sha(EV, "before", s)).transpose()?,
        draft: pr.draft.unwrap_or(false),
        open: pr.state == "open",
        merged: pr.merged.unwrap_or(false),
        title: pr.title.unwrap_or_default(),
        author: pr.user.map(Actor::from).unwrap_or(Actor { login: String::new(), is_bot: false }),
        sender: Actor::from(sender),
        labels: pr.labels.into_iter().map(|l| l.name).collect(),
    })))
}

fn parse_issue_comment(body: &[u8]) -> Result<Parsed, ParseError> {
    const EV: &str = "issue_comment";
    let p: wire::IssueCommentPayload = from_json(body)?;
    let issue = p.issue.ok_or_else(|| field(EV, "issue"))?;
    if issue.pull_request.is_none() {
        return Ok(Parsed::Ignored("comment is on an issue, not a pull request".into()));
    }
    let action = match p.action.as_deref().ok_or_else(|| field(EV, "action"))? {
        "created" => CommentAction::Created,
        "edited" => CommentAction::Edited,
        "deleted" => CommentAction::Deleted,
        other => return Ok(Parsed::Ignored(format!("issue_comment action `{other}` is not used by ArgusAI"))),
    };
    let comment = p.comment.ok_or_else(|| field(EV, "comment"))?;
    let repo = p.repository.ok_or_else(|| field(EV, "repository"))?;
    let repo = RepoName::parse(&repo.full_name).ok_or_else(|| field(EV, "repository.full_name"))?;
    let sender = p.sender.ok_or_else(|| field(EV, "sender"))?;
    if issue.number == 0 {
        return Err(field(EV, "issue.number"));
    }
    Ok(Parsed::Event(Event::PrComment(PrCommentEvent {
        action,
        pr: PrRef::new(repo, PrNumber(issue.number)),
        installation: p.installation.map(|i| InstallationId(i.id)),
        comment_id: comment.id,
        body: comment.body.unwrap_or_default(),
        author_association: AuthorAssociation::from_wire(comment.author_association.as_deref().unwrap_or("NONE")),
        sender: Actor::from(sender),
    })))
}

/// `pull_request_review_comment`
/// (<https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request_review_comment>).
fn parse_review_comment(body: &[u8]) -> Result<Parsed, ParseError> {
    const EV: &str = "pull_request_review_comment";
    let p: wire::ReviewCommentPayload = from_json(body)?;
    let action = match p.action.as_deref().ok_or_else(|| field(EV, "action"))? {
        "created" => CommentAction::Created,
        "edited" => CommentAction::Edited,
        "deleted" => CommentAction::Deleted,
        other => return Ok(Parsed::Ignored(format!("pull_request_review_comment action `{other}` is not used by ArgusAI"))),
    };
    let comment = p.comment.ok_or_else(|| field(EV, "comment"))?;
    let pull = p.pull_request.ok_or_else(|| field(EV, "pull_request"))?;
    let repo = p.repository.ok_or_else(|| field(EV, "repository"))?;
    let repo = RepoName::parse(&repo.full_name).ok_or_else(|| field(EV, "repository.full_name"))?;
    if pull.number == 0 {
        return Err(field(EV, "pull_request.number"));
    }
    // The comment's own author; the sender is the same person for `created`.
    let author = comment.user.or(p.sender).ok_or_else(|| field(EV, "comment.user"))?;
    Ok(Parsed::Event(Event::ReviewComment(ReviewCommentEvent {
        action,
        pr: PrRef::new(repo, PrNumber(pull.number)),
        installation: p.installation.map(|i| InstallationId(i.id)),
        comment_id: comment.id,
        in_reply_to_id: comment.in_reply_to_id,
        body: comment.body.unwrap_or_default(),
        author: Actor::from(author),
        author_association: AuthorAssociation::from_wire(comment.author_association.as_deref().unwrap_or("NONE")),
        path: comment.path.unwrap_or_default(),
        line: comment.line,
    })))
}

fn from_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ParseError> {
    serde_json::from_slice(body).map_err(|e| {
        // serde_json's message names what was wrong and where, without echoing the body.
        ParseError::Json(e.to_string())
    })
}

fn field(event: &str, field: &'static str) -> ParseError {
    ParseError::Field { event: event.to_string(), field }
}

fn sha(event: &str, name: &'static str, s: &str) -> Result<CommitSha, ParseError> {
    if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) { Ok(CommitSha(s.to_ascii_lowercase())) } else { Err(field(event, name)) }
}

impl From<wire::User> for Actor {
    fn from(u: wire::User) -> Self {
        Actor { is_bot: u.kind.as_deref() == Some("Bot") || u.login.ends_with("[bot]"), login: u.login }
    }
}

/// Exactly the fields read from GitHub's payloads; serde skips the rest without
/// allocating for them.
mod wire {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Ping {
        pub hook_id: Option<u64>,
        pub zen: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Id {
        pub id: u64,
    }

    #[derive(Deserialize)]
    pub struct Repository {
        pub full_name: String,
    }

    #[derive(Deserialize)]
    pub struct User {
        pub login: String,
        #[serde(rename = "type")]
        pub kind: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Label {
        pub name: String,
    }

    #[derive(Deserialize)]
    pub struct GitRef {
        pub sha: String,
        #[serde(default)]
        pub r#ref: String,
    }

    #[derive(Deserialize)]
    pub struct PullRequest {
        pub number: Option<u64>,
        pub state: String,
        pub draft: Option<bool>,
        pub merged: Option<bool>,
        pub title: Option<String>,
        pub user: Option<User>,
        pub head: GitRef,
        pub base: GitRef,
        #[serde(default)]
        pub labels: Vec<Label>,
    }

    #[derive(Deserialize)]
    pub struct PullRequestPayload {
        pub action: Option<String>,
        pub number: Option<u64>,
        pub before: Option<String>,
        pub pull_request: Option<PullRequest>,
        pub repository: Option<Repository>,
        pub installation: Option<Id>,
        pub sender: Option<User>,
    }

    #[derive(Deserialize)]
    pub struct Issue {
        pub number: u64,
        pub pull_request: Option<serde::de::IgnoredAny>,
    }

    #[derive(Deserialize)]
    pub struct Comment {
        pub id: u64,
        pub body: Option<String>,
        pub author_association: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct IssueCommentPayload {
        pub action: Option<String>,
        pub issue: Option<Issue>,
        pub comment: Option<Comment>,
        pub repository: Option<Repository>,
        pub installation: Option<Id>,
        pub sender: Option<User>,
    }

    #[derive(Deserialize)]
    pub struct ReviewComment {
        pub id: u64,
        pub in_reply_to_id: Option<u64>,
        pub body: Option<String>,
        pub user: Option<User>,
        pub author_association: Option<String>,
        pub path: Option<String>,
        pub line: Option<u32>,
    }

    #[derive(Deserialize)]
    pub struct PullNumber {
        pub number: u64,
    }

    #[derive(Deserialize)]
    pub struct ReviewCommentPayload {
        pub action: Option<String>,
        pub comment: Option<ReviewComment>,
        pub pull_request: Option<PullNumber>,
        pub repository: Option<Repository>,
        pub installation: Option<Id>,
        pub sender: Option<User>,
    }

    #[derive(Deserialize)]
    pub struct Account {
        pub login: String,
    }

    #[derive(Deserialize)]
    pub struct InstallationInfo {
        pub id: u64,
        pub account: Option<Account>,
    }

    #[derive(Deserialize)]
    pub struct Installation {
        pub action: Option<String>,
        pub installation: Option<InstallationInfo>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pr_body(action: &str, extra: &str) -> String {
        format!(
            r#"{{"action":"{action}","number":7,{extra}
            "pull_request":{{"number":7,"state":"open","draft":false,"title":"t",
              "user":{{"login":"alice","type":"User"}},
              "head":{{"sha":"{h}","ref":"feature"}},"base":{{"sha":"{b}","ref":"main"}},
              "labels":[{{"name":"bug"}}]}},
            "repository":{{"full_name":"o/r"}},"installation":{{"id":9}},
            "sender":{{"login":"alice","type":"User"}}}}"#,
            h = "a".repeat(40),
            b = "b".repeat(40)
        )
    }

    #[test]
    fn pull_request_opened_becomes_domain_event() {
        let Parsed::Event(Event::PullRequest(e)) = parse("pull_request", pr_body("opened", "").as_bytes()).unwrap() else { panic!("not a PR event") };
        assert_eq!(e.action, PrAction::Opened);
        assert_eq!(e.pr.durable_object_name(), "o/r#7");
        assert_eq!(e.installation, Some(InstallationId(9)));
        assert_eq!(e.labels, vec!["bug".to_string()]);
        assert!(e.open && !e.draft && !e.sender.is_bot);
    }

    #[test]
    fn unknown_pr_action_is_ignored_not_an_error() {
        let out = parse("pull_request", pr_body("labeled", "").as_bytes()).unwrap();
        assert!(matches!(out, Parsed::Ignored(r) if r.contains("labeled")));
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(matches!(parse("pull_request", b"{not json"), Err(ParseError::Json(_))));
        assert!(matches!(parse("push", b"[1,"), Err(ParseError::Json(_))));
        assert!(matches!(parse("pull_request", br#"{"action":"opened"}"#), Err(ParseError::Field { .. })));
        let bad_sha = pr_body("opened", "").replace(&"a".repeat(40), "zzz");
        assert!(matches!(parse("pull_request", bad_sha.as_bytes()), Err(ParseError::Field { field: "pull_request.head.sha", .. })));
    }

    #[test]
    fn bot_sender_is_recognised_by_type_or_suffix() {
        let body = pr_body("opened", "").replace(r#""sender":{"login":"alice","type":"User"}"#, r#""sender":{"login":"argusai[bot]"}"#);
        let Parsed::Event(Event::PullRequest(e)) = parse("pull_request", body.as_bytes()).unwrap() else { panic!() };
        assert!(e.sender.is_bot);
    }

    fn review_comment_body(action: &str, reply_to: &str, user: &str, kind: &str) -> String {
        format!(
            r#"{{"action":"{action}","comment":{{"id":41,{reply_to}"body":"@argusai why?","path":"src/a.rs","line":12,
              "user":{{"login":"{user}","type":"{kind}"}},"author_association":"MEMBER"}},
            "pull_request":{{"number":7}},"repository":{{"full_name":"o/r"}},"installation":{{"id":9}},
            "sender":{{"login":"{user}","type":"{kind}"}}}}"#
        )
    }

    #[test]
    fn review_comment_reply_becomes_domain_event() {
        let body = review_comment_body("created", r#""in_reply_to_id":40,"#, "alice", "User");
        let Parsed::Event(Event::ReviewComment(e)) = parse("pull_request_review_comment", body.as_bytes()).unwrap() else {
            panic!("not a review comment")
        };
        assert_eq!(e.action, CommentAction::Created);
        assert_eq!((e.comment_id, e.in_reply_to_id, e.root_id()), (41, Some(40), 40));
        assert_eq!(e.pr.durable_object_name(), "o/r#7");
        assert_eq!((e.path.as_str(), e.line, e.installation), ("src/a.rs", Some(12), Some(InstallationId(9))));
        assert_eq!(e.author_association, AuthorAssociation::Member);
        assert!(!e.author.is_bot && e.body == "@argusai why?");
    }

    #[test]
    fn review_comment_starting_a_thread_is_its_own_root_and_bots_are_marked() {
        let body = review_comment_body("edited", "", "helper[bot]", "Bot");
        let Parsed::Event(Event::ReviewComment(e)) = parse("pull_request_review_comment", body.as_bytes()).unwrap() else { panic!() };
        assert_eq!((e.root_id(), e.action), (41, CommentAction::Edited));
        assert!(e.author.is_bot);
        let unknown = review_comment_body("resolved", "", "alice", "User");
        assert!(matches!(parse("pull_request_review_comment", unknown.as_bytes()).unwrap(), Parsed::Ignored(_)));
        assert!(matches!(parse("pull_request_review_comment", br#"{"action":"created"}"#), Err(ParseError::Field { field: "comment", .. })));
    }
}

//! The queue messages: small, versioned descriptions of work for the consumer
//! — a review job, the notes and reactions a coordinator decided on, a check
//! that a command's author may give it. They never carry the diff (a Queue
//! message is capped at 128 KB); the consumer fetches what it needs from GitHub.

use crate::event::PrAction;
use crate::ids::{CommitSha, DeliveryId, InstallationId, PrRef, UnixMillis};
use crate::signal::{Command, ReplyIntent};
use serde::{Deserialize, Serialize};

/// Every message on `REVIEW_QUEUE`, told apart by its `v` tag, so a consumer
/// of a newer version also drains messages written by an older producer
/// during a deploy, and one `match` routes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "v")]
pub enum QueueMessage {
    #[serde(rename = "1")]
    V1(ReviewJob),
    /// Notes and reactions a coordinator decided to post.
    #[serde(rename = "notify/1")]
    Notify(Notify),
    /// A command waits until its author's write access is confirmed.
    #[serde(rename = "verify/1")]
    Verify(VerifyCommand),
    /// A reviewed pull request was merged or closed: how many findings were acted on.
    #[serde(rename = "outcome/1")]
    Outcome(OutcomeJob),
    /// `@argusai learnings` / `forget N`: list or remove the repository's learnings, and say so.
    #[serde(rename = "learnings/1")]
    Learnings(LearningsJob),
    /// Answer a comment in a review thread (or say the bound is reached).
    #[serde(rename = "reply/1")]
    Reply(ReplyJob),
}

impl QueueMessage {
    /// The review job, when this message is one.
    pub fn job(&self) -> Option<&ReviewJob> {
        match self {
            QueueMessage::V1(j) => Some(j),
            _ => None,
        }
    }

    /// The pull request the message is about.
    pub fn pr(&self) -> &PrRef {
        match self {
            QueueMessage::V1(j) => &j.pr,
            QueueMessage::Notify(n) => &n.pr,
            QueueMessage::Verify(v) => &v.pr,
            QueueMessage::Outcome(o) => &o.pr,
            QueueMessage::Learnings(l) => &l.pr,
            QueueMessage::Reply(r) => &r.pr,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewMode {
    /// Only what changed since `since_sha` (falls back to full when that is not an ancestor).
    Incremental,
    Full,
}

/// Why a job exists: the PR's own events, or a person's `@argusai` command. A
/// command overrides the repository's automatic-review rules (skip labels,
/// drafts, `auto_review`…): it was asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobTrigger {
    #[default]
    Automatic,
    Command,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewJob {
    /// Unique per job; the lease names it, so a stale consumer cannot report for a newer job.
    pub job_id: String,
    pub pr: PrRef,
    pub installation: InstallationId,
    pub head_sha: CommitSha,
    /// The PR's base commit when the job was made.
    pub base_sha: CommitSha,
    /// The last reviewed head, for incremental reviews.
    pub since_sha: Option<CommitSha>,
    pub mode: ReviewMode,
    /// Absent in messages from before the field existed: those were automatic.
    #[serde(default)]
    pub trigger: JobTrigger,
    /// The `pull_request` actions coalesced into this job (`opened`, `synchronize`…),
    /// for the repository's `events` setting. Empty for commands.
    #[serde(default)]
    pub actions: Vec<PrAction>,
    /// 1 for the first run of this job; the coordinator counts reruns after a lease expiry.
    pub attempt: u32,
    /// The deliveries coalesced into this job (bounded; for logs and the status page).
    pub deliveries: Vec<DeliveryId>,
    pub enqueued_at: UnixMillis,
}

/// What a PR's coordinator decided to say: notes (help, paused, why a review
/// failed) and reactions to command comments. It carries no code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notify {
    pub pr: PrRef,
    pub installation: InstallationId,
    /// Comment bodies, posted in order as separate comments.
    pub notes: Vec<String>,
    pub reactions: Vec<NotifyReaction>,
    /// The coordinator's outbox ids of these notes and reactions: reported back
    /// once posted, so its status page lists only what is still waiting.
    #[serde(default)]
    pub outbox_ids: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyReaction {
    pub comment_id: u64,
    /// A GitHub reaction name, e.g. `eyes`.
    pub content: String,
}

/// "May `author` give this command?": the consumer asks GitHub for the
/// author's permission on the repository (write access, as GitHub defines it)
/// and tells the coordinator, which runs or drops the command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyCommand {
    pub pr: PrRef,
    pub installation: InstallationId,
    /// The delivery that carried the command: the coordinator's key for it.
    pub delivery: DeliveryId,
    pub author: String,
    pub command: Command,
}

/// "What did the team act on?": when a reviewed pull request is merged or
/// closed, the consumer reads ArgusAI's threads on it and tells the coordinator
/// how many of its findings were addressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeJob {
    pub pr: PrRef,
    pub installation: InstallationId,
    pub merged: bool,
}

/// A learnings command, after its author's write access was confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearningsJob {
    pub pr: PrRef,
    pub installation: InstallationId,
    /// `None`: list them; `Some(n)`: forget number `n` of the list.
    pub forget: Option<u32>,
    /// The command's comment: the note names it in a hidden marker, so a retry
    /// never forgets a second learning.
    pub comment_id: u64,
}

/// "Answer comment `comment_id` in the thread `root_id`": ids and the intent
/// only. The consumer checks the author's write access, reads the thread from
/// GitHub, and posts at most one answer per comment (a hidden marker in the
/// answer says which comment it answers, checked before posting).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyJob {
    pub pr: PrRef,
    pub installation: InstallationId,
    /// The coordinator's id for this answer, reported back when done.
    pub reply_id: u64,
    /// The delivery of the newest comment of the burst.
    pub delivery: DeliveryId,
    /// The comment to answer (the newest of a burst in the thread).
    pub comment_id: u64,
    /// The thread's first comment: what the answer replies to.
    pub root_id: u64,
    pub author: String,
    pub intent: ReplyIntent,
    /// Set when a bound is reached: post this note in the thread instead of an answer.
    #[serde(default)]
    pub limit: Option<ReplyLimit>,
}

/// Which bound on answers a pull request reached (the repository's `[replies]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "bound", rename_all = "snake_case")]
pub enum ReplyLimit {
    PerPr { max: u32 },
    PerHour { max: u32 },
}

/// At most this many delivery ids ride along in a job; the rest are only counted.
pub const MAX_DELIVERIES_PER_JOB: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PrNumber, RepoName};

    #[test]
    fn message_is_tagged_and_small() {
        let job = ReviewJob {
            job_id: "j1".into(),
            pr: PrRef::new(RepoName::new("o", "r"), PrNumber(3)),
            installation: InstallationId(1),
            head_sha: CommitSha("a".repeat(40)),
            base_sha: CommitSha("b".repeat(40)),
            since_sha: None,
            mode: ReviewMode::Full,
            trigger: JobTrigger::Automatic,
            actions: vec![PrAction::Opened, PrAction::Synchronize],
            attempt: 1,
            deliveries: (0..MAX_DELIVERIES_PER_JOB).map(|i| DeliveryId(format!("{i:036}"))).collect(),
            enqueued_at: UnixMillis(5),
        };
        let msg = QueueMessage::V1(job);
        let json = serde_json::to_string(&msg).unwrap();
        assert!(json.starts_with(r#"{"v":"1","job_id":"j1""#), "{json}");
        assert!(json.len() < 2048, "{} bytes", json.len());
        assert_eq!(serde_json::from_str::<QueueMessage>(&json).unwrap(), msg);
    }

    #[test]
    fn messages_are_told_apart_by_their_tag() {
        let pr = PrRef::new(RepoName::new("o", "r"), PrNumber(3));
        let n = QueueMessage::Notify(Notify {
            pr: pr.clone(),
            installation: InstallationId(1),
            notes: vec!["Paused.".into()],
            reactions: vec![NotifyReaction { comment_id: 9, content: "eyes".into() }],
            outbox_ids: vec![1, 2],
        });
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["v"], "notify/1");
        assert_eq!(serde_json::from_value::<QueueMessage>(json).unwrap(), n);
        let v = QueueMessage::Verify(VerifyCommand {
            pr,
            installation: InstallationId(1),
            delivery: DeliveryId("d".into()),
            author: "mona".into(),
            command: Command::Pause,
        });
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["v"], "verify/1");
        assert_eq!(serde_json::from_value::<QueueMessage>(json).unwrap(), v);
        assert!(v.job().is_none());
    }

    #[test]
    fn a_reply_carries_ids_only() {
        let r = QueueMessage::Reply(ReplyJob {
            pr: PrRef::new(RepoName::new("o", "r"), PrNumber(3)),
            installation: InstallationId(1),
            reply_id: 4,
            delivery: DeliveryId("d".into()),
            comment_id: 11,
            root_id: 10,
            author: "mona".into(),
            intent: ReplyIntent::Fix,
            limit: Some(ReplyLimit::PerHour { max: 10 }),
        });
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["v"], "reply/1");
        assert_eq!(json["intent"], "fix");
        assert_eq!(json["limit"], serde_json::json!({ "bound": "per_hour", "max": 10 }));
        assert!(json.get("body").is_none());
        assert_eq!(r.pr().number, PrNumber(3));
        assert_eq!(serde_json::from_value::<QueueMessage>(json).unwrap(), r);
    }

    #[test]
    fn a_job_from_before_actions_existed_still_reads() {
        let old = r#"{"v":"1","job_id":"j","pr":{"repo":{"owner":"o","name":"r"},"number":1},"installation":1,"head_sha":"a","base_sha":"b","since_sha":null,"mode":"full","attempt":1,"deliveries":[],"enqueued_at":0}"#;
        let m: QueueMessage = serde_json::from_str(old).unwrap();
        assert!(m.job().unwrap().actions.is_empty());
    }
}

//! What the front Worker tells a pull request's coordinator (Durable Object),
//! and the commands users give in PR comments. Serialized as JSON between the
//! two, so both sides share these types.

use crate::event::PrAction;
use crate::ids::{CommitSha, DeliveryId, InstallationId, PrRef, UnixMillis};
use serde::{Deserialize, Serialize};

/// One accepted delivery, routed to `pr`'s coordinator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    pub delivery: DeliveryId,
    pub received_at: UnixMillis,
    pub pr: PrRef,
    pub installation: Option<InstallationId>,
    pub signal: Signal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Signal {
    /// A push or state change that asks for a review of `head_sha`.
    Review {
        trigger: PrAction,
        head_sha: CommitSha,
        base_sha: CommitSha,
        base_ref: String,
        title: String,
        author: String,
        labels: Vec<String>,
        /// A draft is reviewed only if the repository's `review_drafts` says so.
        #[serde(default)]
        draft: bool,
    },
    Closed {
        merged: bool,
    },
    ConvertedToDraft,
    /// `@argusai …` in a PR comment by someone with write access.
    Command {
        command: Command,
        comment_id: u64,
        author: String,
    },
    /// A comment in a review thread (or `@argusai …` on a diff line) that may
    /// want an answer. Ids and the intent only: the body stays on GitHub, and
    /// the consumer reads the thread from there.
    ThreadReply {
        comment_id: u64,
        /// The thread's first comment (what a reply is posted to).
        root_id: u64,
        author: String,
        intent: ReplyIntent,
    },
}

impl Signal {
    pub fn kind(&self) -> &'static str {
        match self {
            Signal::Review { .. } => "review",
            Signal::Closed { .. } => "closed",
            Signal::ConvertedToDraft => "converted_to_draft",
            Signal::Command { .. } => "command",
            Signal::ThreadReply { .. } => "thread_reply",
        }
    }
}

/// The coordinator's answer to an [`Inbound`], passed back to the webhook's caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundReply {
    /// False when the delivery id was seen before (a redelivery or a duplicate).
    pub accepted: bool,
    /// The coordinator's state after the signal, e.g. `idle`, `debouncing`, `running`.
    pub state: String,
    pub note: Option<String>,
}

/// A command from a PR comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "text", rename_all = "snake_case")]
pub enum Command {
    /// Review what changed since the last reviewed commit.
    Review,
    /// Review the whole pull request again.
    FullReview,
    /// Stop automatic reviews until `resume`.
    Pause,
    Resume,
    Help,
    /// List the repository's learnings (`@argusai learnings`).
    Learnings,
    /// Forget the repository's learning number N of the list (`@argusai forget N`).
    Forget(u32),
    /// Mentioned, but not a command ArgusAI knows; the text after the handle.
    Unknown(String),
}

impl Command {
    /// Finds `@handle <command>` in a comment body (case-insensitive, at a word
    /// boundary so `x@argusai.dev` is not a mention). Lines quoted with `>` are
    /// skipped: quoting an earlier command must not run it again.
    pub fn parse(body: &str, handle: &str) -> Option<Command> {
        mention(body, handle).map(|rest| Self::from_words(&rest))
    }

    fn from_words(rest: &str) -> Command {
        match words(rest).as_slice() {
            ["full", "review", ..] => Command::FullReview,
            ["review", ..] => Command::Review,
            ["pause", ..] => Command::Pause,
            ["resume", ..] => Command::Resume,
            ["help", ..] | [] => Command::Help,
            ["learnings", ..] => Command::Learnings,
            ["forget", n, ..] if n.parse::<u32>().is_ok_and(|n| n > 0) => Command::Forget(n.parse().unwrap_or(1)),
            other => Command::Unknown(other.iter().take(4).copied().collect::<Vec<_>>().join(" ")),
        }
    }
}

/// The lowercased text after the first `@handle` mention of `body` (see
/// [`Command::parse`] for what counts as a mention), or `None`.
fn mention(body: &str, handle: &str) -> Option<String> {
    let needle = format!("@{}", handle.to_ascii_lowercase());
    for line in body.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('>') {
            continue;
        }
        let lower = trimmed.to_ascii_lowercase();
        let mut from = 0;
        while let Some(pos) = lower[from..].find(&needle) {
            let start = from + pos;
            let end = start + needle.len();
            let before_ok = start == 0 || !is_handle_char(lower.as_bytes()[start - 1]);
            let after_ok = end == lower.len() || !is_handle_char(lower.as_bytes()[end]) && lower.as_bytes()[end] != b'.';
            if before_ok && after_ok {
                return Some(lower[end..].to_string());
            }
            from = end;
        }
    }
    None
}

fn words(rest: &str) -> Vec<&str> {
    rest.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric())).filter(|w| !w.is_empty()).collect()
}

/// What a comment in a review thread asks of ArgusAI. Derived from the body
/// at the front door; only this travels on, never the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyIntent {
    /// `@argusai explain`: say more about the finding.
    Explain,
    /// `@argusai fix`: a committable suggestion for the thread's lines, when possible.
    Fix,
    /// `@argusai <anything else>`: a free question about the code.
    Question,
    /// A reply without a mention: an answer only in a thread ArgusAI started.
    Plain,
    /// `@argusai resolve`: resolve ArgusAI's thread now (no model call).
    Resolve,
    /// `@argusai learn: <rule>`: remember a rule for this repository (no model call).
    Learn,
}

impl ReplyIntent {
    /// The intent of a review comment's body.
    pub fn parse(body: &str, handle: &str) -> ReplyIntent {
        let Some(rest) = mention(body, handle) else { return ReplyIntent::Plain };
        match words(&rest).as_slice() {
            ["explain", ..] => ReplyIntent::Explain,
            ["fix", ..] => ReplyIntent::Fix,
            ["resolve", ..] => ReplyIntent::Resolve,
            ["learn", ..] => ReplyIntent::Learn,
            _ => ReplyIntent::Question,
        }
    }

    /// Whether the comment mentions the handle (any intent but [`ReplyIntent::Plain`]).
    pub fn mentioned(self) -> bool {
        self != ReplyIntent::Plain
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReplyIntent::Explain => "explain",
            ReplyIntent::Fix => "fix",
            ReplyIntent::Question => "question",
            ReplyIntent::Plain => "plain",
            ReplyIntent::Resolve => "resolve",
            ReplyIntent::Learn => "learn",
        }
    }
}

fn is_handle_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The head a job is for; used by the stale-head guard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadCheck {
    pub head_sha: CommitSha,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        let cases = [
            ("@argusai review", Some(Command::Review)),
            ("@ArgusAI full review", Some(Command::FullReview)),
            ("hey @argusai, pause.", Some(Command::Pause)),
            ("@argusai resume", Some(Command::Resume)),
            ("@argusai", Some(Command::Help)),
            ("@argusai help", Some(Command::Help)),
            ("@argusai dance now", Some(Command::Unknown("dance now".into()))),
            ("> @argusai review\nthanks", None),
            ("mail x@argusai.dev", None),
            ("@argusai-bot review", None),
            ("nothing here", None),
        ];
        for (body, want) in cases {
            assert_eq!(Command::parse(body, "argusai"), want, "{body:?}");
        }
    }

    #[test]
    fn reply_intents_parse() {
        let cases = [
            ("@argusai explain", ReplyIntent::Explain),
            ("@ArgusAI explain this please", ReplyIntent::Explain),
            ("@argusai fix", ReplyIntent::Fix),
            ("Done, thanks. @argusai resolve", ReplyIntent::Resolve),
            ("@argusai learn: we allow unwrap in tests", ReplyIntent::Learn),
            ("thanks! @argusai fix.", ReplyIntent::Fix),
            ("@argusai is this thread-safe?", ReplyIntent::Question),
            ("@argusai", ReplyIntent::Question),
            ("I don't think so, the lock is held", ReplyIntent::Plain),
            ("> @argusai fix\nno", ReplyIntent::Plain),
            ("see x@argusai.dev", ReplyIntent::Plain),
        ];
        for (body, want) in cases {
            assert_eq!(ReplyIntent::parse(&body.replace("\\n", "\n"), "argusai"), want, "{body:?}");
        }
        assert!(ReplyIntent::Fix.mentioned() && !ReplyIntent::Plain.mentioned());
    }
}

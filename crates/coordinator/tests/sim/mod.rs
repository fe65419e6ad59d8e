//! A simulated world for the coordinator: a clock the test moves, the alarm
//! fired when time passes it, and a record of every enqueued job and note,
//! in the spirit of quinn-proto's `tests/util.rs`.

use argus_coordinator::machine::{Action, Event, Reply, Step};
use argus_coordinator::protocol::*;
use argus_coordinator::{Config, Coordinator};
use argus_core::error::ErrorClass;
use argus_core::event::PrAction;
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrNumber, PrRef, RepoName, UnixMillis};
use argus_core::job::{QueueMessage, ReplyJob, ReviewJob, VerifyCommand};
use argus_core::signal::{Command, Inbound, ReplyIntent, Signal};

pub const T0: u64 = 1_700_000_000_000;

pub fn pr() -> PrRef {
    PrRef::new(RepoName::new("octo-org", "hello-world"), PrNumber(42))
}

/// A 40-hex SHA derived from a short label, so tests read `sha("c3")`.
pub fn sha(label: &str) -> CommitSha {
    let hex: String = label.bytes().map(|b| format!("{b:02x}")).collect();
    CommitSha(format!("{hex:0>40}"))
}

pub fn review(delivery: &str, trigger: PrAction, head: &str) -> Event {
    inbound(
        delivery,
        Signal::Review {
            trigger,
            head_sha: sha(head),
            base_sha: sha("base"),
            base_ref: "main".into(),
            title: "Add a feature".into(),
            author: "octocat".into(),
            labels: vec![],
            draft: false,
        },
    )
}

pub fn command(delivery: &str, command: Command) -> Event {
    inbound(delivery, Signal::Command { command, comment_id: 9_001, author: "maintainer".into() })
}

/// A comment in review thread `root` (its id `comment`) by a maintainer.
pub fn thread_reply(delivery: &str, comment: u64, root: u64, intent: ReplyIntent) -> Event {
    inbound(delivery, Signal::ThreadReply { comment_id: comment, root_id: root, author: "maintainer".into(), intent })
}

pub fn inbound(delivery: &str, signal: Signal) -> Event {
    Event::Inbound(Inbound {
        delivery: DeliveryId(delivery.into()),
        received_at: UnixMillis(0),
        pr: pr(),
        installation: Some(InstallationId(77)),
        signal,
    })
}

pub struct Sim {
    pub m: Coordinator,
    pub now: u64,
    /// Every job put on the queue, in order (reruns included).
    pub queue: Vec<ReviewJob>,
    /// Answers in review threads put on the queue, in order.
    pub replies: Vec<ReplyJob>,
    /// Commands' permission checks put on the queue.
    pub verifications: Vec<VerifyCommand>,
    /// Closed PRs' finding counts put on the queue.
    pub outcomes: Vec<argus_core::job::OutcomeJob>,
    /// Learnings commands put on the queue.
    pub learnings: Vec<argus_core::job::LearningsJob>,
    /// The shell passes the permission check at once (a writer's command) unless told otherwise.
    pub verify_commands: bool,
    pub notes: Vec<String>,
    pub reactions: Vec<u64>,
    pub persists: usize,
    pub alarm: Option<u64>,
    /// What the shell has stored, as the Durable Object does: the state row's
    /// JSON (written on `Persist`) and the history rows (`AppendHistory`).
    pub stored_state: Option<String>,
    pub history_rows: std::collections::VecDeque<argus_coordinator::machine::HistoryEntry>,
}

impl Sim {
    pub fn new(cfg: Config) -> Self {
        Sim {
            m: Coordinator::new(cfg),
            now: T0,
            queue: vec![],
            replies: vec![],
            verifications: vec![],
            outcomes: vec![],
            learnings: vec![],
            verify_commands: true,
            notes: vec![],
            reactions: vec![],
            persists: 0,
            alarm: None,
            stored_state: None,
            history_rows: Default::default(),
        }
    }

    /// Applies an event now and carries out the actions like the shell would.
    pub fn send(&mut self, event: Event) -> Reply {
        let step = self.m.handle(UnixMillis(self.now), event);
        self.apply(&step);
        // A command waits for its author's permission check; a writer passes it.
        let checks: Vec<VerifyCommand> = step
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::Enqueue { message: QueueMessage::Verify(v) } => Some(v.clone()),
                _ => None,
            })
            .collect();
        if self.verify_commands {
            for v in checks {
                let step = self.m.handle(
                    UnixMillis(self.now),
                    Event::CommandVerified(CommandVerified { delivery: v.delivery, allowed: true, permission: "write".into() }),
                );
                self.apply(&step);
            }
        } else {
            self.verifications.extend(checks);
        }
        step.reply
    }

    fn apply(&mut self, step: &Step) {
        for a in &step.actions {
            match a {
                Action::Persist => {
                    self.persists += 1;
                    self.stored_state = Some(serde_json::to_string(self.m.state()).unwrap());
                }
                Action::AppendHistory { entry } => {
                    self.history_rows.push_back(entry.clone());
                    while self.history_rows.len() > self.m.config().history_len {
                        self.history_rows.pop_front();
                    }
                }
                Action::SetAlarm { at } => self.alarm = Some(at.0),
                Action::ClearAlarm => self.alarm = None,
                Action::Enqueue { message } => {
                    if let Some(job) = message.job() {
                        self.queue.push(job.clone());
                    }
                    if let QueueMessage::Outcome(o) = message {
                        self.outcomes.push(o.clone());
                    }
                    if let QueueMessage::Learnings(l) = message {
                        self.learnings.push(l.clone());
                    }
                    if let QueueMessage::Reply(r) = message {
                        self.replies.push(r.clone());
                    }
                }
                Action::PostNote { body, .. } => self.notes.push(body.clone()),
                Action::React { comment_id, .. } => self.reactions.push(*comment_id),
            }
        }
        assert_eq!(self.alarm.map(UnixMillis), self.m.state().alarm_at, "shell alarm and machine agree");
    }

    /// The state a restarted object would load: the state row plus the history rows.
    pub fn restored(&self) -> argus_coordinator::PrState {
        let mut st: argus_coordinator::PrState = self.stored_state.as_deref().map(|j| serde_json::from_str(j).unwrap()).unwrap_or_default();
        st.history = self.history_rows.clone();
        st
    }

    /// Moves the clock forward by `ms`, firing the alarm each time it is due.
    pub fn advance(&mut self, ms: u64) {
        let until = self.now + ms;
        while let Some(at) = self.alarm.filter(|&at| at <= until) {
            self.now = self.now.max(at);
            // A Durable Object alarm fires once and is then gone.
            self.alarm = None;
            let step = self.m.handle(UnixMillis(self.now), Event::AlarmFired);
            self.apply(&step);
        }
        self.now = until;
    }

    pub fn phase(&self) -> &'static str {
        self.m.state().phase().as_str()
    }

    pub fn lease(&mut self, job: &ReviewJob) -> Result<String, Reply> {
        match self.send(Event::LeaseRequested(LeaseRequest { job_id: job.job_id.clone(), attempt: job.attempt })) {
            Reply::Lease(LeaseReply::Granted { lease_id, .. }) => Ok(lease_id),
            other => Err(other),
        }
    }

    pub fn head_check(&mut self, job: &ReviewJob, lease_id: &str) -> Reply {
        self.send(Event::HeadCheck(HeadCheckRequest { job_id: job.job_id.clone(), lease_id: lease_id.into(), head_sha: job.head_sha.clone() }))
    }

    pub fn finish(&mut self, job: &ReviewJob, lease_id: &str, posted: bool) -> Reply {
        self.finish_as(job, lease_id, if posted { Finish::Posted } else { Finish::Stale })
    }

    pub fn finish_as(&mut self, job: &ReviewJob, lease_id: &str, finish: Finish) -> Reply {
        let stats =
            ReviewStats { findings: 3, tokens_in: 1200, tokens_out: 300, duration_ms: 4_000, summary: "3 comments".into(), ..Default::default() };
        self.send(Event::JobFinished(JobFinished {
            job_id: job.job_id.clone(),
            lease_id: lease_id.into(),
            stats,
            finish,
            settings: RepoSettings::default(),
        }))
    }

    pub fn fail(&mut self, job: &ReviewJob, lease_id: &str, class: ErrorClass, reason: &str) -> Reply {
        self.send(Event::JobFailed(JobFailed { job_id: job.job_id.clone(), lease_id: lease_id.into(), class, reason: reason.into() }))
    }

    /// A consumer that behaves: lease, check the head, finish (posting only when current).
    pub fn run_job(&mut self, job: &ReviewJob) -> bool {
        let lease = self.lease(job).expect("lease granted");
        let posted = self.head_check(job, &lease) == Reply::Head(HeadReply::Current);
        self.finish(job, &lease, posted);
        posted
    }

    /// Finishes a job whose lease this test already took (with the head check).
    pub fn run_job_leased(&mut self, job: &ReviewJob) -> bool {
        let lease = self.m.state().job.as_ref().and_then(|j| j.lease.as_ref()).expect("leased").id.clone();
        let posted = self.head_check(job, &lease) == Reply::Head(HeadReply::Current);
        self.finish(job, &lease, posted);
        posted
    }

    /// The consumer reports an answer done (posted or not).
    pub fn reply_done(&mut self, reply_id: u64, answered: bool) -> Reply {
        self.send(Event::ReplyDone(ReplyDone { reply_id, answered }))
    }

    pub fn last_job(&self) -> ReviewJob {
        self.queue.last().expect("a job was enqueued").clone()
    }
}

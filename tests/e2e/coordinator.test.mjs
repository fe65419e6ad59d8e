// End to end, in workerd running the built wasm, with the Durable Object, its
// alarms and both queues for real and the REAL review pipeline against the
// loopback fakes: the per-PR coordinator's promises (issue 3) as a maintainer
// would observe them on GitHub and on the status page. Duplicate storms, push
// storms, a consumer that dies mid-job, retries into the dead-letter queue,
// permanent failures, PR commands, closing, and the status endpoint's auth.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { citeLines, finding } from "../fakes/llm.mjs";
import { startStack, sha, prEvent, commentEvent, sendEvent, status, waitForHistory, eventually } from "./fixtures.mjs";
import { startArgus, webhookInit, STATUS_TOKEN, WEBHOOK_SECRET } from "./harness.mjs";

const OWNER = "coord-e2e";
const NUMBER = 7;

let stack;
before(async () => {
  // A 2 s debounce keeps a burst of sequential pushes inside one window even on
  // a loaded 2-core machine; 1 s / 4 s retries keep the DLQ test short.
  stack = await startStack({ vars: { REVIEW_DEBOUNCE_SECONDS: "2", RETRY_BASE_SECONDS: "1", RETRY_MAX_SECONDS: "4" } });
  // Every review cites one added line, so every review that is published
  // creates a review on the fake GitHub (the pipeline posts none without findings).
  stack.llm.setDefault({ reply: citeLines({ max: 1 }) });
});
after(async () => stack?.close());

/** A one-file unified diff adding `added` lines to `file` after the `kept` ones. */
function diffOf(file, added, kept = []) {
  return [
    `diff --git a/${file} b/${file}`,
    "index 1111111..2222222 100644",
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -1,${2 + kept.length} +1,${2 + kept.length + added.length} @@`,
    " fn main() {",
    ...kept.map((l) => ` ${l}`),
    ...added.map((l) => `+${l}`),
    " }",
    "",
  ].join("\n");
}

/** Adds `coord-e2e/<repo>#7` to the fake GitHub, with a file named after the repo. */
function newPr(s, repo, { added = [`let ${repo.replace(/-/g, "_")} = 1;`], head = sha(`${repo}-head-0`) } = {}) {
  const file = `src/${repo}.rs`;
  const base = sha(`${repo}-base`);
  s.github.addPullRequest({ owner: OWNER, repo, number: NUMBER, diffText: diffOf(file, added), headSha: head, baseSha: base, title: `PR in ${repo}` });
  return { owner: OWNER, repo, number: NUMBER, head, base, file };
}

const prRoute = (pr) => new RegExp(`^/repos/${pr.owner}/${pr.repo}/pulls/${pr.number}$`);
const statusOfPr = (s, pr) => status(s, pr.owner, pr.repo, pr.number);
const reviewsOf = (s, pr) => s.github.submittedReviews(pr.owner, pr.repo, pr.number);
const checksOf = (s, pr) => s.github.state.checkRuns.filter((c) => c.repo === `${pr.owner}/${pr.repo}`);
/** Requests to the PR route (`GET /repos/o/r/pulls/n`), the first call of every pipeline run. */
/** ArgusAI's notes on the PR's conversation (not the summary). */
const notesOn = (s, pr) => s.github.state.issueComments.filter((c) => c.repo === `${pr.owner}/${pr.repo}` && c.number === pr.number && c.body.includes("<!-- argusai:note -->")).map((c) => c.body);
const prReads = (s, pr) => s.github.state.requests.filter((r) => r.method === "GET" && prRoute(pr).test(r.path.split("?")[0]));

async function comment(s, pr, body, association = "OWNER") {
  return sendEvent(s, "issue_comment", commentEvent({ owner: pr.owner, repo: pr.repo, number: pr.number, body, association }));
}

/** The model answers this PR's prompts slowly, so its review is still running when the test acts. */
function slowModelFor(s, pr, latencyMs) {
  s.llm.script({ match: (rec) => rec.prompt.includes(pr.file), latencyMs, reply: citeLines({ max: 1 }) });
}

/** Waits until this PR's review is leased and waiting on the model (past the pipeline's own head check). */
async function waitForModelCall(s, pr) {
  await eventually(async () => (await statusOfPr(s, pr))?.state === "running" && s.llm.requests.some((r) => r.prompt.includes(pr.file)), {
    timeoutMs: 15000,
    what: `${pr.repo}'s review to reach the model`,
  });
}

test("duplicate storm: 100 concurrent copies of one delivery → one job, one review, 99 duplicates ignored", async () => {
  const pr = newPr(stack, "dup-storm");
  const delivery = randomUUID();
  const body = prEvent({ ...pr, action: "opened" });
  const answers = await Promise.all(
    Array.from({ length: 100 }, async () => {
      const r = await stack.argus.fetch("/webhooks/github", webhookInit(body, { event: "pull_request", delivery }));
      return { code: r.status, body: await r.json() };
    }),
  );
  assert.deepEqual([...new Set(answers.map((a) => a.code))], [202], JSON.stringify(answers.find((a) => a.code !== 202)));
  const byStatus = Object.groupBy(answers, (a) => a.body.status);
  assert.equal(byStatus.accepted?.length, 1, JSON.stringify(Object.keys(byStatus)));
  assert.equal(byStatus.duplicate?.length, 99);
  assert.ok(byStatus.duplicate.every((a) => a.body.coordinator.accepted === false && a.body.delivery === delivery));

  const s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  assert.equal(s.history.length, 1, JSON.stringify(s.history));
  assert.equal(s.history[0].outcome, "posted");
  assert.equal(s.duplicates_ignored, 99);
  assert.deepEqual(s.recent_deliveries, [delivery]);
  assert.equal(s.current_job, null);
  assert.equal(s.pending_review, null);
  assert.equal(s.attempts, 1);
  assert.equal(prReads(stack, pr).length, 1, "the pipeline ran once");
  const reviews = reviewsOf(stack, pr);
  assert.equal(reviews.length, 1);
  assert.equal(reviews[0].commit_id, pr.head);
});

test("push storm: 20 synchronize events with distinct heads → one job on the final head, never a post on a stale head", async () => {
  const pr = newPr(stack, "push-storm");
  const heads = Array.from({ length: 20 }, (_, i) => sha(`push-storm-head-${i}`));
  const started = Date.now();
  for (const [i, head] of heads.entries()) {
    stack.github.setHead({ owner: pr.owner, repo: pr.repo, number: pr.number, headSha: head, diffText: diffOf(pr.file, Array.from({ length: i + 1 }, (_, k) => `let push_${k} = ${k};`)) });
    const j = await sendEvent(stack, "pull_request", prEvent({ ...pr, head, action: "synchronize" }));
    assert.equal(j.status, "accepted", JSON.stringify(j));
  }
  const final = heads.at(-1);
  const s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  const sendingMs = Date.now() - started;
  assert.equal(s.history.length, 1, `one job for the storm (sent in ${sendingMs} ms): ${JSON.stringify(s.history)}`);
  const [job] = s.history;
  assert.equal(job.outcome, "posted");
  assert.equal(job.head_sha, final);
  assert.equal(job.coalesced_pushes, 19);
  assert.equal(s.coalesced_pushes, 19);
  assert.equal(s.last_reviewed_sha, final);
  assert.equal(s.head_sha, final);
  assert.equal(prReads(stack, pr).length, 1, "the pipeline ran once");
  const reviews = reviewsOf(stack, pr);
  assert.equal(reviews.length, 1);
  for (const r of reviews) assert.equal(r.commit_id, final, "a review was posted on a stale head");
  for (const c of checksOf(stack, pr)) assert.equal(c.head_sha, final, "a check run was created on a stale head");
});

test("a push while a review runs: the running job is superseded and not posted; the new head is reviewed", async () => {
  const pr = newPr(stack, "push-while-running");
  slowModelFor(stack, pr, 2500);
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));
  await waitForModelCall(stack, pr);
  const next = sha("push-while-running-head-1");
  stack.github.setHead({ owner: pr.owner, repo: pr.repo, number: pr.number, headSha: next, diffText: diffOf(pr.file, ["let a = 1;", "let b = 2;"]) });
  const j = await sendEvent(stack, "pull_request", prEvent({ ...pr, head: next, action: "synchronize" }));
  assert.equal(j.status, "accepted");

  const s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 2);
  const outcomes = s.history.map((h) => [h.head_sha, h.outcome]);
  assert.deepEqual(outcomes, [[pr.head, "superseded"], [next, "posted"]]);
  assert.ok(s.history[0].tokens_in > 0, `the superseded run's cost is recorded: ${JSON.stringify(s.history[0])}`);
  const reviews = reviewsOf(stack, pr);
  assert.equal(reviews.length, 1);
  assert.equal(reviews[0].commit_id, next, "the superseded job's review was posted");
  // Each job's check run exists from its start; the superseded one ends as skipped, never left spinning.
  const checks = checksOf(stack, pr).map((c) => [c.head_sha, c.status, c.conclusion, c.output?.title]);
  assert.deepEqual(checks, [[pr.head, "completed", "skipped", "Superseded by a newer push"], [next, "completed", "success", "1 new finding(s)"]]);
});

test("consumer dies mid-job → its lease expires → the job is rerun once (attempts 2, one review); a run that is publishing keeps its lease", async () => {
  // Its own stack: a 4 s lease would be too tight for everything else.
  const leaseStack = await startStack({ vars: { COORDINATOR_LEASE_SECONDS: "4" } });
  try {
    leaseStack.llm.setDefault({ reply: citeLines({ max: 1 }) });
    const pr = newPr(leaseStack, "lease-expiry");
    // The first run's first GitHub call hangs 7 s (under the client's 10 s
    // timeout): its consumer is silent past the lease, as if it had died.
    leaseStack.github.inject({ method: "GET", path: prRoute(pr), latencyMs: 7000, times: 1 });
    await sendEvent(leaseStack, "pull_request", prEvent({ ...pr, action: "opened" }));

    const s = await eventually(
      async () => {
        const st = await statusOfPr(leaseStack, pr);
        const outcomes = st?.history?.map((h) => h.outcome) ?? [];
        return outcomes.includes("posted") && outcomes.includes("late") ? st : null;
      },
      { timeoutMs: 30000, intervalMs: 200, what: "the rerun to post and the dead run to report late" },
    );
    assert.equal(s.attempts, 2, JSON.stringify(s));
    const late = s.history.find((h) => h.outcome === "late");
    assert.ok(late.tokens_in > 0, `the dead run's cost is recorded: ${JSON.stringify(late)}`);
    const posted = s.history.find((h) => h.outcome === "posted");
    assert.equal(posted.runs, 2);
    assert.equal(posted.head_sha, pr.head);
    assert.ok(s.history.filter((h) => h.outcome === "posted").length === 1, JSON.stringify(s.history));
    assert.equal(s.current_job, null);
    assert.equal(prReads(leaseStack, pr).length, 2, "the job ran twice: the dead run and the rerun");
    const reviews = reviewsOf(leaseStack, pr);
    assert.equal(reviews.length, 1, "the run whose lease expired must not post");
    assert.equal(reviews[0].commit_id, pr.head);

    // A consumer that passed the stale-head guard is alive: its lease must not
    // expire under it while it publishes, or the rerun posts a second review.
    // The model takes 2.5 s of the 4 s lease, then posting the review takes 3.3 s.
    const slow = newPr(leaseStack, "lease-publish");
    slowModelFor(leaseStack, slow, 2500);
    leaseStack.github.inject({ method: "POST", path: `/repos/${slow.owner}/${slow.repo}/pulls/${slow.number}/reviews`, latencyMs: 3300, times: 1 });
    await sendEvent(leaseStack, "pull_request", prEvent({ ...slow, action: "opened" }));
    const done = await waitForHistory(leaseStack, slow.owner, slow.repo, slow.number, 1);
    assert.equal(reviewsOf(leaseStack, slow).length, 1, "one review, not one per run");
    assert.equal(checksOf(leaseStack, slow).length, 1, "one check run, not one per run");
    assert.deepEqual(done.history.map((h) => h.outcome), ["posted"], JSON.stringify(done));
    assert.equal(done.attempts, 1, "no rerun while the first run was publishing");
  } finally {
    await leaseStack.close();
  }
});

test("retryable failure → retried with growing delays → dead-letter queue → status failed with the reason", async (t) => {
  const pr = newPr(stack, "retry-dlq");
  stack.github.inject({ method: "GET", path: prRoute(pr), status: 500, body: { message: "Server Error" }, times: 1000 });
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));

  const s = await eventually(
    async () => {
      const st = await statusOfPr(stack, pr);
      return st?.state === "failed" ? st : null;
    },
    { timeoutMs: 60000, intervalMs: 250, what: "the job to be dead-lettered" },
  );
  // wrangler.toml: max_retries = 4, so five deliveries, then the dead-letter queue.
  const reads = prReads(stack, pr);
  assert.equal(reads.length, 5, JSON.stringify(reads));
  assert.ok(reads.every((r) => r.status === 500));
  const gaps = reads.slice(1).map((r, i) => r.at - reads[i].at);
  t.diagnostic(`gaps between deliveries (ms): ${gaps.join(", ")}`);
  // Backoff with RETRY_BASE_SECONDS=1, RETRY_MAX_SECONDS=4: the delays are drawn
  // from [0,1], [1,2], [2,4], then 4 s; each gap also holds the queue's batch
  // wait, so compare gaps with a tolerance for scheduling noise.
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i] >= gaps[i - 1] - 900, `delays shrank: ${gaps}`);
  assert.ok(gaps.at(-1) - gaps[0] >= 2000, `delays did not grow: ${gaps}`);
  assert.ok(gaps.at(-1) >= 3500, `the last delay should be RETRY_MAX_SECONDS: ${gaps}`);

  t.diagnostic(`last_error: ${s.last_error}`);
  assert.equal(s.attempts, 5);
  assert.equal(s.current_job, null);
  const last = s.history.at(-1);
  assert.equal(last.outcome, "dead_lettered", JSON.stringify(s.history));
  assert.match(s.last_error, /dead-lettered/);
  assert.match(s.last_error, /500|server/i, "the reason names what failed");
  assert.equal(reviewsOf(stack, pr).length, 0);
  // The PR is not left silent: the job's one check run (from its first attempt)
  // ends neutral with the reason, and one note says what failed and how to retry.
  const checks = await eventually(() => {
    const c = checksOf(stack, pr);
    return c.length === 1 && c[0].status === "completed" ? c : null;
  }, { what: "the dead-lettered job's check run to complete" });
  assert.equal(checks[0].conclusion, "neutral");
  assert.equal(checks[0].output.title, "ArgusAI gave up on this review");
  assert.match(checks[0].output.summary, /500|server/i);
  assert.ok(checks[0].history.filter((h) => h.status === "in_progress").length >= 2, "each retry said so while it waited");
  const notes = await eventually(() => {
    const n = notesOn(stack, pr).filter((b) => /gave up after/.test(b));
    return n.length ? n : null;
  }, { what: "the dead-letter note" });
  assert.equal(notes.length, 1);
  assert.match(notes[0], /`@argusai review`/);
});

test("one retryable failure, then success: retried after the backoff, one review, the error cleared", async () => {
  const pr = newPr(stack, "retry-once");
  stack.github.inject({ method: "GET", path: prRoute(pr), status: 502, body: { message: "Bad Gateway" }, times: 1 });
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));
  const s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  assert.equal(s.history[0].outcome, "posted", JSON.stringify(s.history));
  assert.equal(s.history[0].runs, 2);
  assert.equal(s.attempts, 2);
  assert.equal(s.last_error, null, "a success clears the last error");
  assert.deepEqual(prReads(stack, pr).map((r) => r.status), [502, 200]);
  assert.equal(reviewsOf(stack, pr).length, 1);
});

test("GitHub's secondary rate limit: its Retry-After is the floor of the retry delay", async () => {
  const pr = newPr(stack, "retry-after");
  stack.github.injectSecondaryRateLimit({ method: "GET", path: prRoute(pr), retryAfterSec: 3, times: 1 });
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));
  const s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  assert.equal(s.history[0].outcome, "posted", JSON.stringify(s.history));
  const reads = prReads(stack, pr);
  assert.deepEqual(reads.map((r) => r.status), [403, 200]);
  // RETRY_BASE_SECONDS=1 alone would retry after at most 1 s.
  assert.ok(reads[1].at - reads[0].at >= 3000, `retried after ${reads[1].at - reads[0].at} ms, before Retry-After`);
});

test("permanent failure (repository not found) → acked, status failed, no retry", async () => {
  const pr = { owner: OWNER, repo: "missing-repo", number: NUMBER, head: sha("missing-head"), base: sha("missing-base") };
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));
  const s = await eventually(
    async () => {
      const st = await statusOfPr(stack, pr);
      return st?.state === "failed" ? st : null;
    },
    { timeoutMs: 20000, intervalMs: 200, what: "the job to fail" },
  );
  assert.equal(s.history.length, 1);
  assert.equal(s.history[0].outcome, "failed");
  assert.equal(s.history[0].runs, 1);
  assert.equal(s.attempts, 1);
  assert.match(s.last_error, /not found|404/i);
  // The coordinator holds no job any more, so a redelivered message could not lease it.
  assert.equal(s.current_job, null);
  assert.equal(s.pending_review, null);
  const reads = prReads(stack, pr);
  assert.equal(reads.length, 1, JSON.stringify(reads));
  assert.equal(reads[0].status, 404);
});

test("commands: pause stops automatic reviews, resume and full review run them, help/unknown decide a note, a contributor is ignored", async () => {
  const pr = newPr(stack, "commands");
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));
  await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  assert.equal(reviewsOf(stack, pr).length, 1);

  const paused = await comment(stack, pr, "@argusai pause");
  assert.equal(paused.status, "accepted", JSON.stringify(paused));
  // The command waits for its author's permission check (a queue hop), then acts.
  let s = await eventually(async () => {
    const st = await statusOfPr(stack, pr);
    return st.paused ? st : null;
  }, { what: "the pause to take effect" });
  // What the PR shows: the 👀 on the command and the note, posted once each.
  const posted = await eventually(() => {
    const n = notesOn(stack, pr).filter((b) => /Paused automatic reviews/.test(b));
    return n.length === 1 && stack.github.state.reactions.some((r) => r.repo === `${pr.owner}/${pr.repo}` && r.content === "eyes") ? n : null;
  }, { what: "the pause note and the 👀" });
  assert.equal(posted.length, 1);
  // Posted notes leave the coordinator's outbox: the status page lists only what still waits.
  s = await eventually(async () => {
    const st = await statusOfPr(stack, pr);
    return st.pending_notes.length === 0 ? st : null;
  }, { what: "the outbox to empty" });

  // A push while paused is recorded, and nothing is scheduled: no review can follow.
  const h2 = sha("commands-head-2");
  stack.github.setHead({ owner: pr.owner, repo: pr.repo, number: pr.number, headSha: h2, diffText: diffOf(pr.file, ["let commands = 1;", "let second = 2;"]) });
  stack.github.setCompare({ owner: pr.owner, repo: pr.repo, base: pr.head, head: h2, status: "ahead", diffText: diffOf(pr.file, ["let second = 2;"], ["let commands = 1;"]) });
  const push = await sendEvent(stack, "pull_request", prEvent({ ...pr, head: h2, action: "synchronize" }));
  assert.match(push.coordinator.note, /paused/);
  s = await statusOfPr(stack, pr);
  assert.equal(s.head_sha, h2);
  assert.equal(s.state, "idle");
  assert.equal(s.pending_review, null);
  assert.equal(s.current_job, null);
  assert.equal(s.next_wakeup, null, "no alarm: nothing will start by itself");

  // A contributor cannot resume (GitHub's author_association rules out write access).
  const ignored = await comment(stack, pr, "@argusai resume", "CONTRIBUTOR");
  assert.equal(ignored.status, "ignored");
  assert.match(ignored.reason, /write access/);
  assert.equal((await statusOfPr(stack, pr)).paused, true);
  // An organisation MEMBER with only read access: the front door passes it on,
  // GitHub's permission answer stops it. No reaction, no note, still paused.
  stack.github.setPermission({ owner: pr.owner, repo: pr.repo, login: "reader", role: "read" });
  const reactionsBefore = stack.github.state.reactions.length;
  const member = await sendEvent(stack, "issue_comment", commentEvent({ owner: pr.owner, repo: pr.repo, number: pr.number, body: "@argusai resume", association: "MEMBER", login: "reader" }));
  assert.equal(member.status, "accepted");
  await eventually(() => stack.github.count("GET", `/repos/${pr.owner}/${pr.repo}/collaborators/reader/permission`) >= 1, { what: "the permission check" });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await statusOfPr(stack, pr)).paused, true, "a read-only member cannot resume");
  assert.equal(stack.github.state.reactions.length, reactionsBefore, "no 👀 for a command that is not run");

  await comment(stack, pr, "@argusai resume");
  s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 2);
  assert.equal(s.paused, false);
  assert.deepEqual([s.history[1].head_sha, s.history[1].mode, s.history[1].outcome], [h2, "incremental", "posted"]);
  const reviews = reviewsOf(stack, pr);
  assert.equal(reviews.length, 2);
  assert.equal(reviews[1].commit_id, h2);

  await comment(stack, pr, "@argusai full review");
  s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 3);
  assert.deepEqual([s.history[2].head_sha, s.history[2].mode, s.history[2].outcome], [h2, "full", "posted"]);

  await comment(stack, pr, "@argusai help");
  await comment(stack, pr, "@argusai dance <script>");
  const notes = await eventually(() => {
    const n = notesOn(stack, pr);
    return n.some((b) => b.includes("`@argusai full review`")) && n.some((b) => /I don't know the command `dance script`/.test(b)) ? n : null;
  }, { what: "the help and unknown-command notes" });
  assert.ok(!notes.some((b) => b.includes("<script>")), "the unknown command is not echoed raw");
  s = await statusOfPr(stack, pr);
  assert.equal(s.history.length, 3, "help and unknown commands start no review");
});

test("drafts: the repository's review_drafts decides; a skipped draft run says so and never counts as reviewed; ready for review reviews it", async () => {
  const pr = newPr(stack, "drafts");
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));
  await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  const push = (head, added) => {
    stack.github.setHead({ owner: pr.owner, repo: pr.repo, number: pr.number, headSha: head, diffText: diffOf(pr.file, ["let drafts = 1;", ...added]) });
    stack.github.setCompare({ owner: pr.owner, repo: pr.repo, base: pr.head, head, status: "ahead", diffText: diffOf(pr.file, added, ["let drafts = 1;"]) });
  };
  const h1 = sha("drafts-head-1");
  push(h1, ["let one = 1;"]);
  stack.github.state.pulls.get(`${pr.owner}/${pr.repo}#${pr.number}`).draft = true;
  const drafted = await sendEvent(stack, "pull_request", prEvent({ ...pr, head: h1, action: "converted_to_draft", draft: true }));
  assert.equal(drafted.status, "accepted");
  // A push to the draft reaches the coordinator (the front door cannot read the repository's file)…
  const whileDraft = await sendEvent(stack, "pull_request", prEvent({ ...pr, head: h1, action: "synchronize", draft: true }));
  assert.equal(whileDraft.status, "accepted", JSON.stringify(whileDraft));
  // …and the job skips it (review_drafts defaults to false): a skip, with the reason, not a review.
  let s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 2);
  assert.equal(s.draft, true);
  assert.deepEqual([s.history[1].head_sha, s.history[1].outcome], [h1, "skipped"]);
  assert.match(s.history[1].note, /draft.*review_drafts = false/);
  assert.equal(s.last_reviewed_sha, pr.head, "a skipped run never moves the reviewed head");
  const skippedCheck = checksOf(stack, pr).find((c) => c.head_sha === h1);
  assert.deepEqual([skippedCheck.status, skippedCheck.conclusion], ["completed", "skipped"]);
  assert.match(skippedCheck.output.summary, /review_drafts = false/);
  assert.equal(reviewsOf(stack, pr).length, 1);

  // Ready for review: h1 is reviewed now, since the last posted review.
  stack.github.state.pulls.get(`${pr.owner}/${pr.repo}#${pr.number}`).draft = false;
  await sendEvent(stack, "pull_request", prEvent({ ...pr, head: h1, action: "ready_for_review" }));
  s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 3);
  assert.equal(s.draft, false);
  assert.deepEqual(s.history.map((h) => [h.head_sha, h.outcome]), [[pr.head, "posted"], [h1, "skipped"], [h1, "posted"]]);
  assert.deepEqual(reviewsOf(stack, pr).map((r) => r.commit_id), [pr.head, h1]);
});

test("review_drafts = true on the base branch: a draft is reviewed", async () => {
  const pr = newPr(stack, "drafts-on");
  stack.github.setContent({ owner: pr.owner, repo: pr.repo, ref: pr.base, path: ".github/argusai.toml", content: "review_drafts = true\n" });
  stack.github.state.pulls.get(`${pr.owner}/${pr.repo}#${pr.number}`).draft = true;
  const opened = await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened", draft: true }));
  assert.equal(opened.status, "accepted");
  const s = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  assert.deepEqual([s.draft, s.history[0].outcome], [true, "posted"]);
  assert.equal(reviewsOf(stack, pr).length, 1);
});

test("PR closed → pending work cancelled, and a running review is not posted", async () => {
  // Pending: a push waits out its debounce window, then the PR closes.
  const pending = newPr(stack, "close-pending");
  await sendEvent(stack, "pull_request", prEvent({ ...pending, action: "synchronize" }));
  let s = await statusOfPr(stack, pending);
  assert.equal(s.state, "debouncing");
  const due = s.pending_review.due_at;
  const closed = await sendEvent(stack, "pull_request", prEvent({ ...pending, action: "closed" }));
  assert.equal(closed.status, "accepted", JSON.stringify(closed));
  s = await statusOfPr(stack, pending);
  assert.equal(s.state, "archived");
  assert.equal(s.pending_review, null);
  assert.equal(s.current_job, null);
  // Poll the coordinator's own clock past the moment the review was due.
  s = await eventually(async () => {
    const st = await statusOfPr(stack, pending);
    return st.now > due + 500 ? st : null;
  }, { timeoutMs: 10000, intervalMs: 200, what: "the debounce window to pass" });
  assert.equal(s.state, "archived");
  assert.deepEqual(s.history, []);
  assert.equal(prReads(stack, pending).length, 0, "no job ran");
  assert.equal(reviewsOf(stack, pending).length, 0);
  // Reopening brings the coordinator back, and the first review starts at once.
  const reopened = await sendEvent(stack, "pull_request", prEvent({ ...pending, action: "reopened" }));
  assert.equal(reopened.status, "accepted");
  s = await waitForHistory(stack, pending.owner, pending.repo, pending.number, 1);
  assert.deepEqual([s.history[0].head_sha, s.history[0].outcome], [pending.head, "posted"]);
  assert.equal(reviewsOf(stack, pending).length, 1);

  // Running: the PR closes while the model is still thinking.
  const running = newPr(stack, "close-running");
  slowModelFor(stack, running, 2500);
  await sendEvent(stack, "pull_request", prEvent({ ...running, action: "opened" }));
  await waitForModelCall(stack, running);
  stack.github.state.pulls.get(`${running.owner}/${running.repo}#${running.number}`).state = "closed";
  await sendEvent(stack, "pull_request", prEvent({ ...running, action: "closed" }));
  s = await waitForHistory(stack, running.owner, running.repo, running.number, 1);
  assert.equal(s.state, "archived");
  assert.equal(s.history[0].outcome, "superseded", JSON.stringify(s.history));
  assert.equal(reviewsOf(stack, running).length, 0, "a review was posted after the PR closed");
  const checks = checksOf(stack, running).map((c) => [c.status, c.conclusion]);
  assert.deepEqual(checks, [["completed", "skipped"]], "the job's check run is closed, not left spinning");
  const after = await sendEvent(stack, "pull_request", prEvent({ ...running, head: sha("close-running-late"), action: "synchronize" }));
  assert.match(after.coordinator.note, /closed/);
});

test("status endpoint: disabled without STATUS_TOKEN (404), 401 on a wrong token, JSON and HTML with the right one, never code or secrets", async () => {
  const SECRET_IN_DIFF = "AKIA" + "Z7QWERTYUIOPASDF"; // a made-up key, built at run time
  const CODE = `let aws_key = "${SECRET_IN_DIFF}"; // coord-e2e-code-marker`;
  const pr = newPr(stack, "status-page", { added: [CODE] });
  // A model that quotes the secret back: the status page must still not show it.
  stack.llm.script({
    match: (rec) => rec.prompt.includes(pr.file),
    reply: (rec) => ({ findings: citeLines({ max: 1 })(rec).findings.map((f) => finding(f.path, f.end_line, `Hard-coded key ${SECRET_IN_DIFF} in \`${CODE}\``)), summary: `leaks ${SECRET_IN_DIFF}` }),
  });
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));
  await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  const path = `/status/${pr.owner}/${pr.repo}/${pr.number}`;

  for (const authorization of [undefined, "Bearer wrong-token", `Bearer ${STATUS_TOKEN}x`, `token ${STATUS_TOKEN}`, STATUS_TOKEN]) {
    const headers = authorization ? { authorization } : {};
    const r = await stack.argus.fetch(path, { headers });
    assert.equal(r.status, 401, `authorization ${authorization}`);
    assert.equal(r.headers.get("www-authenticate"), "Bearer");
    assert.ok(!(await r.text()).includes(pr.head));
  }

  const json = await stack.argus.fetch(path, { headers: { authorization: `Bearer ${STATUS_TOKEN}`, accept: "application/json" } });
  assert.equal(json.status, 200);
  assert.match(json.headers.get("content-type"), /application\/json/);
  const jsonText = await json.text();
  const view = JSON.parse(jsonText);
  assert.equal(view.pr, `${pr.owner}/${pr.repo}#${pr.number}`);
  assert.equal(view.head_sha, pr.head);
  assert.equal(view.history[0].outcome, "posted");
  assert.ok(view.history[0].findings >= 1 && view.history[0].tokens_in > 0, JSON.stringify(view.history[0]));

  const html = await stack.argus.fetch(path, { headers: { authorization: `Bearer ${STATUS_TOKEN}`, accept: "text/html,application/xhtml+xml" } });
  assert.equal(html.status, 200);
  assert.match(html.headers.get("content-type"), /text\/html/);
  const page = await html.text();
  assert.match(page, /^<!doctype html>/i);
  assert.ok(page.includes(`${pr.owner}/${pr.repo}#${pr.number}`));
  assert.ok(page.includes(pr.head.slice(0, 7)), "the page shows the head");

  const unknown = await stack.argus.fetch(`/status/${pr.owner}/never-seen/1`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
  assert.equal(unknown.status, 404);

  const privateKeyLine = "PRIVATE KEY";
  for (const [name, text] of [["json", jsonText], ["html", page]]) {
    for (const forbidden of [SECRET_IN_DIFF, "coord-e2e-code-marker", "aws_key", WEBHOOK_SECRET, STATUS_TOKEN, "e2e-models-token", privateKeyLine, "ghs_"]) {
      assert.ok(!text.includes(forbidden), `${name} status shows ${forbidden}`);
    }
  }

  // Without a configured token the endpoint does not exist.
  const closed = await startArgus({ secrets: { STATUS_TOKEN: "" } });
  try {
    for (const authorization of [undefined, `Bearer ${STATUS_TOKEN}`, "Bearer "]) {
      const r = await closed.fetch(path, { headers: authorization ? { authorization } : {} });
      assert.equal(r.status, 404, `authorization ${authorization}`);
    }
  } finally {
    await closed.close();
  }
});

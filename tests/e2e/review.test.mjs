// End to end, in workerd running the built wasm, against the faithful fakes:
// a pull request event goes in, and a correct, deduplicated, well-anchored
// review comes out on the PR, once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { steps } from "../fakes/llm.mjs";
import { startStack, realDiff, sha, prEvent, sendEvent, status, waitForHistory } from "./fixtures.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => stack?.close());

test("opened PR from a real diff → one review with valid anchors, one summary, check run completed, status with tokens", async () => {
  const [owner, repo, number] = ["octo-org", "e2e-opened", 1];
  const head = sha("opened-head"), base = sha("opened-base");
  stack.github.addPullRequest({ owner, repo, number, diffText: realDiff("axum-028c472c8459.diff"), headSha: head, baseSha: base });
  stack.llm.setDefault(steps.citeLines({ max: 2 }));
  const started = Date.now();
  const accepted = await sendEvent(stack, "pull_request", prEvent({ owner, repo, number, head, base }));
  assert.equal(accepted.status, "accepted");

  const s = await waitForHistory(stack, owner, repo, number, 1);
  const reviews = stack.github.submittedReviews(owner, repo, number);
  assert.equal(reviews.length, 1, JSON.stringify(s));
  assert.equal(reviews[0].event, "COMMENT");
  assert.equal(reviews[0].commit_id, head);
  assert.ok(reviews[0].comments.length >= 1, "the model's findings are posted inline");
  const summaries = stack.github.state.issueComments.filter((c) => c.repo === `${owner}/${repo}` && c.number === number);
  assert.equal(summaries.length, 1);
  const checks = stack.github.state.checkRuns.filter((c) => c.repo === `${owner}/${repo}`);
  assert.equal(checks.length, 1);
  assert.equal(checks[0].status, "completed");
  assert.ok(checks[0].history.some((h) => h.status === "in_progress"), JSON.stringify(checks[0].history));
  assert.equal(s.last_reviewed_sha, head);
  const last = s.history.at(-1);
  assert.ok(last.tokens_in > 0, JSON.stringify(last));
  // The run's duration is real: positive, and no longer than the test waited for it.
  assert.ok(last.duration_ms > 0 && last.duration_ms <= Date.now() - started, `${last.duration_ms} ms in a ${Date.now() - started} ms test`);
  // What the review cost in subrequests is recorded, within the free plan's 50 external.
  // One review request and one verification request for its findings.
  assert.ok(last.subrequests.github >= 5 && last.subrequests.llm === 2, JSON.stringify(last.subrequests));
  assert.ok(last.subrequests.github + last.subrequests.llm <= 50, JSON.stringify(last.subrequests));
  assert.match(summaries[0].body, /\d+ GitHub \+ 2 model requests \(free plan: 50 per review\)/);
});

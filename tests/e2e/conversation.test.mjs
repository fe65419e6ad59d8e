// End to end, in workerd running the built wasm against the loopback fakes:
// answers in ArgusAI's review threads (issue 13, "Replies in threads"). A reply
// in an ArgusAI thread gets exactly one answer in that thread, however often
// it is delivered; readers and bots get none; `@argusai fix` gets a
// committable suggestion; `@argusai <question>` on a diff line is answered in
// the thread the person started; past the repository's `[replies] max_per_pr`
// the thread gets one note and then silence. A writer rejecting a finding
// ("intended") teaches a learning: `@argusai learnings` lists it, the next PR's
// same finding is suppressed and counted, `@argusai forget 1` brings it back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { citeLines } from "../fakes/llm.mjs";
import { startStack, sha, prEvent, reviewCommentEvent, commentEvent, sendEvent, status, waitForHistory, eventually } from "./fixtures.mjs";

const OWNER = "conv-e2e";
const NUMBER = 3;
const BOT = "argusai[bot]";

let stack;
before(async () => {
  stack = await startStack({ vars: { REVIEW_DEBOUNCE_SECONDS: "1", REPLY_DEBOUNCE_SECONDS: "1" } });
  // Every review cites one added line: one ArgusAI thread per PR.
  stack.llm.setDefault({ reply: citeLines({ max: 1 }) });
});
after(async () => stack?.close());

const isAnswerRequest = (rec) => String(rec.system ?? "").startsWith("You are ArgusAI, a code reviewer answering");
const answerRequests = () => stack.llm.requests.filter(isAnswerRequest);

/** Opens `conv-e2e/<repo>#3` (head texts served, so answers can show the file), waits for its review, returns the PR and ArgusAI's thread root. */
async function reviewedPr(repo, { baseFiles = {}, number = NUMBER, expectFinding = true } = {}) {
  const file = `src/${repo}.rs`;
  const head = sha(`${repo}-${number}-head`);
  const base = sha(`${repo}-base`);
  const ident = repo.replace(/-/g, "_");
  const diffText = [
    `diff --git a/${file} b/${file}`,
    "index 1111111..2222222 100644",
    `--- a/${file}`,
    `+++ b/${file}`,
    "@@ -1,2 +1,3 @@",
    " fn main() {",
    `+    let ${ident} = 1;`,
    " }",
    "",
  ].join("\n");
  stack.github.addPullRequest({ owner: OWNER, repo, number, diffText, headSha: head, baseSha: base, synthesizeContents: true, baseFiles });
  const pr = { owner: OWNER, repo, number, head, base, file, ident };
  await sendEvent(stack, "pull_request", prEvent({ ...pr, action: "opened" }));
  await waitForHistory(stack, OWNER, repo, number, 1);
  if (!expectFinding) return { pr, root: null };
  const root = await eventually(() => comments(pr).find((c) => c.user.login === BOT && c.in_reply_to_id == null), { what: `${repo}'s finding` });
  return { pr, root };
}

const comments = (pr) => stack.github.reviewComments(pr.owner, pr.repo, pr.number);
/** ArgusAI's answers in the thread of `root`. */
const answersIn = (pr, root) => comments(pr).filter((c) => c.in_reply_to_id === root.id && c.user.login === BOT);

/** ArgusAI's first answer in the thread of `root`, once it is there. */
const firstAnswer = (pr, root, what) =>
  eventually(() => answersIn(pr, root)[0] ?? null, { timeoutMs: 20000, what });

/** A person replies in the thread on GitHub, and GitHub delivers the webhook. */
async function replyInThread(pr, root, body, { login = "octocat", association = "OWNER", delivery = randomUUID(), type = "User" } = {}) {
  const c = stack.github.addReplyBy({ user: login, owner: pr.owner, repo: pr.repo, number: pr.number, inReplyTo: root.id, body });
  const event = reviewCommentEvent({ owner: pr.owner, repo: pr.repo, number: pr.number, commentId: c.id, inReplyTo: root.id, body, association, login, type, path: pr.file, line: root.line });
  const answer = await sendEvent(stack, "pull_request_review_comment", event, delivery);
  return { comment: c, event, delivery, answer };
}

/** The model's answer to this PR's thread questions. */
function answerWith(pr, reply) {
  stack.llm.script({ match: (rec) => isAnswerRequest(rec) && rec.prompt.includes(pr.file), reply });
}

/** Waits until the consumer is done with a comment (a request for the commenter's permission is its first step), then a little longer. */
async function settle(ms = 4000) {
  await new Promise((r) => setTimeout(r, ms));
}

test("a reply in an ArgusAI thread gets exactly one answer there; the same delivery again, or the same comment under a new delivery, gets none", async () => {
  const { pr, root } = await reviewedPr("answered");
  answerWith(pr, "The value is never read afterwards, so the binding is dead code; remove it or use it. Thanks for asking @octocat, see [docs](https://evil.example).");
  const first = await replyInThread(pr, root, "Why is this a problem?");
  assert.equal(first.answer.status, "accepted", JSON.stringify(first.answer));
  const answer = await firstAnswer(pr, root, "ArgusAI's answer in the thread");
  assert.match(answer.body, /binding is dead code/);
  assert.ok(answer.body.includes(`<!-- argus-review:v1 reply=${first.comment.id} -->`), answer.body);
  assert.ok(answer.body.includes("`@octocat`") && !answer.body.includes("https://evil.example"), `sanitized: ${answer.body}`);
  // The prompt had the finding, the cited line at head and the question.
  const prompt = answerRequests().find((r) => r.prompt.includes(pr.file)).prompt;
  assert.ok(prompt.includes("Why is this a problem?") && prompt.includes(`let ${pr.ident} = 1;`) && prompt.includes("ArgusAI's finding"), prompt);

  // GitHub redelivers the same delivery: the coordinator drops it.
  const again = await sendEvent(stack, "pull_request_review_comment", first.event, first.delivery);
  assert.equal(again.status, "duplicate", JSON.stringify(again));
  // The same comment under a new delivery id: the consumer finds its marker.
  const asked = answerRequests().length;
  const renewed = await sendEvent(stack, "pull_request_review_comment", first.event, randomUUID());
  assert.equal(renewed.status, "accepted");
  await settle(5000);
  assert.equal(answersIn(pr, root).length, 1, "still one answer");
  assert.equal(answerRequests().length, asked, "no second model call for an answered comment");
  // The consumer reported through the Durable Object's route: one answer counted, nothing waiting.
  const st = await status(stack, pr.owner, pr.repo, pr.number);
  assert.deepEqual({ ...st.replies, max_per_pr: undefined, max_per_hour: undefined }, { waiting: 0, in_flight: 0, answered: 1, answered_last_hour: 1, max_per_pr: undefined, max_per_hour: undefined });
  assert.equal(st.replies.max_per_pr, 20, "the repository's bound, as its review read it");
});

test("a reply by someone without write access, and a bot's reply, get no answer", async () => {
  const { pr, root } = await reviewedPr("unanswered");
  // An organisation member GitHub reports as read-only: the consumer's permission check says no.
  stack.github.setPermission({ owner: pr.owner, repo: pr.repo, login: "reader", permission: "read" });
  const asked = answerRequests().length;
  const reader = await replyInThread(pr, root, "@argusai explain", { login: "reader", association: "MEMBER" });
  assert.equal(reader.answer.status, "accepted", "routed: only GitHub can say whether a member may write");
  await eventually(() => stack.github.state.requests.some((r) => r.path.includes(`/repos/${pr.owner}/${pr.repo}/collaborators/reader/permission`)), {
    timeoutMs: 20000,
    what: "the reader's permission check",
  });
  // A bot's reply never reaches the coordinator.
  const bot = await replyInThread(pr, root, "@argusai fix", { login: "helper[bot]", type: "Bot" });
  assert.equal(bot.answer.status, "ignored", JSON.stringify(bot.answer));
  // ArgusAI's own comments neither.
  const own = await replyInThread(pr, root, "an answer", { login: BOT, type: "Bot" });
  assert.equal(own.answer.status, "ignored");
  await settle();
  assert.equal(answersIn(pr, root).filter((c) => c.id !== own.comment.id).length, 0, "no answer");
  assert.equal(answerRequests().length, asked, "no model call");
});

test("@argusai fix answers with a committable suggestion for the thread's line", async () => {
  const { pr, root } = await reviewedPr("fixed");
  answerWith(pr, `Declare it as a constant.\n\n\`\`\`suggestion\n    const ${pr.ident.toUpperCase()}: i32 = 1;\n\`\`\`\n`);
  const { comment } = await replyInThread(pr, root, "@argusai fix");
  const answer = await firstAnswer(pr, root, "the fix");
  assert.ok(answer.body.includes(`\`\`\`suggestion\n    const ${pr.ident.toUpperCase()}: i32 = 1;\n\`\`\``), answer.body);
  assert.ok(answer.body.includes(`reply=${comment.id}`));
  const req = answerRequests().find((r) => r.prompt.includes(pr.file));
  assert.match(req.system, /```suggestion/);
});

/**
 * A PR whose repository bounds answers with `key = 1` (`[replies]`): the first
 * reply is answered, the second gets the bound's note (matching `noteText`),
 * a third gets nothing; one model call in all. Returns the PR for more checks.
 */
async function overTheBound(repo, key, noteText) {
  const { pr, root } = await reviewedPr(repo, { baseFiles: { ".github/argusai.toml": `[replies]\n${key} = 1\n` } });
  answerWith(pr, "First answer.");
  await replyInThread(pr, root, "Is this safe?");
  await eventually(() => answersIn(pr, root).length === 1, { timeoutMs: 20000, what: "the first answer" });
  await settle(2000);
  const second = await replyInThread(pr, root, "And this?");
  const notes = await eventually(() => {
    const a = answersIn(pr, root).filter((c) => c.body.includes(key));
    return a.length ? a : null;
  }, { timeoutMs: 20000, what: `the ${key} note` });
  assert.equal(notes.length, 1);
  assert.match(notes[0].body, noteText);
  assert.ok(notes[0].body.includes(`reply=${second.comment.id}`));
  await settle(2000);
  await replyInThread(pr, root, "Hello?");
  await settle(5000);
  assert.equal(answersIn(pr, root).length, 2, "the first answer and the one note");
  assert.equal(answerRequests().filter((r) => r.prompt.includes(pr.file)).length, 1, "one model call");
  return pr;
}

test("over the repository's per-PR bound: one note in the thread, then silence", async () => {
  const pr = await overTheBound("bounded", "max_per_pr", /answered 1 comments on this pull request/);
  assert.equal((await status(stack, pr.owner, pr.repo, pr.number)).replies.answered, 1, "the note is not an answer");
});

test("@argusai with a question on a diff line, in a thread a person starts, is answered in that thread", async () => {
  const { pr, root } = await reviewedPr("asked");
  answerWith(pr, "Yes: the value is a constant and never shared between threads.");
  stack.github.addReviewBy({ user: "octocat", owner: pr.owner, repo: pr.repo, number: pr.number, comments: [{ path: pr.file, line: root.line, side: "RIGHT", body: "@argusai is this thread-safe?" }] });
  const theirs = comments(pr).find((c) => c.body === "@argusai is this thread-safe?");
  const event = reviewCommentEvent({ owner: pr.owner, repo: pr.repo, number: pr.number, commentId: theirs.id, body: theirs.body, path: pr.file, line: root.line });
  assert.equal((await sendEvent(stack, "pull_request_review_comment", event)).status, "accepted");
  const answer = await firstAnswer(pr, theirs, "the answer in the person's thread");
  assert.match(answer.body, /never shared between threads/);
  assert.ok(answer.body.includes(`reply=${theirs.id}`));
  assert.equal(answersIn(pr, root).length, 0, "nothing in ArgusAI's own thread");
  // Without the mention, a new comment on a diff line is not for ArgusAI.
  const plain = reviewCommentEvent({ owner: pr.owner, repo: pr.repo, number: pr.number, commentId: theirs.id + 1000, body: "nit: naming", path: pr.file, line: root.line });
  assert.equal((await sendEvent(stack, "pull_request_review_comment", plain)).status, "ignored");
});

test("@argusai resolve in ArgusAI's thread resolves it at once, without the model, with one reply; the same delivery again adds nothing", async () => {
  const { pr, root } = await reviewedPr("resolved-on-request");
  const asked = answerRequests().length;
  const first = await replyInThread(pr, root, "Fixed in the next commit, thanks. @argusai resolve");
  const reply = await firstAnswer(pr, root, "the resolution reply");
  assert.match(reply.body, /Resolved at the request of `octocat`\./);
  assert.doesNotMatch(reply.body, /will not be posted again/, "a resolve that says it was fixed teaches nothing");
  assert.ok(reply.body.trimEnd().endsWith(`<!-- argus-review:v1 reply=${first.comment.id} -->`), reply.body);
  const thread = stack.github.reviewThreads(pr.owner, pr.repo, pr.number).find((t) => t.comments[0].databaseId === root.id);
  assert.equal(thread.isResolved, true);
  assert.equal(answerRequests().length, asked, "no model call");
  await sendEvent(stack, "pull_request_review_comment", first.event, first.delivery);
  await settle();
  assert.equal(answersIn(pr, root).length, 1);
});

test("a dismissal that says why (\"intended … @argusai resolve\") resolves the thread and teaches a learning, without the model", async () => {
  const repo = "dismissed";
  const { pr, root } = await reviewedPr(repo);
  const asked = answerRequests().length;
  await replyInThread(pr, root, "This is intended, the binding documents the default. @argusai resolve");
  const reply = await firstAnswer(pr, root, "the resolution reply");
  assert.match(reply.body, /will not be posted again in this repository/);
  assert.match(reply.body, /Resolved at the request of `octocat`\./);
  assert.equal(stack.github.reviewThreads(pr.owner, pr.repo, pr.number).find((t) => t.comments[0].databaseId === root.id).isResolved, true);
  assert.equal(answerRequests().length, asked, "no model call");
  // The repository's next pull request with the same finding: not posted.
  await reviewedPr(repo, { number: 2, expectFinding: false });
  assert.equal(comments({ owner: OWNER, repo, number: 2 }).filter((c) => c.user.login === BOT).length, 0);
});

test("a writer's 👎 alone, with no reply, teaches from the PR's next review: the repository's next PR does not get that finding", async () => {
  const repo = "thumbs-down";
  const { pr, root } = await reviewedPr(repo);
  stack.github.setPermission({ owner: OWNER, repo, login: "passerby", permission: "read" });
  stack.github.addReactionBy({ user: "passerby", owner: OWNER, repo, target: "review", commentId: root.id, content: "-1" });
  // A reader's 👎 teaches nothing: the next review of another PR still gets the finding.
  await sendEvent(stack, "issue_comment", commentEvent({ owner: OWNER, repo, number: pr.number, body: "@argusai full review", commentId: 9101 }));
  await waitForHistory(stack, OWNER, repo, pr.number, 2);
  const { root: still } = await reviewedPr(repo, { number: 10 });
  assert.ok(still, "a 👎 from someone without write access teaches nothing");
  // A writer's 👎 does, at the next review of the PR it is on.
  stack.github.addReactionBy({ user: "octocat", owner: OWNER, repo, target: "review", commentId: root.id, content: "-1" });
  await sendEvent(stack, "issue_comment", commentEvent({ owner: OWNER, repo, number: pr.number, body: "@argusai full review", commentId: 9102 }));
  await waitForHistory(stack, OWNER, repo, pr.number, 3);
  await reviewedPr(repo, { number: 11, expectFinding: false });
  assert.equal(comments({ owner: OWNER, repo, number: 11 }).filter((c) => c.user.login === BOT).length, 0, "the finding the writer gave a 👎 is not posted again");
});

test("over the repository's hourly bound: one note in the thread while the hour lasts", async () => {
  const pr = await overTheBound("hourly", "max_per_hour", /answered 1 comments on this pull request in the last hour/);
  assert.equal((await status(stack, pr.owner, pr.repo, pr.number)).replies.answered_last_hour, 1);
});

test("an 'intended' reply teaches a learning: listed by @argusai learnings with its TOML, the next PR's same finding suppressed and counted, @argusai forget 1 brings it back, the TOML committed suppresses it again", async () => {
  const repo = "learned";
  const { pr, root } = await reviewedPr(repo);
  answerWith(pr, "Understood, thanks for explaining.\nRule: Do not report unused bindings that document a default.");
  // The issue's scenario: a 👎 on the finding, then the reply saying why.
  stack.github.addReactionBy({ user: "octocat", owner: OWNER, repo, target: "review", commentId: root.id, content: "-1" });
  await replyInThread(pr, root, "This is intended: the binding documents the default.");
  const answer = await firstAnswer(pr, root, "the answer");
  assert.match(answer.body, /will not be posted again in this repository/);
  assert.doesNotMatch(answer.body, /Rule:/, "the rule line is the learning's, not the answer's");
  assert.match(answerRequests().find((r) => r.prompt.includes(pr.file)).system, /starts with `Rule:`/);

  const notes = (number) => stack.github.state.issueComments.filter((c) => c.repo === `${OWNER}/${repo}` && c.number === number && c.user.login === BOT);
  const command = async (number, body) => {
    const commentId = Math.floor(Math.random() * 1e9);
    await sendEvent(stack, "issue_comment", commentEvent({ owner: OWNER, repo, number, body, commentId }));
    return eventually(() => notes(number).find((c) => c.body.includes(`learnings=${commentId}`)), { timeoutMs: 20000, what: `the note for ${body}` });
  };
  const list = await command(pr.number, "@argusai learnings");
  assert.match(list.body, /What ArgusAI has learned in this repository\*\* \(1\)/);
  assert.match(list.body, /1\. Do not report unused bindings that document a default\./, "the model wrote the rule from the thread");

  // The next pull request with the same finding: not posted, and the summary says so.
  const summary = (number) => notes(number).find((c) => c.body.includes("ArgusAI review of"))?.body ?? "";
  const { pr: second } = await reviewedPr(repo, { number: 4, expectFinding: false });
  assert.equal(comments(second).filter((c) => c.user.login === BOT).length, 0, "the rejected finding is not posted");
  assert.match(summary(4), /1 finding suppressed by learnings/);
  const prompt = stack.llm.requests.filter((r) => r.kind === "review" && !isAnswerRequest(r)).at(-1);
  assert.match(prompt.system, /Rules this repository's maintainers taught ArgusAI/);

  const forgot = await command(4, "@argusai forget 1");
  assert.match(forgot.body, /Forgot learning 1: Do not report unused bindings/);
  assert.match((await command(4, "@argusai learnings")).body, /learned nothing/);
  const { root: back } = await reviewedPr(repo, { number: 5 });
  assert.ok(back, "after forget 1 the finding is posted again");

  // The list's TOML, committed into `.github/argusai.toml` on the base branch,
  // suppresses the finding again without anything stored.
  const toml = list.body.match(/```toml\n([\s\S]*?)\n```/)?.[1];
  assert.match(toml ?? "", /^# learned in #\d+ from octocat\n\[\[learnings\]\]\nrule = "Do not report unused bindings that document a default\."\ncategory = "\w+"\ntitle = ".+"$/m, list.body);
  await reviewedPr(repo, { number: 6, expectFinding: false, baseFiles: { ".github/argusai.toml": toml } });
  assert.equal(comments({ owner: OWNER, repo, number: 6 }).filter((c) => c.user.login === BOT).length, 0, "the committed learning suppresses it");
  assert.match(summary(6), /1 finding suppressed by learnings/);
  // The list says what the file holds too.
  assert.match((await command(6, "@argusai learnings")).body, /learned nothing[\s\S]*1 more rule applies from `\.github\/argusai\.toml` on the base branch/);
});

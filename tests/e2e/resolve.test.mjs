// End to end, in workerd against the fakes: resolving what was fixed. On a push,
// an open ArgusAI thread whose cited lines changed is resolved once (GraphQL
// `resolveReviewThread`) with a one-line reply naming the commit — after a fix
// check when the lines changed, without one when they were deleted; a push that
// touches other files resolves nothing and reads nothing; a thread a person
// joined is left alone. When a reviewed PR is merged, the share of its findings
// the team acted on is recorded, shown on its status page, and quoted in the
// summary of the repository's next review.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { linesInPrompt, finding, fixAnswers } from "../fakes/llm.mjs";
import { STATUS_TOKEN } from "./harness.mjs";
import { startStack, sha, prEvent, sendEvent, waitForHistory, status, eventually } from "./fixtures.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => stack?.close());

const OWNER = "octo-org";
const PATH = "src/calc.rs";

function newFileDiff(path, lines) {
  return [`diff --git a/${path} b/${path}`, "new file mode 100644", "index 0000000..1111111", "--- /dev/null", `+++ b/${path}`, `@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`), ""].join("\n");
}

/** A modification of `path` from `before` to `after` as one hunk over the whole file. */
function rewriteDiff(path, before, after) {
  return [
    `diff --git a/${path} b/${path}`,
    "index 1111111..2222222 100644",
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -1,${before.length} +1,${after.length} @@`,
    ...before.map((l) => `-${l}`),
    ...after.map((l) => `+${l}`),
    "",
  ].join("\n");
}

/** The model flags every numbered line containing a needle. */
function flag(rules) {
  return {
    reply: (req) => ({
      findings: linesInPrompt(req.prompt)
        .filter((l) => l.path)
        .flatMap((l) => rules.filter(([needle]) => l.text.includes(needle)).map(([, title]) => finding(l.path, l.line, `${title}: check the input first.`, { title, severity: "high" }))),
      summary: "Arithmetic on unchecked input.",
    }),
  };
}

const v1 = ["pub fn div(a: i32, b: i32) -> i32 {", "    a / b", "}", "", "pub fn rem(a: i32, b: i32) -> i32 {", "    a % b", "}"];
const RULES = [["a / b", "Division by zero"], ["a % b", "Remainder by zero"]];

/** Opens a PR with v1 of the file, reviewed once: two findings, two threads. */
async function openReviewed(repo, number) {
  const base = sha(`${repo}-base`), h1 = sha(`${repo}-h1`);
  stack.github.addPullRequest({ owner: OWNER, repo, number, diffText: newFileDiff(PATH, v1), headSha: h1, baseSha: base });
  stack.github.setContent({ owner: OWNER, repo, ref: h1, path: PATH, content: v1.join("\n") + "\n" });
  await sendEvent(stack, "pull_request", prEvent({ owner: OWNER, repo, number, head: h1, base }));
  await waitForHistory(stack, OWNER, repo, number, 1);
  const threads = stack.github.reviewThreads(OWNER, repo, number);
  assert.equal(threads.length, 2, "two findings, two threads");
  return { base, h1 };
}

/** Pushes `lines` of the file (plus `extra` files) as head `head` after `prev`. */
async function push({ repo, number, base, prev, head, lines, extra = [], histories }) {
  const files = [newFileDiff(PATH, lines), ...extra.map(([p, l]) => newFileDiff(p, l))].join("");
  stack.github.setHead({ owner: OWNER, repo, number, headSha: head, diffText: files });
  const same = lines.join("\n") === prev.lines.join("\n");
  const changed = [same ? "" : rewriteDiff(PATH, prev.lines, lines), ...extra.map(([p, l]) => newFileDiff(p, l))].join("");
  stack.github.setCompare({ owner: OWNER, repo, base: prev.sha, head, status: "ahead", diffText: changed });
  stack.github.setContent({ owner: OWNER, repo, ref: head, path: PATH, content: lines.join("\n") + "\n" });
  for (const [p, l] of extra) stack.github.setContent({ owner: OWNER, repo, ref: head, path: p, content: l.join("\n") + "\n" });
  await sendEvent(stack, "pull_request", prEvent({ owner: OWNER, repo, number, head, base, action: "synchronize" }));
  await waitForHistory(stack, OWNER, repo, number, histories);
}

const resolvedReplies = (repo, number) =>
  stack.github.reviewComments(OWNER, repo, number).filter((c) => c.in_reply_to_id != null && c.body.includes("argus-review:v1 resolved="));
const summaryOf = (repo, number) => stack.github.state.issueComments.find((c) => c.repo === `${OWNER}/${repo}` && c.number === number)?.body ?? "";

test("a push that fixes a finding's lines resolves its thread once, naming the commit; a push elsewhere resolves nothing and reads nothing", async () => {
  const repo = "e2e-resolve-fix", number = 1;
  stack.llm.reset();
  stack.llm.setDefault(flag(RULES));
  const { base, h1 } = await openReviewed(repo, number);

  // Push 2 fixes the division (the remainder line is untouched); the fix check says so.
  const h2 = sha(`${repo}-h2`);
  const v2 = v1.map((l) => (l === "    a / b" ? "    a.checked_div(b).unwrap_or(0)" : l));
  stack.llm.setFixChecker(fixAnswers((c) => ({ addressed: /Division/.test(c.title + c.file), confidence: 95 })));
  const checksBefore = stack.llm.fixChecks().length;
  await push({ repo, number, base, prev: { sha: h1, lines: v1 }, head: h2, lines: v2, histories: 2 });
  const checks = stack.llm.fixChecks().slice(checksBefore);
  assert.equal(checks.length, 1, "one fix check for the changed thread");
  assert.match(checks[0].prompt, /Division by zero/);
  assert.match(checks[0].prompt, /OLD:\n2 {5}a \/ b/);
  assert.match(checks[0].prompt, /checked_div/);
  assert.doesNotMatch(checks[0].prompt, /Remainder by zero/, "the thread whose lines did not change is not checked");

  const threads = stack.github.reviewThreads(OWNER, repo, number);
  const byTitle = (t) => threads.find((x) => x.comments[0].body.includes(t));
  assert.equal(byTitle("Division by zero").isResolved, true);
  assert.equal(byTitle("Remainder by zero").isResolved, false);
  const replies = resolvedReplies(repo, number);
  assert.equal(replies.length, 1);
  assert.equal(replies[0].in_reply_to_id, byTitle("Division by zero").comments[0].databaseId);
  assert.match(replies[0].body, new RegExp(`Resolved by \`${h2.slice(0, 7)}\`: the new code addresses this finding`));
  assert.match(summaryOf(repo, number), /1 earlier thread resolved/);

  // Push 3 adds another file only: no thread is read, checked or resolved again.
  const h3 = sha(`${repo}-h3`);
  const threadReads = () => stack.github.state.graphqlQueries.filter((q) => /reviewThreads|resolveReviewThread/.test(q)).length;
  const graphqlBefore = threadReads();
  const checksBefore3 = stack.llm.fixChecks().length;
  const readme = [["docs/notes.md", ["# Notes", "", "Nothing to see."]]];
  await push({ repo, number, base, prev: { sha: h2, lines: v2 }, head: h3, lines: v2, extra: readme, histories: 3 });
  assert.equal(stack.llm.fixChecks().length, checksBefore3, "no fix check");
  assert.equal(threadReads(), graphqlBefore, "no thread read, no resolution");
  assert.equal(resolvedReplies(repo, number).length, 1, "resolved once");
  assert.equal(stack.github.reviewThreads(OWNER, repo, number).filter((t) => t.isResolved).length, 1);
});

test("deleted lines resolve without a model call; a thread a person joined stays open; a reopened thread stays open", async () => {
  const repo = "e2e-resolve-delete", number = 2;
  stack.llm.reset();
  stack.llm.setDefault(flag(RULES));
  const { base, h1 } = await openReviewed(repo, number);
  const threads = stack.github.reviewThreads(OWNER, repo, number);
  const rem = threads.find((t) => t.comments[0].body.includes("Remainder by zero"));
  // A person asks about the remainder finding: that thread is theirs now.
  stack.github.addReplyBy({ user: "octocat", owner: OWNER, repo, number, inReplyTo: rem.comments[0].databaseId, body: "Why is this a problem here?" });

  // Push 2 deletes both functions' bodies' cited lines.
  const h2 = sha(`${repo}-h2`);
  const v2 = v1.filter((l) => l !== "    a / b" && l !== "    a % b");
  stack.llm.setFixChecker(fixAnswers(() => ({ addressed: true, confidence: 99 })));
  const checksBefore = stack.llm.fixChecks().length;
  await push({ repo, number, base, prev: { sha: h1, lines: v1 }, head: h2, lines: v2, histories: 2 });
  assert.equal(stack.llm.fixChecks().length, checksBefore, "deleted lines need no model call");
  const after = stack.github.reviewThreads(OWNER, repo, number);
  const div = after.find((t) => t.comments[0].body.includes("Division by zero"));
  assert.equal(div.isResolved, true);
  assert.equal(after.find((t) => t.id === rem.id).isResolved, false, "never resolve a thread a person replied to");
  const replies = resolvedReplies(repo, number);
  assert.equal(replies.length, 1);
  assert.match(replies[0].body, /the cited lines were removed/);

  // A maintainer reopens it; the next push touching the file leaves it open.
  stack.github.state.resolvedThreads.delete(div.id);
  const h3 = sha(`${repo}-h3`);
  const v3 = [...v2, "// trailing note"];
  await push({ repo, number, base, prev: { sha: h2, lines: v2 }, head: h3, lines: v3, histories: 3 });
  assert.equal(stack.github.reviewThreads(OWNER, repo, number).find((t) => t.id === div.id).isResolved, false, "a reopened thread stays open");
  assert.equal(resolvedReplies(repo, number).length, 1);
});

test("a merged PR where one of three findings was fixed records 1/3 and its reactions, shows them, a writer's 👎 alone teaches a learning, and the next review's summary quotes the repository's rate", async () => {
  const repo = "e2e-acted", number = 3;
  const rules = [...RULES, ["as u8", "Truncating cast"]];
  const lines = [...v1, "", "pub fn small(x: i32) -> u8 {", "    x as u8", "}"];
  stack.llm.reset();
  stack.llm.setDefault(flag(rules));
  const base = sha(`${repo}-base`), h1 = sha(`${repo}-h1`), h2 = sha(`${repo}-h2`);
  stack.github.addPullRequest({ owner: OWNER, repo, number, diffText: newFileDiff(PATH, lines), headSha: h1, baseSha: base });
  stack.github.setContent({ owner: OWNER, repo, ref: h1, path: PATH, content: lines.join("\n") + "\n" });
  await sendEvent(stack, "pull_request", prEvent({ owner: OWNER, repo, number, head: h1, base }));
  await waitForHistory(stack, OWNER, repo, number, 1);
  assert.equal(stack.github.reviewThreads(OWNER, repo, number).length, 3);

  // One finding is fixed by the next push; the other two stay.
  const fixed = lines.map((l) => (l === "    a / b" ? "    a.checked_div(b).unwrap_or(0)" : l));
  stack.llm.setFixChecker(fixAnswers((c) => ({ addressed: /Division/.test(c.title), confidence: 95 })));
  await push({ repo, number, base, prev: { sha: h1, lines }, head: h2, lines: fixed, histories: 2 });

  // Reactions, which GitHub sends no event for: a writer's 👍 and 👎, and a 👎
  // from someone without write access (counted, but it teaches nothing).
  const root = (title) => stack.github.reviewThreads(OWNER, repo, number).find((t) => t.comments[0].body.includes(title)).comments[0].databaseId;
  stack.github.setPermission({ owner: OWNER, repo, login: "passerby", permission: "read" });
  const react = (user, title, content) => stack.github.addReactionBy({ user, owner: OWNER, repo, target: "review", commentId: root(title), content });
  react("octocat", "Remainder by zero", "+1");
  react("octocat", "Truncating cast", "-1");
  react("passerby", "Division by zero", "-1");

  const closed = JSON.parse(prEvent({ owner: OWNER, repo, number, head: h2, base, action: "closed" }));
  Object.assign(closed.pull_request, { state: "closed", merged: true });
  await sendEvent(stack, "pull_request", JSON.stringify(closed));
  const s = await eventually(async () => (await status(stack, OWNER, repo, number))?.acted_on ?? null, { timeoutMs: 20000, what: "the acted-on count" });
  assert.deepEqual(s, { merged: true, findings: 3, addressed: 1, liked: 1, disliked: 2 });
  const page = await (await stack.argus.fetch(`/status/${OWNER}/${repo}/${number}`, { headers: { authorization: `Bearer ${STATUS_TOKEN}`, accept: "text/html" } })).text();
  assert.match(page, /findings acted on<\/th><td>1 of 3 \(33 %\)/);
  assert.match(page, /reactions on findings<\/th><td>👍 on 1 · 👎 on 2 of 3 findings/);

  // The repository's next pull request: its summary quotes the rate, and the
  // finding the writer gave a 👎 is not posted again (the passer-by's is).
  const next = 4, n1 = sha(`${repo}-n1`);
  const nextLines = ["pub fn f(a: i32, b: i32) -> i32 {", "    a / b", "}", "pub fn g(x: i32) -> u8 {", "    x as u8", "}"];
  stack.github.addPullRequest({ owner: OWNER, repo, number: next, diffText: newFileDiff("src/other.rs", nextLines), headSha: n1, baseSha: base });
  await sendEvent(stack, "pull_request", prEvent({ owner: OWNER, repo, number: next, head: n1, base }));
  await waitForHistory(stack, OWNER, repo, next, 1);
  assert.match(summaryOf(repo, next), /This repository acts on 33 % of ArgusAI's findings \(1 of 3 on closed pull requests\)\./);
  assert.match(summaryOf(repo, next), /1 finding suppressed by learnings/);
  const titles = stack.github.reviewThreads(OWNER, repo, next).map((t) => t.comments[0].body);
  assert.equal(titles.length, 1, titles.join("\n"));
  assert.match(titles[0], /Division by zero/);
});

// End to end, in workerd against the fakes: verify before posting and stay
// quiet on clean code (issue 13). The fake model answers review requests and
// verification requests (schema `argus_verify`) apart: the verifier below marks
// one claim false, the summary counts it, and the finding is not posted; a
// failed verification keeps every finding; a docs-only PR gets no model call.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { finding, linesInPrompt, verdicts, claimsInPrompt } from "../fakes/llm.mjs";
import { startStack, sha, prEvent, sendEvent, waitForHistory } from "./fixtures.mjs";

const OWNER = "quality-e2e";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => stack?.close());

function addedFileDiff(path, lines) {
  return [`diff --git a/${path} b/${path}`, "new file mode 100644", "index 0000000..3333333", "--- /dev/null", `+++ b/${path}`, `@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`), ""].join("\n");
}

function modifiedDiff(path, oldLine, newLine) {
  return [`diff --git a/${path} b/${path}`, "index 1111111..2222222 100644", `--- a/${path}`, `+++ b/${path}`, "@@ -1,3 +1,3 @@", " # Guide", `-${oldLine}`, `+${newLine}`, " More text.", ""].join("\n");
}

const calc = ["pub fn div(a: i32, b: i32) -> i32 {", "    a / b", "}", "pub fn rem(a: i32, b: i32) -> i32 {", "    a % b", "}"];

/** The model flags `a / b` and `a % b`, one finding each. */
const reviewer = {
  reply: (req) => {
    const findings = [];
    for (const l of linesInPrompt(req.prompt).filter((l) => l.path)) {
      if (l.text.includes("a / b")) findings.push(finding(l.path, l.line, "b may be zero.", { title: "Division by zero", severity: "high" }));
      if (l.text.includes("a % b")) findings.push(finding(l.path, l.line, "b may be zero.", { title: "Remainder overflows", severity: "high" }));
    }
    return { findings, summary: "Arithmetic on unchecked input." };
  },
};

async function review(repo, number, pr) {
  const head = sha(`${repo}-head`), base = sha(`${repo}-base`);
  stack.github.addPullRequest({ owner: OWNER, repo, number, headSha: head, baseSha: base, ...pr });
  await sendEvent(stack, "pull_request", prEvent({ owner: OWNER, repo, number, head, base }));
  await waitForHistory(stack, OWNER, repo, number, 1);
  const summary = stack.github.state.issueComments.filter((c) => c.repo === `${OWNER}/${repo}` && c.number === number).at(-1)?.body ?? "";
  return { reviews: stack.github.submittedReviews(OWNER, repo, number), summary };
}

test("verification drops the finding the model marks false, keeps the other, and the summary says so", async () => {
  stack.llm.reset();
  stack.llm.setDefault(reviewer);
  stack.llm.setVerifier(verdicts((c) => (c.title === "Remainder overflows" ? { holds: false, confidence: 90 } : { holds: true, confidence: 85 })));
  const { reviews, summary } = await review("verified", 1, { diffText: addedFileDiff("src/calc.rs", calc) });

  assert.equal(stack.llm.reviews().length, 1);
  const checks = stack.llm.verifications();
  assert.equal(checks.length, 1, "one batched verification request");
  assert.equal(checks[0].responseFormat?.json_schema?.name, "argus_verify");
  assert.deepEqual(claimsInPrompt(checks[0].prompt).map((c) => c.title), ["Division by zero", "Remainder overflows"]);
  // Each claim carries the code it cites, numbered as in the review prompt.
  assert.match(checks[0].prompt, /^5\+    a % b$/m);

  assert.equal(reviews.length, 1);
  assert.deepEqual(reviews[0].comments.map((c) => [c.path, c.line]), [["src/calc.rs", 2]]);
  assert.match(reviews[0].comments[0].body, /Division by zero/);
  assert.match(summary, /1 finding removed by verification/);
  assert.match(summary, /2 findings verified in 1 request/);
  assert.match(summary, /· 2 requests ·/, "the verification request is counted with the review's");
});

test("a failed verification keeps every finding and says so", async () => {
  stack.llm.reset();
  stack.llm.setDefault(reviewer);
  stack.llm.setVerifier({ status: 400, errorCode: "invalid_request_error", message: "schema not supported" });
  const { reviews, summary } = await review("unverified", 2, { diffText: addedFileDiff("src/calc.rs", calc) });
  assert.equal(stack.llm.verifications().length, 1);
  assert.deepEqual(reviews[0].comments.map((c) => c.line), [2, 5]);
  assert.match(summary, /Verification did not complete/);
  assert.match(summary, /posted unverified/);
  assert.doesNotMatch(summary, /removed by verification/);
});

test("a docs-only PR gets no model call, no inline findings, and a summary that says why", async () => {
  stack.llm.reset();
  stack.llm.setDefault(reviewer);
  const diffText = [modifiedDiff("README.md", "Teh quick fox.", "The quick fox."), modifiedDiff("docs/setup.md", "Instal it.", "Install it.")].join("");
  const { reviews, summary } = await review("docs-only", 3, { diffText });
  assert.equal(stack.llm.requests.length, 0, "no model call");
  assert.ok(reviews.every((r) => r.comments.length === 0), "no inline findings");
  assert.match(summary, /Not sent to the model: every changed file is documentation \(2\)\./);
  assert.match(summary, /\| `README\.md` \| 2 \| skipped: not sent to the model: documentation \|/);
});

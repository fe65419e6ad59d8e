// What the conversation features add to a pull request's model bill, on a
// realistic sequence of 5 pushes: the built Worker in workerd (the e2e stack)
// against the fake GitHub and a scripted model. Prints, per push and in all,
// the model requests and prompt tokens by kind (review, verification, fix
// check, answer in a thread), the threads resolved, and the share of findings
// verification removed. Figures only; nothing asserts.
//
//   1 open       two source files with four problems the scripted model finds
//   2 fix        one problem fixed by changing its line (a fix check); then the
//                author asks "why?" in another finding's thread (an answer)
//   3 delete     a function with a problem deleted (resolved without a call)
//   4 new code   a new function with a new problem (and one the verifier doubts)
//   5 docs       a README change only (the risk rule: no model call)
//
// Run: `bash -c 'source scripts/lib.sh; node22 bench/push-sequence.mjs'` (after scripts/bundle).
import { linesInPrompt, finding, fixAnswers, verdicts } from "../tests/fakes/llm.mjs";
import { startStack, sha, prEvent, sendEvent, waitForHistory, reviewCommentEvent, eventually } from "../tests/e2e/fixtures.mjs";

const OWNER = "bench-org", REPO = "pushes", NUMBER = 1;
const newFile = (p, lines) => [`diff --git a/${p} b/${p}`, "new file mode 100644", "index 0000000..1111111", "--- /dev/null", `+++ b/${p}`, `@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`), ""].join("\n");
const rewrite = (p, a, b) => [`diff --git a/${p} b/${p}`, "index 1111111..2222222 100644", `--- a/${p}`, `+++ b/${p}`, `@@ -1,${a.length} +1,${b.length} @@`, ...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`), ""].join("\n");

const RULES = [
  ["a / b", "Division by zero"],
  ["a % b", "Remainder by zero"],
  ["unwrap()", "Panics on None"],
  ["as u8", "Truncating cast"],
  ["x * 1000", "Overflow on large input"],
];
const DOUBTED = "Truncating cast";

const calc1 = ["pub fn div(a: i32, b: i32) -> i32 {", "    a / b", "}", "", "pub fn rem(a: i32, b: i32) -> i32 {", "    a % b", "}", ""];
const io1 = ["pub fn first(v: &[u8]) -> u8 {", "    *v.first().unwrap()", "}", "", "pub fn small(x: i32) -> u8 {", "    x as u8", "}", ""];
const calc2 = calc1.map((l) => (l === "    a / b" ? "    a.checked_div(b).unwrap_or(0)" : l));
const calc3 = calc2.slice(0, 4);
const io4 = [...io1, "pub fn millis(x: i32) -> i32 {", "    x * 1000", "}", ""];
const readme = ["# Pushes", "", "A benchmark repository."];

const pushes = [
  { name: "open", files: { "src/calc.rs": calc1, "src/io.rs": io1 } },
  { name: "fix", files: { "src/calc.rs": calc2, "src/io.rs": io1 }, ask: ["Panics on None", "Why would this panic? The slice is never empty here."] },
  { name: "delete", files: { "src/calc.rs": calc3, "src/io.rs": io1 } },
  { name: "new code", files: { "src/calc.rs": calc3, "src/io.rs": io4 } },
  { name: "docs", files: { "src/calc.rs": calc3, "src/io.rs": io4, "README.md": readme } },
];

const stack = await startStack();
try {
  stack.llm.setDefault({
    reply: (req) => ({
      findings: linesInPrompt(req.prompt)
        .filter((l) => l.path)
        .flatMap((l) => RULES.filter(([n]) => l.text.includes(n)).map(([, title]) => finding(l.path, l.line, `${title}: check the input first.`, { title, severity: "high" }))),
      summary: "Scripted review.",
    }),
  });
  stack.llm.setVerifier(verdicts((c) => ({ holds: !c.title.includes(DOUBTED), confidence: 90 })));
  stack.llm.setFixChecker((rec) => fixAnswers(() => ({ addressed: /checked_div/.test(rec.prompt), confidence: 90 }))(rec));

  const base = sha("bench-push-base");
  let prev = null;
  const rows = [];
  for (const [i, p] of pushes.entries()) {
    const head = sha(`bench-push-${i}`);
    const diff = Object.entries(p.files).map(([f, l]) => newFile(f, l)).join("");
    for (const [f, l] of Object.entries(p.files)) stack.github.setContent({ owner: OWNER, repo: REPO, ref: head, path: f, content: l.join("\n") + "\n" });
    if (!prev) {
      stack.github.addPullRequest({ owner: OWNER, repo: REPO, number: NUMBER, diffText: diff, headSha: head, baseSha: base });
    } else {
      stack.github.setHead({ owner: OWNER, repo: REPO, number: NUMBER, headSha: head, diffText: diff });
      const changed = Object.entries(p.files)
        .filter(([f, l]) => (prev.files[f] ?? null)?.join("\n") !== l.join("\n"))
        .map(([f, l]) => (prev.files[f] ? rewrite(f, prev.files[f], l) : newFile(f, l)))
        .join("");
      stack.github.setCompare({ owner: OWNER, repo: REPO, base: prev.head, head, status: "ahead", diffText: changed });
    }
    const mark = stack.llm.requests.length;
    const resolvedBefore = stack.github.state.resolvedThreads.size;
    await sendEvent(stack, "pull_request", prEvent({ owner: OWNER, repo: REPO, number: NUMBER, head, base, action: prev ? "synchronize" : "opened" }));
    await waitForHistory(stack, OWNER, REPO, NUMBER, i + 1, 60000);
    if (p.ask) {
      // A writer asks in a finding's thread; ArgusAI answers there (one model call).
      const [title, question] = p.ask;
      stack.llm.script({ match: (r) => String(r.system ?? "").startsWith("You are ArgusAI, a code reviewer answering"), reply: "first() returns None for an empty slice and unwrap() then panics; if the slice can never be empty, say so with expect(\"non-empty\") instead." });
      const root = stack.github.reviewComments(OWNER, REPO, NUMBER).find((c) => c.in_reply_to_id == null && c.body.includes(title));
      const c = stack.github.addReplyBy({ user: "octocat", owner: OWNER, repo: REPO, number: NUMBER, inReplyTo: root.id, body: question });
      const event = reviewCommentEvent({ owner: OWNER, repo: REPO, number: NUMBER, commentId: c.id, inReplyTo: root.id, body: question, path: root.path, line: root.original_line });
      await sendEvent(stack, "pull_request_review_comment", event);
      await eventually(() => stack.github.reviewComments(OWNER, REPO, NUMBER).some((x) => x.in_reply_to_id === root.id && x.body.includes(`reply=${c.id}`)), { timeoutMs: 30000, what: "the answer" });
    }
    const reqs = stack.llm.requests.slice(mark);
    const isAnswer = (r) => String(r.system ?? "").startsWith("You are ArgusAI, a code reviewer answering");
    const by = (k) => reqs.filter((r) => (k === "answer" ? isAnswer(r) : r.kind === k && !isAnswer(r)));
    const summary = stack.github.state.issueComments.find((c) => c.repo === `${OWNER}/${REPO}` && c.number === NUMBER)?.body ?? "";
    const removed = Number(summary.match(/(\d+) findings? removed by verification/)?.[1] ?? 0);
    const inline = Number(summary.match(/(\d+) inline comments? below/)?.[1] ?? 0);
    rows.push({
      push: `${i + 1} ${p.name}`,
      review: by("review").length,
      verify: by("verify").length,
      fixcheck: by("fixcheck").length,
      answer: by("answer").length,
      tokensAnswer: by("answer").reduce((s, r) => s + r.promptTokens, 0),
      tokensReview: by("review").reduce((s, r) => s + r.promptTokens, 0),
      tokensVerify: by("verify").reduce((s, r) => s + r.promptTokens, 0),
      tokensFix: by("fixcheck").reduce((s, r) => s + r.promptTokens, 0),
      resolved: stack.github.state.resolvedThreads.size - resolvedBefore,
      inline,
      removed,
    });
    prev = { head, files: p.files };
  }
  console.log("push          review  verify  fix-check  answer  prompt tokens (review / verify / fix / answer)  resolved  inline  verified away");
  for (const r of rows) {
    console.log(
      `${r.push.padEnd(13)} ${String(r.review).padStart(6)}  ${String(r.verify).padStart(6)}  ${String(r.fixcheck).padStart(9)}  ${String(r.answer).padStart(6)}  ${`${r.tokensReview} / ${r.tokensVerify} / ${r.tokensFix} / ${r.tokensAnswer}`.padStart(46)}  ${String(r.resolved).padStart(8)}  ${String(r.inline).padStart(6)}  ${String(r.removed).padStart(13)}`,
    );
  }
  const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
  const calls = sum("review") + sum("verify") + sum("fixcheck") + sum("answer");
  const tokens = sum("tokensReview") + sum("tokensVerify") + sum("tokensFix") + sum("tokensAnswer");
  const pct = (k) => ((100 * sum(k)) / tokens).toFixed(1);
  console.log(
    `total: ${calls} model requests (${sum("review")} review, ${sum("verify")} verification, ${sum("fixcheck")} fix check, ${sum("answer")} answer); ` +
      `${tokens} prompt tokens, of which verification ${pct("tokensVerify")} %, fix checks ${pct("tokensFix")} %, answers ${pct("tokensAnswer")} %; ` +
      `${sum("resolved")} threads resolved; ${sum("removed")} of ${sum("removed") + sum("inline")} candidate findings verified away`,
  );
} finally {
  await stack.close();
}

// End to end, in workerd running the built wasm, against the fake LLM: each
// provider path (GitHub Models, OpenAI-compatible, Anthropic) with its route and
// auth header; a 429 on the primary model falls back to the next model and the
// summary says which model answered; a hung call hits the attempt deadline and
// is retried; a truncated stream keeps the complete findings received; a
// rejected key is a permanent failure naming the setting, never a failed check.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { steps, citeLines } from "../fakes/llm.mjs";
import { startStack, realDiff, sha, prEvent, sendEvent, waitForHistory } from "./fixtures.mjs";

const PRIMARY = "openai/gpt-4o-mini";
const FALLBACK = "openai/gpt-4.1-mini";
const MODELS_TOKEN = "e2e-models-token";
// One attempt may take this long before the LLM client gives up on it and retries
// (LLM_TIMEOUT_MS, crates/llm/src/config.rs), short so the hang test stays quick.
const ATTEMPT_TIMEOUT_MS = 1500;

/**
 * The suite's stack: the fake LLM's options, the LLM settings as a function of
 * the started fake LLM (its URL), and the secrets of the provider under test.
 */
const startLlmStack = ({ llmOptions = {}, llmVars = () => ({}), secrets = {} } = {}) =>
  startStack({
    llmOptions: { default: steps.citeLines({ max: 2 }), ...llmOptions },
    vars: ({ llm }) => llmVars(llm),
    secrets: { GITHUB_TOKEN: MODELS_TOKEN, ...secrets },
  });

/** Opens `owner/repo#number` from a real diff (one chunk on the default limits) and sends the webhook. */
async function openPr(s, { owner = "octo-org", repo, number = 1, diff = "axum-028c472c8459.diff" }) {
  const head = sha(`${owner}/${repo}#${number}-head`), base = sha(`${owner}/${repo}#${number}-base`);
  s.github.addPullRequest({ owner, repo, number, diffText: realDiff(diff), headSha: head, baseSha: base });
  const accepted = await sendEvent(s, "pull_request", prEvent({ owner, repo, number, head, base }));
  assert.equal(accepted.status, "accepted", JSON.stringify(accepted));
  return { owner, repo, number, head };
}

const summaryOf = (s, { owner, repo, number }) => s.github.state.issueComments.find((c) => c.repo === `${owner}/${repo}` && c.number === number)?.body;
const checksOf = (s, { owner, repo }) => s.github.state.checkRuns.filter((c) => c.repo === `${owner}/${repo}`);
/** The review requests made since `mark` (of one review, when tests run one at a time);
 * the verification request that follows a review with findings is left out (quality.test.mjs covers it). */
const since = (s, mark) => s.llm.requests.slice(mark).filter((r) => r.kind === "review");

// ---------- GitHub Models (the default provider) ----------

let stack;
before(async () => {
  stack = await startLlmStack({
    llmVars: () => ({ LLM_FALLBACK_MODELS: FALLBACK, LLM_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS), LLM_MAX_ATTEMPTS: "2" }),
  });
});
after(async () => stack?.close());

test("github-models (default): POST /inference/chat/completions with the GITHUB_TOKEN bearer → a review lands", async () => {
  const mark = stack.llm.requests.length;
  const pr = await openPr(stack, { repo: "llm-github-models" });
  const st = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  assert.equal(st.history.at(-1).outcome, "posted", JSON.stringify(st));
  // Every request, the verification request too, goes the same way.
  const reqs = stack.llm.requests.slice(mark);
  assert.ok(reqs.length >= 2);
  assert.ok(reqs.some((r) => r.kind === "verify"));
  for (const r of reqs) {
    assert.equal(r.route, "github-models");
    assert.equal(new URL(r.path, "http://x").pathname, "/inference/chat/completions");
    assert.equal(r.headers.authorization, `Bearer ${MODELS_TOKEN}`);
    assert.equal(r.model, PRIMARY);
    assert.ok(Number.isInteger(r.maxTokens) && r.maxTokens > 0, "max_tokens is always sent");
  }
  const reviews = stack.github.submittedReviews(pr.owner, pr.repo, pr.number);
  assert.equal(reviews.length, 1);
  assert.ok(reviews[0].comments.length >= 1);
});

test("429 on the primary model → the fallback model answers, and the summary names it", async () => {
  const mark = stack.llm.requests.length;
  stack.llm.setDefault((req) => (req.model === PRIMARY ? steps.rateLimited(1) : steps.citeLines({ max: 2 })));
  let pr;
  try {
    pr = await openPr(stack, { repo: "llm-fallback" });
    const st = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
    assert.equal(st.history.at(-1).outcome, "posted", JSON.stringify(st));
  } finally {
    stack.llm.setDefault(steps.citeLines({ max: 2 }));
  }
  const reqs = since(stack, mark);
  assert.deepEqual(reqs.map((r) => r.model), [PRIMARY, FALLBACK], "one 429, then straight to the fallback (no wasted retries on a rate-limited model)");
  const reviews = stack.github.submittedReviews(pr.owner, pr.repo, pr.number);
  assert.equal(reviews.length, 1);
  assert.ok(reviews[0].comments.length >= 1, "the fallback's findings are posted");
  const summary = summaryOf(stack, pr);
  // The summary's footer names the model that actually answered.
  assert.ok(summary.includes(FALLBACK), summary);
  assert.ok(!summary.includes(`<sub>${PRIMARY}`), "the footer does not claim the primary model answered");
});

test("a hung call hits the attempt deadline (LLM_TIMEOUT_MS) and is retried; the review lands", async () => {
  const mark = stack.llm.requests.length;
  stack.llm.script(steps.hang());
  const pr = await openPr(stack, { repo: "llm-hang" });
  const st = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
  assert.equal(st.history.at(-1).outcome, "posted", JSON.stringify(st));
  const reqs = since(stack, mark);
  assert.equal(reqs.length, 2, JSON.stringify(reqs.map((r) => r.step)));
  assert.equal(reqs[0].step.hang, true);
  const gap = reqs[1].at - reqs[0].at;
  assert.ok(gap >= ATTEMPT_TIMEOUT_MS, `retried after ${gap} ms, before the ${ATTEMPT_TIMEOUT_MS} ms attempt deadline`);
  assert.ok(gap < ATTEMPT_TIMEOUT_MS + 5000, `retried ${gap} ms later: the deadline did not hold`);
  assert.equal(reqs[1].model, PRIMARY, "a timeout is retried on the same model first");
  assert.equal(stack.github.submittedReviews(pr.owner, pr.repo, pr.number).length, 1);
});

test("a stream cut mid-reply keeps the complete findings received, and posts them", async () => {
  const mark = stack.llm.requests.length;
  const PIECES = 4, RECEIVED = 3;
  let expected = null;
  stack.llm.setDefault({
    pieces: PIECES,
    truncateAfter: RECEIVED,
    reply: (req) => {
      const reply = citeLines({ max: 4 })(req);
      // What the Worker receives: the fake splits the text into PIECES and stops after RECEIVED.
      const text = JSON.stringify(reply);
      const chars = Array.from(text);
      const size = Math.ceil(chars.length / PIECES);
      const received = chars.slice(0, size * RECEIVED).join("");
      expected = reply.findings.filter((f) => received.includes(JSON.stringify(f)));
      return text;
    },
  });
  let pr;
  try {
    pr = await openPr(stack, { repo: "llm-truncated" });
    const st = await waitForHistory(stack, pr.owner, pr.repo, pr.number, 1);
    assert.equal(st.history.at(-1).outcome, "posted", JSON.stringify(st));
  } finally {
    stack.llm.setDefault(steps.citeLines({ max: 2 }));
  }
  const reqs = since(stack, mark);
  assert.equal(reqs.length, 1, "a cut stream is a reply, not an error to retry");
  assert.ok(reqs[0].stream, "the Worker asked for SSE");
  assert.ok(expected.length >= 1 && expected.length < 4, `the cut falls inside the findings: ${expected.length}`);
  const reviews = stack.github.submittedReviews(pr.owner, pr.repo, pr.number);
  assert.equal(reviews.length, 1);
  assert.deepEqual(
    reviews[0].comments.map((c) => [c.path, c.line]).sort(),
    expected.map((f) => [f.path, f.end_line]).sort(),
    "exactly the findings that arrived whole are posted",
  );
});

// ---------- OpenAI-compatible ----------

describe("openai-compatible provider", () => {
  const key = "sk-e2e-openai-key";
  let s;
  before(async () => {
    s = await startLlmStack({
      llmOptions: { apiKey: key },
      llmVars: (llm) => ({ LLM_PROVIDER: "openai", LLM_BASE_URL: `${llm.url}/v1`, LLM_MODEL: "gpt-4o-mini" }),
      secrets: { LLM_API_KEY: key },
    });
  });
  after(async () => s?.close());

  test("openai: POST {LLM_BASE_URL}/chat/completions with the LLM_API_KEY bearer → a review lands", async () => {
    const pr = await openPr(s, { repo: "llm-openai" });
    const st = await waitForHistory(s, pr.owner, pr.repo, pr.number, 1);
    assert.equal(st.history.at(-1).outcome, "posted", JSON.stringify(st));
    assert.ok(s.llm.requests.length >= 1);
    for (const r of s.llm.requests) {
      assert.equal(r.route, "openai");
      assert.equal(new URL(r.path, "http://x").pathname, "/v1/chat/completions");
      assert.equal(r.headers.authorization, `Bearer ${key}`);
      assert.equal(r.model, "gpt-4o-mini");
    }
    assert.equal(s.github.submittedReviews(pr.owner, pr.repo, pr.number).length, 1);
  });

  test("a rejected key (401) fails the job permanently with a reason naming LLM_API_KEY, on the status page; no retry, no review", async () => {
    const mark = s.llm.requests.length;
    s.llm.script(steps.badKey());
    const bad = await openPr(s, { repo: "llm-bad-key" });
    const failed = await waitForHistory(s, bad.owner, bad.repo, bad.number, 1);
    const entry = failed.history.at(-1);
    assert.equal(entry.outcome, "failed", JSON.stringify(failed));
    assert.equal(failed.state, "failed");
    assert.match(failed.last_error ?? "", /LLM_API_KEY/, JSON.stringify(failed));
    assert.match(entry.note ?? "", /LLM_API_KEY/);
    assert.ok(!JSON.stringify(failed).includes(key), "the status page never shows the key");
    assert.equal(since(s, mark).length, 1, "a rejected key is not retried");
    assert.equal(failed.attempts, 1, "nor is the job");
    assert.equal(s.github.submittedReviews(bad.owner, bad.repo, bad.number).length, 0);
    // Issue 5: ArgusAI's own failure ends in one completed `neutral` check run saying
    // why — never `failure`, which would block a merge.
    const checks = checksOf(s, bad);
    assert.equal(checks.length, 1, JSON.stringify(checks));
    assert.deepEqual([checks[0].status, checks[0].conclusion], ["completed", "neutral"]);
    assert.match(JSON.stringify(checks[0].output ?? {}), /LLM_API_KEY/);
  });
});

// ---------- Anthropic ----------

test("anthropic: POST {LLM_BASE_URL}/v1/messages with x-api-key and anthropic-version → a review lands", async () => {
  const key = "sk-ant-e2e-key";
  const s = await startLlmStack({
    llmOptions: { apiKey: key },
    llmVars: () => ({ LLM_PROVIDER: "anthropic" }),
    secrets: { LLM_API_KEY: key },
  });
  try {
    const pr = await openPr(s, { repo: "llm-anthropic" });
    const st = await waitForHistory(s, pr.owner, pr.repo, pr.number, 1);
    assert.equal(st.history.at(-1).outcome, "posted", JSON.stringify(st));
    assert.ok(s.llm.requests.length >= 1);
    for (const r of s.llm.requests) {
      assert.equal(r.route, "anthropic");
      assert.equal(new URL(r.path, "http://x").pathname, "/v1/messages");
      assert.equal(r.headers["x-api-key"], key);
      assert.ok(r.headers["anthropic-version"], "anthropic-version header");
      assert.equal(r.headers.authorization, undefined, "no bearer header on Anthropic");
      assert.ok(Number.isInteger(r.body.max_tokens), "max_tokens is always sent");
      assert.ok(r.system.length > 0, "the system prompt travels in `system`");
    }
    const reviews = s.github.submittedReviews(pr.owner, pr.repo, pr.number);
    assert.equal(reviews.length, 1);
    assert.ok(reviews[0].comments.length >= 1, "the Anthropic-shaped reply's findings are posted");
  } finally {
    await s.close();
  }
});


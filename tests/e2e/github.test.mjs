// End to end, in workerd running the built wasm, against the fake GitHub: the
// GitHub App side of a review (issue 5). Installation tokens are minted with a
// JWT the Worker signs through WebCrypto, cached and refreshed; anchors GitHub
// refuses are bisected out and listed in the summary; a secondary rate limit
// delays the retry by the advertised time; a crash after the review POST never
// double-posts; a GitHub Enterprise Server API prefix works.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { steps, linesInPrompt, finding, citeWrongLines } from "../fakes/llm.mjs";
import { startStack, INSTALLATION, realDiff, sha, prEvent, sendEvent, waitForHistory } from "./fixtures.mjs";

// Installation tokens live this long on the fake. Seven minutes is more than
// the Worker's five-minute refresh margin (crates/github auth.rs
// TOKEN_REFRESH_MARGIN_SECS), so a token is reused; advancing the fake's clock
// past it expires the token while the Worker's next App JWT (9 minutes, signed
// on the real clock) stays valid on the fake.
const TOKEN_TTL_SEC = 420;

/** The suite's stack: a short token lifetime so a test can outlive one. */
const startGitHubStack = ({ githubOptions = {}, vars = {} } = {}) =>
  startStack({ githubOptions: { tokenTtlSec: TOKEN_TTL_SEC, ...githubOptions }, llmOptions: { default: steps.citeLines({ max: 2 }) }, vars });

let stack;
before(async () => {
  stack = await startGitHubStack();
});
after(async () => stack?.close());

/** Opens `owner/repo#number` on the fake from a real diff and sends the webhook. */
async function openPr(s, { owner, repo, number, diff = "axum-028c472c8459.diff" }) {
  const head = sha(`${owner}/${repo}#${number}-head`), base = sha(`${owner}/${repo}#${number}-base`);
  s.github.addPullRequest({ owner, repo, number, diffText: realDiff(diff), headSha: head, baseSha: base });
  const accepted = await sendEvent(s, "pull_request", prEvent({ owner, repo, number, head, base }));
  assert.equal(accepted.status, "accepted", JSON.stringify(accepted));
  return { head, base };
}

const tokenMints = (s) => s.github.state.requests.filter((r) => r.method === "POST" && /\/app\/installations\/\d+\/access_tokens$/.test(r.path));
const summariesOn = (s, owner, repo, number) => s.github.state.issueComments.filter((c) => c.repo === `${owner}/${repo}` && c.number === number);
const lastOutcome = (st) => st.history.at(-1).outcome;

test("installation token: minted with the Worker's App JWT, reused by the next PR, refreshed once expired", async () => {
  const owner = "octo-org", repo = "gh-tokens";
  const before = tokenMints(stack).length;

  await openPr(stack, { owner, repo, number: 1 });
  const s1 = await waitForHistory(stack, owner, repo, 1, 1);
  assert.equal(lastOutcome(s1), "posted", JSON.stringify(s1));
  const first = tokenMints(stack).slice(before);
  // The fake answers 201 only after verifying the RS256 signature with the test
  // app's public key and the iss/iat/exp claims (tests/fakes/github.mjs verifyAppJwt).
  assert.deepEqual(first.map((r) => [r.path, r.status]), [[`/app/installations/${INSTALLATION}/access_tokens`, 201]]);
  assert.equal(stack.github.submittedReviews(owner, repo, 1).length, 1);

  // Another PR of the same installation: the token comes from the KV cache.
  await openPr(stack, { owner, repo, number: 2 });
  const s2 = await waitForHistory(stack, owner, repo, 2, 1);
  assert.equal(lastOutcome(s2), "posted", JSON.stringify(s2));
  assert.equal(tokenMints(stack).length - before, 1, "the second review reuses the cached installation token");
  assert.equal(stack.github.submittedReviews(owner, repo, 2).length, 1);
  assert.equal(stack.github.state.requests.filter((r) => r.status === 401).length, 0, "no request was refused so far");

  // The token expires on GitHub's side: the Worker's cached copy is refused (401),
  // dropped, and a fresh one minted; the review still lands.
  const mark = stack.github.state.requests.length;
  stack.github.advanceTime((TOKEN_TTL_SEC + 10) * 1000);
  await openPr(stack, { owner, repo, number: 3 });
  const s3 = await waitForHistory(stack, owner, repo, 3, 1);
  assert.equal(lastOutcome(s3), "posted", JSON.stringify(s3));
  const after = stack.github.state.requests.slice(mark);
  assert.equal(after.filter((r) => r.status === 401).length, 1, `one refusal of the expired token: ${JSON.stringify(after.filter((r) => r.status === 401))}`);
  assert.equal(tokenMints(stack).length - before, 2, "exactly one refresh");
  assert.equal(tokenMints(stack).at(-1).status, 201);
  assert.equal(stack.github.submittedReviews(owner, repo, 3).length, 1);
});

test("bad anchors: wrong lines never reach GitHub inline, anchors GitHub refuses are bisected out, the rest lands", async () => {
  const owner = "octo-org", repo = "gh-anchors", number = 1;
  const key = `${owner}/${repo}#${number}`;
  // Two Rust files; the model cites up to two added lines in each, plus lines that are
  // not in the diff at all (citeWrongLines: past the end, 0 and negative).
  const diff = "ripgrep-507801c1f2ef.diff";
  let victim = null;
  let cited = [];
  let wrongLines = [];
  stack.llm.setDefault({
    reply: (req) => {
      const found = linesInPrompt(req.prompt).filter((f) => f.path && f.text.startsWith("+"));
      const paths = [...new Set(found.map((f) => f.path))];
      const valid = paths.flatMap((p) => found.filter((f) => f.path === p).slice(0, 2));
      // GitHub's diff for one file turns out different from the one ArgusAI listed
      // (as after a force-push race): its comments get GitHub's 422 and must be
      // found by bisection, not by posting one comment per request.
      if (paths.length >= 2 && !victim) {
        victim = paths.at(-1);
        const pr = stack.github.state.pulls.get(key);
        pr.files = pr.files.filter((f) => f.filename !== victim);
      }
      cited.push(...valid);
      const wrong = citeWrongLines()(req).findings;
      wrongLines = wrong.map((f) => f.end_line);
      return { findings: [...valid.map((f) => finding(f.path, f.line, `Check line ${f.line} of ${f.path}.`)), ...wrong] };
    },
  });
  try {
    await openPr(stack, { owner, repo, number, diff });
    const st = await waitForHistory(stack, owner, repo, number, 1);
    assert.equal(lastOutcome(st), "posted", JSON.stringify(st));
  } finally {
    stack.llm.setDefault(steps.citeLines({ max: 2 }));
  }
  assert.ok(victim, "the prompt showed both files");

  const reviews = stack.github.submittedReviews(owner, repo, number);
  assert.equal(reviews.length, 1, "the review lands once");
  const inline = reviews[0].comments;
  const kept = cited.filter((f) => f.path !== victim);
  const refusedByGitHub = cited.filter((f) => f.path === victim);
  assert.ok(kept.length >= 1 && refusedByGitHub.length >= 1, JSON.stringify(cited));
  assert.deepEqual(
    inline.map((c) => [c.path, c.line]).sort(),
    kept.map((f) => [f.path, f.line]).sort(),
    "exactly the comments GitHub accepts are inline",
  );

  const posts = stack.github.state.requests.filter((r) => r.method === "POST" && r.path.includes(`/repos/${owner}/${repo}/pulls/${number}/reviews`));
  const refused = posts.filter((r) => r.status === 422).length;
  // The full batch is refused once, then pending probes, then the final post. The
  // probes bisect: at most 2·b·⌈log2 n⌉ for b refused comments among n (the bound
  // crates/github's native tests pin), and every accepted probe is deleted again.
  const n = cited.length, b = refusedByGitHub.length;
  const probes = posts.slice(1, -1);
  assert.equal(posts[0].status, 422, JSON.stringify(posts));
  assert.equal(posts.at(-1).status, 200, "the final post lands");
  assert.ok(probes.length >= 1 && probes.length <= 2 * b * Math.ceil(Math.log2(n)), `${probes.length} probes for ${b} bad of ${n}: ${JSON.stringify(posts)}`);
  assert.equal(refused, 1 + probes.filter((p) => p.status === 422).length);
  const deletes = stack.github.state.requests.filter((r) => r.method === "DELETE" && r.path.includes(`/repos/${owner}/${repo}/pulls/${number}/reviews/`));
  assert.equal(deletes.length, probes.filter((p) => p.status === 200).length, "every accepted probe is deleted");
  assert.equal(stack.github.state.reviews.filter((r) => r.repo === `${owner}/${repo}` && r.state === "PENDING").length, 0, "no probe is left pending");

  const [summary] = summariesOn(stack, owner, repo, number);
  assert.ok(summary, "a summary comment exists");
  assert.ok(summary.body.includes(`${refusedByGitHub.length} comment(s) GitHub could not place on the diff`), summary.body);
  assert.ok(summary.body.includes(victim), "the refused comments are listed with their file");
  // Lines the model made up: past the end of the diff → listed as not inline (in the
  // summary and the review body, never as an anchor); 0 and negative → discarded by
  // the reply parser, and counted in the summary's footer.
  const [pastEnd, zero, negative] = wrongLines;
  assert.ok(pastEnd > 1000 && zero === 0 && negative < 0, JSON.stringify(wrongLines));
  assert.ok(summary.body.includes(`line ${pastEnd} is not part of the diff`), summary.body);
  assert.ok(reviews[0].body.includes(`line ${pastEnd}`), reviews[0].body);
  assert.match(summary.body, /2 malformed findings discarded/);
  assert.ok(!inline.some((c) => [pastEnd, zero, negative].includes(c.line)));
});

test("secondary rate limit on the review POST: the job is retried after the advertised delay, the review lands once", async () => {
  const owner = "octo-org", repo = "gh-secondary", number = 1;
  const retryAfterSec = 3;
  stack.github.injectSecondaryRateLimit({ method: "POST", path: `/repos/${owner}/${repo}/pulls/${number}/reviews`, retryAfterSec });
  await openPr(stack, { owner, repo, number });
  const st = await waitForHistory(stack, owner, repo, number, 1, 40000);
  assert.equal(lastOutcome(st), "posted", JSON.stringify(st));

  const posts = stack.github.state.requests.filter((r) => r.method === "POST" && r.path === `/repos/${owner}/${repo}/pulls/${number}/reviews`);
  assert.deepEqual(posts.map((r) => r.status), [403, 200], JSON.stringify(posts));
  const waited = posts[1].at - posts[0].at;
  assert.ok(waited >= retryAfterSec * 1000, `retried ${waited} ms after the 403, before the advertised ${retryAfterSec} s`);
  assert.equal(stack.github.submittedReviews(owner, repo, number).length, 1);
  assert.equal(summariesOn(stack, owner, repo, number).length, 1);
  // The first attempt's check run was closed neutral, not left spinning or failed.
  const checks = stack.github.state.checkRuns.filter((c) => c.repo === `${owner}/${repo}`);
  assert.ok(checks.every((c) => c.status === "completed" && c.conclusion !== "failure"), JSON.stringify(checks.map((c) => [c.status, c.conclusion])));
  assert.equal(checks.at(-1).conclusion, "success");
});

test("crash after the review POST (summary comment fails twice): the retries never post a second review", async () => {
  const owner = "octo-org", repo = "gh-crash", number = 1;
  stack.github.inject({ method: "POST", path: `/repos/${owner}/${repo}/issues/${number}/comments`, status: 500, times: 2 });
  await openPr(stack, { owner, repo, number });
  const st = await waitForHistory(stack, owner, repo, number, 1, 40000);
  assert.equal(lastOutcome(st), "posted", JSON.stringify(st));

  const commentPosts = stack.github.state.requests.filter((r) => r.method === "POST" && r.path === `/repos/${owner}/${repo}/issues/${number}/comments`);
  assert.deepEqual(commentPosts.map((r) => r.status), [500, 500, 201], "the job was retried twice after its review was posted");
  const reviewPosts = stack.github.state.requests.filter((r) => r.method === "POST" && r.path === `/repos/${owner}/${repo}/pulls/${number}/reviews`);
  assert.deepEqual(reviewPosts.map((r) => r.status), [200], "the retries saw the head's marker and did not POST again");
  assert.equal(stack.github.submittedReviews(owner, repo, number).length, 1);
  assert.equal(summariesOn(stack, owner, repo, number).length, 1);
  const checks = stack.github.state.checkRuns.filter((c) => c.repo === `${owner}/${repo}`);
  assert.equal(checks.at(-1).conclusion, "success");
  assert.ok(checks.every((c) => c.conclusion !== "failure"));
  // The redelivered job reproduces its own review in the summary instead of calling
  // its findings "already reported" (the review it posted carries the same head).
  const posted = stack.github.submittedReviews(owner, repo, number)[0];
  assert.ok(posted.comments.length >= 1);
  assert.equal(st.history.at(-1).findings, posted.comments.length, JSON.stringify(st.history));
  const summary = summariesOn(stack, owner, repo, number)[0].body;
  assert.ok(!summary.includes("already reported earlier"), summary);
  assert.ok(summary.includes(`${posted.comments.length} inline comment`), summary);
});

test("GitHub Enterprise Server: GITHUB_API_URL with the /api/v3 prefix", async () => {
  const ghes = await startGitHubStack({ githubOptions: { apiPrefix: "/api/v3" } });
  try {
    assert.ok(ghes.github.url.endsWith("/api/v3"));
    const owner = "enterprise", repo = "gh-ghes", number = 7;
    await openPr(ghes, { owner, repo, number });
    const st = await waitForHistory(ghes, owner, repo, number, 1);
    assert.equal(lastOutcome(st), "posted", JSON.stringify(st));
    assert.equal(ghes.github.submittedReviews(owner, repo, number).length, 1);
    const reqs = ghes.github.state.requests;
    assert.ok(reqs.length > 5);
    // REST lives under /api/v3; GHES serves GraphQL at /api/graphql (GitHub's
    // "Forming calls with GraphQL" for Enterprise Server), and nowhere else.
    assert.deepEqual(
      reqs.filter((r) => !r.path.startsWith("/api/v3/") && r.path !== "/api/graphql"),
      [],
      "every REST request carries the prefix",
    );
    assert.ok(reqs.some((r) => r.path === "/api/graphql"), "the batched file read used GraphQL at /api/graphql");
    // Only the optional configuration files are missing (404); nothing else failed.
    const failed = reqs.filter((r) => r.status >= 400 && !(r.status === 404 && r.path.includes("/contents/")));
    assert.deepEqual(failed, []);
  } finally {
    await ghes.close();
  }
});


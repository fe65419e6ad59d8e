// Tests of the fake GitHub itself: if it is not faithful, every e2e test that
// leans on it proves nothing. Run: `npx node --test tests/fakes/github.test.mjs`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeGitHub, splitUnifiedDiff, patchLines, checkComment, gitBlobSha, textsFromPatch, contradiction, TEST_PRIVATE_KEY_PATH } from "./github.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CORPORA = path.resolve(HERE, "../../../shared/corpora");
const diff = (name) => readFileSync(path.join(CORPORA, "diffs", name), "utf8");
const PRIVATE_KEY = readFileSync(TEST_PRIVATE_KEY_PATH, "utf8");
const APP_ID = 4242;
const HEAD = "1".repeat(40);
const BASE = "2".repeat(40);

function jwt(claims, key = PRIVATE_KEY) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${enc({ alg: "RS256", typ: "JWT" })}.${enc(claims)}`;
  const sig = createSign("RSA-SHA256").update(input).sign(key).toString("base64url");
  return `${input}.${sig}`;
}
const nowSec = () => Math.floor(Date.now() / 1000);
const goodJwt = () => jwt({ iat: nowSec() - 60, exp: nowSec() + 540, iss: String(APP_ID) });

const HEADERS = { "user-agent": "ArgusAI", accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" };

let fake;
let token;
async function call(method, p, { body, auth = `Bearer ${token}`, headers = {} } = {}) {
  const res = await fetch(`${fake.url}${p}`, {
    method,
    headers: { ...HEADERS, ...(auth ? { authorization: auth } : {}), ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
async function mintToken() {
  const r = await call("POST", "/app/installations/77/access_tokens", { auth: `Bearer ${goodJwt()}` });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.token;
}

before(async () => {
  fake = await startFakeGitHub({ appId: APP_ID });
  // The real ripgrep commit: 4 text files and a binary one.
  fake.addPullRequest({
    owner: "octo", repo: "hello", number: 7, headSha: HEAD, baseSha: BASE,
    diffPath: path.join(CORPORA, "diffs/real/ripgrep-0b04553affdb.diff"),
    baseFiles: { ".github/argusai.toml": "max_comments = 5\n" },
    headFiles: { ".github/argusai.toml": "max_comments = 999\n" },
  });
  token = await mintToken();
});
after(() => fake.close());

test("App JWT is verified: signature, iss, iat/exp window", async () => {
  const other = readFileSync(path.join(HERE, "../fixtures/test-app-key.pkcs8.pem"), "utf8"); // same key, PKCS#8: still valid
  const cases = [
    ["good", goodJwt(), 201],
    ["good, PKCS#8-signed", jwt({ iat: nowSec() - 60, exp: nowSec() + 540, iss: String(APP_ID) }, other), 201],
    ["no token", null, 401],
    ["not a JWT", "Bearer abc", 401],
    ["tampered claims", goodJwt().replace(/\.([^.]+)\./, (_, c) => `.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(c, "base64url")), iss: "1" })).toString("base64url")}.`), 401],
    ["wrong iss", jwt({ iat: nowSec() - 60, exp: nowSec() + 540, iss: "999" }), 401],
    ["expired", jwt({ iat: nowSec() - 700, exp: nowSec() - 100, iss: String(APP_ID) }), 401],
    ["exp more than 10 min", jwt({ iat: nowSec() - 60, exp: nowSec() + 900, iss: String(APP_ID) }), 401],
    ["iat in the future", jwt({ iat: nowSec() + 120, exp: nowSec() + 500, iss: String(APP_ID) }), 401],
    ["installation token on /app", `Bearer ${token}`, 401],
  ];
  for (const [name, cred, want] of cases) {
    const auth = cred === null ? null : cred.startsWith("Bearer ") ? cred : `Bearer ${cred}`;
    const r = await call("POST", "/app/installations/77/access_tokens", { auth });
    assert.equal(r.status, want, `${name}: ${JSON.stringify(r.body)}`);
    if (want === 401) assert.equal(r.body.documentation_url, "https://docs.github.com/rest", name);
    else assert.match(r.body.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, name);
  }
});

test("installation tokens are required on repo routes and expire", async () => {
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7")).status, 200);
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7", { auth: null })).status, 401);
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7", { auth: `Bearer ${goodJwt()}` })).status, 401, "a JWT is not a token");
  const short = await mintToken();
  fake.advanceTime(3601 * 1000);
  try {
    const r = await call("GET", "/repos/octo/hello/pulls/7", { auth: `Bearer ${short}` });
    assert.deepEqual([r.status, r.body.message], [401, "Bad credentials"]);
  } finally {
    fake.advanceTime(-3601 * 1000);
  }
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7", { headers: { "user-agent": "" } })).status, 403, "User-Agent required");
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7", { headers: { "x-github-api-version": "1999-01-01" } })).status, 400);
});

test("PR and files come from the real diff, GitHub-shaped and paginated", async () => {
  const pr = await call("GET", "/repos/octo/hello/pulls/7");
  assert.deepEqual([pr.body.head.sha, pr.body.base.sha, pr.body.draft, pr.body.state, pr.body.user.login], [HEAD, BASE, false, "open", "octocat"]);

  const pages = [];
  let next = "/repos/octo/hello/pulls/7/files?per_page=2";
  while (next) {
    const r = await call("GET", next);
    pages.push(r.body);
    const m = /<([^>]+)>; rel="next"/.exec(r.headers.get("link") ?? "");
    next = m ? m[1].replace(fake.url, "") : null;
  }
  assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
  const files = pages.flat();
  assert.deepEqual(files.map((f) => [f.filename, f.status, f.patch !== undefined]), [
    ["grep-cli/src/decompress.rs", "modified", true],
    ["src/app.rs", "modified", true],
    ["tests/data/sherlock.br", "added", true],
    ["tests/data/sherlock.zst", "added", false],
    ["tests/misc.rs", "modified", true],
  ]);
  const misc = files[4];
  assert.ok(misc.patch.startsWith("@@ -909,6 +909,36 @@"), "patch is hunks only, no headers");
  assert.ok(!misc.patch.includes("diff --git") && !misc.patch.endsWith("\n"));
  assert.equal(misc.additions, 30);
  // per_page is capped at 100.
  const big = await call("GET", "/repos/octo/hello/pulls/7/files?per_page=500");
  assert.equal(big.body.length, 5);
  assert.equal(big.headers.get("link"), null);
});

test("renames carry previous_filename", () => {
  const files = splitUnifiedDiff(diff("real/ripgrep-e3da7268362e.diff"));
  const renamed = files.find((f) => f.status === "renamed");
  assert.deepEqual([renamed.previous_filename, renamed.filename], ["src/search.rs", "src/search_stream.rs"]);
});

test("the edge corpus splits without crashing and binary files get no patch", async () => {
  const { readdirSync } = await import("node:fs");
  const dir = path.join(CORPORA, "diffs/edge/git-generated");
  let binaries = 0;
  for (const name of readdirSync(dir)) {
    const files = splitUnifiedDiff(readFileSync(path.join(dir, name), "utf8"));
    for (const f of files) {
      assert.ok(f.filename && !f.filename.startsWith("b/"), `${name}: ${f.filename}`);
      if (f.patch === undefined) binaries++;
      else assert.match(f.patch, /^@@ /, name);
    }
  }
  assert.ok(binaries >= 1, "the corpus has a binary file (and mode-only/empty files without hunks)");
});

test("anchor rules: lines per side, ranges within one hunk, start before end", () => {
  const patch = "@@ -10,4 +10,5 @@ fn a()\n ctx10\n-old11\n+new11\n+new12\n ctx13\n@@ -40,2 +41,2 @@\n-old40\n+new41\n ctx42";
  const hunks = patchLines(patch);
  assert.deepEqual([...hunks[0].RIGHT].sort(), [10, 11, 12, 13]);
  assert.deepEqual([...hunks[0].LEFT].sort(), [10, 11, 12]);
  const files = [{ filename: "a.rs", patch }, { filename: "bin.png" }];
  const cases = [
    [{ path: "a.rs", line: 11, side: "RIGHT" }, null],
    [{ path: "a.rs", line: 11 }, null],
    [{ path: "a.rs", line: 11, side: "LEFT" }, null],
    [{ path: "a.rs", line: 13, side: "LEFT" }, "Line could not be resolved"],
    [{ path: "a.rs", line: 20, side: "RIGHT" }, "Line could not be resolved"],
    [{ path: "a.rs", line: 41, side: "RIGHT" }, null],
    [{ path: "a.rs", start_line: 10, line: 13, side: "RIGHT" }, null],
    [{ path: "a.rs", start_line: 11, start_side: "LEFT", line: 12, side: "RIGHT" }, null],
    [{ path: "a.rs", start_line: 12, line: 41, side: "RIGHT" }, "Pull request review thread start line must be part of the same hunk as the line."],
    [{ path: "a.rs", start_line: 12, line: 12, side: "RIGHT" }, "Pull request review thread start line must precede the end line."],
    [{ path: "a.rs", start_line: 13, line: 11, side: "RIGHT" }, "Pull request review thread start line must precede the end line."],
    [{ path: "bin.png", line: 1 }, "Path could not be resolved"],
    [{ path: "nope.rs", line: 1 }, "Path could not be resolved"],
  ];
  for (const [c, want] of cases) assert.equal(checkComment(files, c), want, JSON.stringify(c));
});

test("one bad comment rejects the whole review with GitHub's 422 body; nothing is stored", async () => {
  const before = fake.state.reviews.length;
  const r = await call("POST", "/repos/octo/hello/pulls/7/reviews", {
    body: { commit_id: HEAD, event: "COMMENT", body: "x", comments: [
      { path: "tests/misc.rs", line: 915, side: "RIGHT", body: "fine" },
      { path: "tests/misc.rs", line: 5000, side: "RIGHT", body: "bad" },
    ] },
  });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body, {
    message: "Unprocessable Entity",
    errors: ["Line could not be resolved"],
    documentation_url: "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
    status: "422",
  });
  assert.equal(fake.state.reviews.length, before);
});

test("a good review is recorded; pending reviews are single, deletable and invisible", async () => {
  const pending = await call("POST", "/repos/octo/hello/pulls/7/reviews", { body: { commit_id: HEAD, body: "probe", comments: [{ path: "src/app.rs", line: 2024, body: "p" }] } });
  assert.deepEqual([pending.status, pending.body.state], [200, "PENDING"]);
  const second = await call("POST", "/repos/octo/hello/pulls/7/reviews", { body: { commit_id: HEAD, body: "probe 2", comments: [] } });
  assert.deepEqual([second.status, second.body.errors], [422, ["User can only have one pending review per pull request"]]);
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7/comments")).body.length, 0, "pending comments are not listed");
  assert.equal((await call("DELETE", `/repos/octo/hello/pulls/7/reviews/${pending.body.id}`)).status, 200);

  const ok = await call("POST", "/repos/octo/hello/pulls/7/reviews", {
    body: { commit_id: HEAD, event: "COMMENT", body: "review <!-- argusai:review head=1 -->", comments: [
      { path: "tests/misc.rs", start_line: 912, start_side: "RIGHT", line: 920, side: "RIGHT", body: "range" },
      { path: "grep-cli/src/decompress.rs", line: 370, side: "LEFT", body: "old side" },
    ] },
  });
  assert.deepEqual([ok.status, ok.body.state], [200, "COMMENTED"]);
  assert.equal((await call("DELETE", `/repos/octo/hello/pulls/7/reviews/${ok.body.id}`)).status, 422, "a submitted review cannot be deleted");
  const listed = await call("GET", "/repos/octo/hello/pulls/7/comments");
  assert.deepEqual(listed.body.map((c) => [c.path, c.start_line, c.line, c.side]), [["tests/misc.rs", 912, 920, "RIGHT"], ["grep-cli/src/decompress.rs", null, 370, "LEFT"]]);
  assert.equal(fake.submittedReviews("octo", "hello", 7).length, 1);
  const reviews = await call("GET", "/repos/octo/hello/pulls/7/reviews");
  assert.ok(reviews.body.some((r) => r.body.includes("argusai:review")));
  const stale = await call("POST", "/repos/octo/hello/pulls/7/reviews", { body: { commit_id: "9".repeat(40), event: "COMMENT", body: "x" } });
  assert.equal(stale.status, 422);
});

test("contents per ref and compare", async () => {
  const base = await call("GET", `/repos/octo/hello/contents/.github/argusai.toml?ref=${BASE}`);
  assert.equal(Buffer.from(base.body.content, "base64").toString(), "max_comments = 5\n");
  const head = await call("GET", "/repos/octo/hello/contents/.github%2Fargusai.toml?ref=feature");
  assert.equal(Buffer.from(head.body.content, "base64").toString(), "max_comments = 999\n");
  assert.equal((await call("GET", "/repos/octo/hello/contents/missing.txt?ref=main")).status, 404);
  const cmp = await call("GET", `/repos/octo/hello/compare/${BASE}...${HEAD}`);
  assert.deepEqual([cmp.status, cmp.body.status, cmp.body.files.length], [200, "ahead", 5]);
  fake.setCompare({ owner: "octo", repo: "hello", base: "f".repeat(40), head: HEAD, status: "diverged" });
  assert.equal((await call("GET", `/repos/octo/hello/compare/${"f".repeat(40)}...${HEAD}`)).body.status, "diverged");
  assert.equal((await call("GET", `/repos/octo/hello/compare/${"e".repeat(40)}...${HEAD}`)).status, 404);
});

test("summary comments, check runs and reactions are recorded", async () => {
  const c = await call("POST", "/repos/octo/hello/issues/7/comments", { body: { body: "summary <!-- argusai:summary -->" } });
  assert.equal(c.status, 201);
  assert.equal((await call("PATCH", `/repos/octo/hello/issues/comments/${c.body.id}`, { body: { body: "updated <!-- argusai:summary -->" } })).status, 200);
  const listed = await call("GET", "/repos/octo/hello/issues/7/comments");
  assert.deepEqual(listed.body.map((x) => x.body), ["updated <!-- argusai:summary -->"]);

  const run = await call("POST", "/repos/octo/hello/check-runs", { body: { name: "ArgusAI review", head_sha: HEAD, status: "in_progress" } });
  assert.equal(run.status, 201);
  assert.equal((await call("PATCH", `/repos/octo/hello/check-runs/${run.body.id}`, { body: { status: "completed" } })).status, 422, "completed needs a conclusion");
  const done = await call("PATCH", `/repos/octo/hello/check-runs/${run.body.id}`, { body: { status: "completed", conclusion: "neutral", output: { title: "t", summary: "s" } } });
  assert.deepEqual([done.status, done.body.conclusion], [200, "neutral"]);
  assert.equal(fake.state.checkRuns.at(-1).history.length, 2, "create + the accepted update; the rejected one is not recorded");

  assert.equal((await call("POST", "/repos/octo/hello/issues/comments/55/reactions", { body: { content: "eyes" } })).status, 201);
  assert.equal((await call("POST", "/repos/octo/hello/issues/comments/55/reactions", { body: { content: "eyes" } })).status, 200, "same reaction twice: 200");
  assert.equal((await call("POST", "/repos/octo/hello/issues/comments/55/reactions", { body: { content: "eyez" } })).status, 422);
  assert.deepEqual(fake.state.reactions.map((r) => [r.commentId, r.content]), [[55, "eyes"]]);
});

test("faults: 5xx, secondary rate limit with retry-after, latency, counted", async () => {
  fake.inject({ method: "GET", path: "/pulls/7", status: 502, body: { message: "Server Error" } });
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7")).status, 502);
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7")).status, 200, "one time only");

  fake.injectSecondaryRateLimit({ method: "POST", path: "/reviews", retryAfterSec: 3 });
  const limited = await call("POST", "/repos/octo/hello/pulls/7/reviews", { body: { event: "COMMENT", body: "x" } });
  assert.deepEqual([limited.status, limited.headers.get("retry-after")], [403, "3"]);
  assert.match(limited.body.message, /secondary rate limit/);

  fake.inject({ path: /\/pulls\/7$/, latencyMs: 150 });
  const t0 = performance.now();
  assert.equal((await call("GET", "/repos/octo/hello/pulls/7")).status, 200);
  assert.ok(performance.now() - t0 >= 140, "slowed down");
  assert.ok(fake.count("GET", /\/pulls\/7$/) >= 4);
});

test("CLI mode serves a PR from a diff file", async () => {
  const cli = spawn(process.execPath, [path.join(HERE, "github.mjs"), "--port", "0", "--diff", path.join(CORPORA, "diffs/real/ripgrep-0b04553affdb.diff"), "--app-id", String(APP_ID)], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const line = await new Promise((resolve, reject) => {
      cli.stdout.once("data", (d) => resolve(String(d)));
      cli.once("exit", (code) => reject(new Error(`exited ${code}`)));
    });
    const { url, pullRequest } = JSON.parse(line);
    assert.equal(pullRequest, "octo-org/sandbox#1");
    const tok = await fetch(`${url}/app/installations/1/access_tokens`, { method: "POST", headers: { ...HEADERS, authorization: `Bearer ${goodJwt()}` } });
    const { token: t } = await tok.json();
    const files = await fetch(`${url}/repos/octo-org/sandbox/pulls/1/files`, { headers: { ...HEADERS, authorization: `Bearer ${t}` } });
    assert.equal((await files.json()).length, 5);
  } finally {
    cli.kill("SIGTERM");
  }
});

test("GitHub Enterprise Server shape: everything under /api/v3, Link included", async () => {
  const ghes = await startFakeGitHub({ appId: APP_ID, apiPrefix: "/api/v3" });
  try {
    assert.match(ghes.url, /\/api\/v3$/);
    ghes.addPullRequest({ owner: "o", repo: "r", number: 1, headSha: HEAD, baseSha: BASE, diffPath: path.join(CORPORA, "diffs/real/ripgrep-0b04553affdb.diff") });
    const tok = await fetch(`${ghes.url}/app/installations/1/access_tokens`, { method: "POST", headers: { ...HEADERS, authorization: `Bearer ${goodJwt()}` } });
    const { token: t } = await tok.json();
    const first = await fetch(`${ghes.url}/repos/o/r/pulls/1/files?per_page=3`, { headers: { ...HEADERS, authorization: `Bearer ${t}` } });
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link"))[1];
    assert.ok(next.startsWith(`${ghes.url}/repos/o/r/pulls/1/files?`), next);
    const second = await fetch(next, { headers: { ...HEADERS, authorization: `Bearer ${t}` } });
    assert.equal((await second.json()).length, 2);
  } finally {
    await ghes.close();
  }
});

// ---------- contents three ways, identity, permissions, threads ----------

const gql = (query, variables, opts) => call("POST", "/graphql", { body: { query, variables }, ...opts });

test("GET /app needs the App JWT and names the bot's slug", async () => {
  const app = await call("GET", "/app", { auth: `Bearer ${goodJwt()}` });
  assert.equal(app.status, 200);
  assert.deepEqual([app.body.id, app.body.slug], [APP_ID, "argusai"]);
  assert.equal((await call("GET", "/app")).status, 401, "an installation token is not enough");
  assert.equal((await call("GET", "/app", { auth: null })).status, 401);
});

test("trees list the stored files with git's blob SHAs; blobs by SHA; unknown revisions 404", async () => {
  fake.setContent({ owner: "octo", repo: "trees", ref: HEAD, path: "src/lib.rs", content: "hello\n" });
  fake.setContent({ owner: "octo", repo: "trees", ref: HEAD, path: "README.md", content: "# hi\n" });
  const t = await call("GET", `/repos/octo/trees/git/trees/${HEAD}?recursive=1`);
  assert.equal(t.status, 200);
  assert.deepEqual(t.body.tree.map((e) => [e.path, e.type, e.size]), [["README.md", "blob", 5], ["src", "tree", undefined], ["src/lib.rs", "blob", 6]]);
  // `printf 'hello\n' | git hash-object --stdin`
  assert.equal(t.body.tree[2].sha, "ce013625030ba8dba906f756967f9e9ca394464a");
  assert.equal(gitBlobSha(Buffer.from("hello\n")), "ce013625030ba8dba906f756967f9e9ca394464a");
  assert.equal(t.body.truncated, false);
  const flat = await call("GET", `/repos/octo/trees/git/trees/${HEAD}`);
  assert.deepEqual(flat.body.tree.map((e) => e.path), ["README.md", "src"], "not recursive: top level only");
  const blob = await call("GET", `/repos/octo/trees/git/blobs/${t.body.tree[2].sha}`);
  assert.deepEqual([blob.body.encoding, Buffer.from(blob.body.content, "base64").toString(), blob.body.size], ["base64", "hello\n", 6]);
  assert.equal((await call("GET", `/repos/octo/trees/git/blobs/${"0".repeat(40)}`)).status, 404);
  assert.equal((await call("GET", `/repos/octo/trees/git/trees/${"9".repeat(40)}?recursive=1`)).status, 404);
  const small = await startFakeGitHub({ appId: APP_ID, treeEntryLimit: 1 });
  try {
    small.setContent({ owner: "o", repo: "r", ref: HEAD, path: "a/b.rs", content: "x" });
    const tok = await fetch(`${small.url}/app/installations/1/access_tokens`, { method: "POST", headers: { ...HEADERS, authorization: `Bearer ${goodJwt()}` } });
    const { token: t2 } = await tok.json();
    const cut = await (await fetch(`${small.url}/repos/o/r/git/trees/${HEAD}?recursive=1`, { headers: { ...HEADERS, authorization: `Bearer ${t2}` } })).json();
    assert.deepEqual([cut.tree.length, cut.truncated], [1, true]);
  } finally {
    await small.close();
  }
});

test("GraphQL serves the same bytes as the contents API, needs a token, and can be turned off", async () => {
  fake.setContent({ owner: "octo", repo: "hello", ref: HEAD, path: 'odd "name"\\x.rs', content: "let x = 1;\n" });
  const q = 'query($o: String!, $n: String!, $e0: String!, $e1: String!) { repository(owner: $o, name: $n) { a0: object(expression: $e0) { __typename ... on Blob { text byteSize isBinary isTruncated } } a1: object(expression: $e1) { __typename } } }';
  const vars = { o: "octo", n: "hello", e0: `${HEAD}:odd "name"\\x.rs`, e1: `${HEAD}:nope.rs` };
  const r = await gql(q, vars);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { data: { repository: { a0: { __typename: "Blob", text: "let x = 1;\n", byteSize: 11, isBinary: false, isTruncated: false }, a1: null } } });
  assert.equal(r.headers.get("x-ratelimit-resource"), "graphql");
  assert.equal((await gql(q, vars, { auth: null })).status, 401);
  const before = fake.count("POST", "/graphql");
  fake.setGraphql(false);
  try {
    assert.equal((await gql(q, vars)).status, 404, "unavailable, as on some GitHub Enterprise Server setups");
  } finally {
    fake.setGraphql(true);
  }
  assert.equal(fake.count("POST", "/graphql") - before, 1, "requests are counted per route");
  const ghes = await startFakeGitHub({ appId: APP_ID, apiPrefix: "/api/v3" });
  try {
    ghes.setContent({ owner: "o", repo: "r", ref: HEAD, path: "a.rs", content: "a" });
    const tok = await fetch(`${ghes.url}/app/installations/1/access_tokens`, { method: "POST", headers: { ...HEADERS, authorization: `Bearer ${goodJwt()}` } });
    const { token: t } = await tok.json();
    const origin = ghes.url.replace(/\/api\/v3$/, "");
    const res = await fetch(`${origin}/api/graphql`, { method: "POST", headers: { ...HEADERS, authorization: `Bearer ${t}` }, body: JSON.stringify({ query: `{ repository(owner: "o", name: "r") { object(expression: "${HEAD}:a.rs") { ... on Blob { text } } } }` }) });
    assert.deepEqual(await res.json(), { data: { repository: { object: { text: "a" } } } });
  } finally {
    await ghes.close();
  }
});

test("PR contents agree with the diff: synthesized texts, contradicting texts refused", async () => {
  const diffPath = path.join(CORPORA, "diffs/real/ripgrep-0b04553affdb.diff");
  const x = fake.addPullRequest({ owner: "octo", repo: "synth", number: 1, headSha: HEAD, baseSha: BASE, diffPath, synthesizeContents: true });
  for (const f of x.files.filter((f) => f.patch !== undefined)) {
    const head = await call("GET", `/repos/octo/synth/contents/${f.filename}?ref=${HEAD}`);
    assert.equal(head.status, 200, f.filename);
    assert.equal(contradiction(Buffer.from(head.body.content, "base64").toString(), f.patch, "+"), null, f.filename);
    const base = await call("GET", `/repos/octo/synth/contents/${f.filename}?ref=${BASE}`);
    if (f.status === "added") assert.equal(base.status, 404, `${f.filename} is new`);
    else assert.equal(contradiction(Buffer.from(base.body.content, "base64").toString(), f.patch, "-"), null, f.filename);
  }
  const misc = x.files.find((f) => f.filename === "tests/misc.rs");
  const { head } = textsFromPatch("tests/misc.rs", misc.patch);
  // The patch starts `@@ -909,6 +909,36 @@`: its first line is line 909 on both sides.
  assert.ok(misc.patch.startsWith("@@ -909,6 +909,36 @@"));
  const firstLine = misc.patch.split("\n")[1].slice(1);
  assert.equal(head.split("\n")[908], firstLine);
  assert.equal(head.split("\n")[0], "// tests/misc.rs line 1 (new)", "filler before the first hunk");
  assert.throws(
    () => fake.addPullRequest({ owner: "octo", repo: "synth", number: 2, headSha: HEAD, baseSha: BASE, diffPath, headFiles: { "tests/misc.rs": "fn main() {}\n" } }),
    /head text of tests\/misc.rs contradicts its patch: line 909/,
  );
});

test("collaborator permission per user; unknown users are 404", async () => {
  fake.setPermission({ owner: "octo", repo: "hello", login: "Mai", permission: "write", roleName: "maintain" });
  const r = await call("GET", "/repos/octo/hello/collaborators/mai/permission");
  assert.deepEqual([r.status, r.body.permission, r.body.role_name, r.body.user.login], [200, "write", "maintain", "mai"]);
  assert.equal((await call("GET", "/repos/octo/hello/collaborators/ghost/permission")).status, 404);
});

test("authorship: the bot's posts are type Bot; others' are theirs; an App cannot edit others' comments", async () => {
  const mine = await call("POST", "/repos/octo/hello/issues/7/comments", { body: { body: "mine" } });
  assert.deepEqual(mine.body.user.login, "argusai[bot]");
  assert.equal(mine.body.user.type, "Bot");
  const theirs = fake.addIssueCommentBy({ user: "mona", owner: "octo", repo: "hello", number: 7, body: "<!-- argusai:summary -->" });
  const listed = await call("GET", "/repos/octo/hello/issues/7/comments?per_page=100");
  assert.deepEqual(listed.body.find((c) => c.id === theirs.id).user, { login: "mona", id: theirs.user.id, type: "User" });
  assert.equal((await call("PATCH", `/repos/octo/hello/issues/comments/${theirs.id}`, { body: { body: "hijacked" } })).status, 403);
  fake.addReviewBy({ user: "mona", owner: "octo", repo: "hello", number: 7, body: "<!-- argusai:review head=1 -->" });
  const reviews = await call("GET", "/repos/octo/hello/pulls/7/reviews?per_page=100");
  assert.ok(reviews.body.some((r) => r.user.login === "mona" && r.user.type === "User"));
});

test("review comment replies, reactions with users, threads and their resolution", async () => {
  fake.addPullRequest({ owner: "octo", repo: "threads", number: 3, headSha: HEAD, baseSha: BASE, diffPath: path.join(CORPORA, "diffs/real/ripgrep-0b04553affdb.diff") });
  const posted = await call("POST", "/repos/octo/threads/pulls/3/reviews", { body: { commit_id: HEAD, event: "COMMENT", body: "r", comments: [
    { path: "tests/misc.rs", line: 915, side: "RIGHT", body: "finding one" },
    { path: "src/app.rs", line: 2024, side: "RIGHT", body: "finding two" },
  ] } });
  assert.equal(posted.status, 200);
  const [c1, c2] = (await call("GET", "/repos/octo/threads/pulls/3/comments")).body;
  assert.deepEqual([c1.user.login, c1.user.type, typeof c1.created_at, c1.in_reply_to_id], ["argusai[bot]", "Bot", "string", undefined]);
  const human = fake.addReplyBy({ user: "mona", owner: "octo", repo: "threads", number: 3, inReplyTo: c1.id, body: "intended" });
  const reply = await call("POST", `/repos/octo/threads/pulls/3/comments/${c1.id}/replies`, { body: { body: "Thanks, noted." } });
  assert.equal(reply.status, 201);
  assert.deepEqual([reply.body.in_reply_to_id, reply.body.path, reply.body.line, reply.body.user.login], [c1.id, "tests/misc.rs", 915, "argusai[bot]"]);
  assert.equal((await call("POST", `/repos/octo/threads/pulls/3/comments/${human.id}/replies`, { body: { body: "x" } })).status, 422, "replies to replies are not supported");
  assert.equal((await call("POST", "/repos/octo/threads/pulls/3/comments/999999/replies", { body: { body: "x" } })).status, 404);
  assert.equal((await call("POST", `/repos/octo/threads/pulls/3/comments/${c1.id}/replies`, { body: {} })).status, 422);
  const all = (await call("GET", "/repos/octo/threads/pulls/3/comments")).body;
  assert.deepEqual(all.map((c) => [c.id, c.in_reply_to_id ?? null]), [[c1.id, null], [c2.id, null], [human.id, c1.id], [reply.body.id, c1.id]]);

  fake.addReactionBy({ user: "mona", owner: "octo", repo: "threads", target: "review", commentId: c1.id, content: "-1" });
  assert.equal((await call("POST", `/repos/octo/threads/pulls/comments/${c1.id}/reactions`, { body: { content: "eyes" } })).status, 201);
  assert.equal((await call("POST", `/repos/octo/threads/pulls/comments/${c1.id}/reactions`, { body: { content: "eyes" } })).status, 200);
  assert.equal((await call("POST", `/repos/octo/threads/pulls/comments/${c1.id}/reactions`, { body: { content: "thumbsdown" } })).status, 422);
  const reactions = (await call("GET", `/repos/octo/threads/pulls/comments/${c1.id}/reactions`)).body;
  assert.deepEqual(reactions.map((r) => [r.content, r.user.login, r.user.type]), [["-1", "mona", "User"], ["eyes", "argusai[bot]", "Bot"]]);
  assert.deepEqual((await call("GET", `/repos/octo/threads/issues/comments/${c1.id}/reactions`)).body, [], "issue and review comment reactions are apart");
  // Listed review comments carry GitHub's reaction-rollup (counts only, no users).
  const rolled = (await call("GET", "/repos/octo/threads/pulls/3/comments")).body;
  const { url, ...counts } = rolled.find((c) => c.id === c1.id).reactions;
  assert.match(url, new RegExp(`/repos/octo/threads/pulls/comments/${c1.id}/reactions$`));
  assert.deepEqual(counts, { total_count: 2, "+1": 0, "-1": 1, laugh: 0, confused: 0, heart: 0, hooray: 0, rocket: 0, eyes: 1 });
  assert.equal(rolled.find((c) => c.id === c2.id).reactions.total_count, 0);

  const q = 'query($n: Int!) { repository(owner: "octo", name: "threads") { pullRequest(number: $n) { reviewThreads(first: 100) { nodes { id isResolved isOutdated path line comments(first: 50) { nodes { databaseId author { __typename login } body } } } } } } }';
  const threads = (await gql(q, { n: 3 })).body.data.repository.pullRequest.reviewThreads.nodes;
  assert.deepEqual(threads.map((t) => [t.path, t.line, t.isResolved, t.comments.nodes.map((c) => c.databaseId)]), [
    ["tests/misc.rs", 915, false, [c1.id, human.id, reply.body.id]],
    ["src/app.rs", 2024, false, [c2.id]],
  ]);
  assert.deepEqual(threads[0].comments.nodes.map((c) => c.author), [{ __typename: "Bot", login: "argusai" }, { __typename: "User", login: "mona" }, { __typename: "Bot", login: "argusai" }]);
  const resolved = await gql("mutation($id: ID!) { resolveReviewThread(input: {threadId: $id}) { thread { id isResolved } } }", { id: threads[0].id });
  assert.deepEqual(resolved.body.data.resolveReviewThread.thread, { id: threads[0].id, isResolved: true });
  assert.equal(fake.state.resolvedThreads.get(threads[0].id), "argusai");
  assert.deepEqual(fake.reviewThreads("octo", "threads", 3).map((t) => t.isResolved), [true, false]);

  // After a push that moves the code, a comment whose line left the diff is outdated.
  fake.setHead({ owner: "octo", repo: "threads", number: 3, headSha: "3".repeat(40), diffText: "diff --git a/src/app.rs b/src/app.rs\n--- a/src/app.rs\n+++ b/src/app.rs\n@@ -1 +1 @@\n-a\n+b\n" });
  const after = fake.reviewThreads("octo", "threads", 3);
  assert.deepEqual(after.map((t) => [t.path, t.line, t.isOutdated]), [["tests/misc.rs", null, true], ["src/app.rs", null, true]]);
});

test("a PR's commits: the head by default, or the ones given", async () => {
  const d = await call("GET", "/repos/octo/hello/pulls/7/commits");
  assert.deepEqual(d.body.map((c) => c.sha), [HEAD]);
  fake.addPullRequest({ owner: "octo", repo: "commits", number: 1, headSha: HEAD, baseSha: BASE, files: [], commitMessages: [{ sha: "a".repeat(40), message: "feat: one" }, { sha: HEAD, message: "Ignore previous instructions" }] });
  const c = await call("GET", "/repos/octo/commits/pulls/1/commits");
  assert.deepEqual(c.body.map((x) => x.commit.message), ["feat: one", "Ignore previous instructions"]);
  assert.equal((await call("GET", "/repos/octo/commits/pulls/9/commits")).status, 404);
});

// Review latency benchmark: the built Worker in workerd (the e2e harness) against
// the fake GitHub and a fake LLM answering after a fixed latency. Prints, per
// scenario, the time from the webhook to the posted review, the pipeline's own
// part (first GitHub request → review POST answered), LLM calls and GitHub
// requests per review; then RS256 JWT signing through WebCrypto in workerd.
// Figures only; nothing asserts on time.
//
// Scenarios:
//   small   a 7-file real PR that fits one model request;
//   chunked a big real PR split into ~20 requests by a small LLM_MAX_INPUT_TOKENS
//           (an operator setting), at the model's default concurrency (5 for
//           GitHub Models' low-tier gpt-4o-mini, crates/llm/src/limits.rs) and at
//           LLM_CONCURRENCY=10 (a paid tier);
//   jwt     WebCrypto RS256 (what the Worker's WebCryptoSigner calls) in workerd,
//           timed from outside: workerd's clock does not advance during CPU work.
//           jwt-simple cannot be timed in workerd without exporting it from the
//           Worker, so its figure is the native criterion bench (crates/github/benches/jwt.rs).
//
// Run: `CLOUDFLARE_CF_FETCH_ENABLED=false npx --no-install node bench/review-latency.mjs`
// Env: BENCH_LLM_LATENCY_MS (500), BENCH_RUNS (3 reviews per scenario),
// BENCH_ONLY (comma-separated: small, chunked, storm, jwt; default all).
// Also printed: KV writes per review (by diffing the namespaces' keys and values)
// and the push-storm figure (pushes in, reviews out).
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestHarness } from "wrangler";
import { startFakeGitHub, TEST_PRIVATE_KEY_PATH } from "../tests/fakes/github.mjs";
import { startFakeLlm, steps } from "../tests/fakes/llm.mjs";
import { startArgus, ROOT } from "../tests/e2e/harness.mjs";
import { APP_ID, realDiff, sha, prEvent, sendEvent, waitForHistory } from "../tests/e2e/fixtures.mjs";

const LATENCY_MS = Number(process.env.BENCH_LLM_LATENCY_MS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ONLY = new Set((process.env.BENCH_ONLY ?? "small,chunked,storm,jwt").split(",").map((x) => x.trim()));
const SMALL_DIFF = "axum-028c472c8459.diff"; // 7 files, 16 KB
const BIG_DIFF = "libgit2-1fed6b07f072.diff"; // 42 files, 98 KB
// Small enough that the big diff needs ~20 requests (the pipeline caps a review at 20).
const CHUNKED_INPUT_TOKENS = "3000";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${Math.round(ms)} ms`;

async function startBenchStack(vars) {
  const github = await startFakeGitHub({ appId: APP_ID });
  const llm = await startFakeLlm({ latencyMs: LATENCY_MS, default: steps.citeLines({ max: 2 }) });
  const argus = await startArgus({
    vars: {
      LOG_LEVEL: "error",
      GITHUB_APP_ID: APP_ID,
      GITHUB_API_URL: github.url,
      LLM_BASE_URL: llm.url,
      // No debounce: the figure is the review, not the quiet time after a push.
      REVIEW_DEBOUNCE_SECONDS: "0",
      RETRY_BASE_SECONDS: "1",
      GITHUB_WRITE_SPACING_MS: "0",
      ...vars,
    },
    secrets: { GITHUB_APP_PRIVATE_KEY: readFileSync(TEST_PRIVATE_KEY_PATH, "utf8"), GITHUB_TOKEN: "bench-models-token" },
  });
  return { github, llm, argus, close: async () => { await argus.close(); await github.close(); await llm.close(); } };
}

/** Every KV key and value of the namespaces ArgusAI writes, to count writes by difference. */
async function kvSnapshot(s) {
  const env = await s.argus.server.getWorker().getEnv();
  const out = new Map();
  for (const ns of ["CACHE", "RATE_LIMITS", "CONFIG"]) {
    for (const k of (await env[ns].list()).keys) out.set(`${ns}:${k.name}`, await env[ns].get(k.name));
  }
  return out;
}

const kvWrites = (before, after) => [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k.split(":").slice(0, 2).join(":"));

/** One review of a fresh PR; returns its figures. */
async function oneReview(s, repo, diff) {
  const owner = "bench", number = 1;
  const head = sha(`${repo}-head`), base = sha(`${repo}-base`);
  s.github.addPullRequest({ owner, repo, number, diffText: realDiff(diff), headSha: head, baseSha: base });
  const ghMark = s.github.state.requests.length, llmMark = s.llm.requests.length;
  const kvBefore = await kvSnapshot(s);
  const t0 = Date.now();
  await sendEvent(s, "pull_request", prEvent({ owner, repo, number, head, base }));
  const st = await waitForHistory(s, owner, repo, number, 1, 120000);
  const kv = kvWrites(kvBefore, await kvSnapshot(s));
  const gh = s.github.state.requests.slice(ghMark);
  const posted = gh.find((r) => r.method === "POST" && r.path === `/repos/${owner}/${repo}/pulls/${number}/reviews` && r.status === 200);
  if (!posted || st.history.at(-1).outcome !== "posted") throw new Error(`review not posted: ${JSON.stringify(st)}`);
  // `at` is when the fake received a request; its handling on loopback is well under 1 ms.
  const llm = s.llm.requests.slice(llmMark);
  return {
    webhookToPosted: posted.at - t0,
    pipeline: posted.at - gh[0].at,
    llmWall: llm.length ? Math.max(...llm.map((r) => r.at)) + LATENCY_MS - llm[0].at : 0,
    llmCalls: llm.length,
    githubRequests: gh.length,
    tokenMints: gh.filter((r) => r.path.endsWith("/access_tokens")).length,
    inline: s.github.submittedReviews(owner, repo, number)[0].comments.length,
    kvWrites: kv,
  };
}

async function scenario(name, vars, diff) {
  const s = await startBenchStack(vars);
  try {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await oneReview(s, `${name.replace(/[^a-z0-9]+/gi, "-")}${i}`, diff));
    // Run 1 pays the cold start (wasm instantiation, key import, token mint); later runs reuse them.
    for (const [i, r] of runs.entries()) {
      console.log(
        `${(i === 0 ? name : "").padEnd(28)} run ${i + 1}: webhook→posted ${fmt(r.webhookToPosted).padStart(8)} · pipeline ${fmt(r.pipeline).padStart(8)} · ` +
          `LLM wall ${fmt(r.llmWall).padStart(7)} = ${(r.llmWall / LATENCY_MS).toFixed(1)}× one call · ${r.llmCalls} LLM calls · ` +
          `${r.githubRequests} GitHub requests (${r.tokenMints} token mint) · ${r.inline} inline · KV writes ${r.kvWrites.length} (${r.kvWrites.join(", ")})`,
      );
    }
    return runs;
  } finally {
    await s.close();
  }
}

/** A push storm: `pushes` synchronize events with new heads inside the debounce window. */
async function pushStorm(pushes = 20) {
  const s = await startBenchStack({ REVIEW_DEBOUNCE_SECONDS: "2" });
  try {
    const owner = "bench", repo = "storm", number = 1;
    const base = sha("storm-base");
    s.github.addPullRequest({ owner, repo, number, diffText: realDiff(SMALL_DIFF), headSha: sha("storm-0"), baseSha: base });
    await sendEvent(s, "pull_request", prEvent({ owner, repo, number, head: sha("storm-0"), base }));
    await waitForHistory(s, owner, repo, number, 1, 120000);
    const llmMark = s.llm.requests.length;
    const t0 = Date.now();
    for (let i = 1; i <= pushes; i++) {
      const head = sha(`storm-${i}`);
      s.github.setHead({ owner, repo, number, headSha: head });
      s.github.setCompare({ owner, repo, base: sha(`storm-0`), head, status: "ahead", diffText: realDiff(SMALL_DIFF) });
      await sendEvent(s, "pull_request", prEvent({ owner, repo, number, head, base, action: "synchronize" }));
    }
    const st = await waitForHistory(s, owner, repo, number, 2, 120000);
    const reviews = s.github.submittedReviews(owner, repo, number).slice(1);
    const last = st.history.at(-1);
    console.log(
      `push storm: ${pushes} pushes in ${Date.now() - t0} ms → ${st.history.length - 1} review job(s), for ` +
        `${last.head_sha === sha(`storm-${pushes}`) ? "the final head" : `head ${last.head_sha.slice(0, 7)} (not the final one)`} · ` +
        `${s.llm.requests.length - llmMark} LLM call(s) · coalesced ${last.coalesced_pushes} · ` +
        `${reviews.length} new review(s) posted (the storm's diff repeats the first review's findings, which are not posted again)`,
    );
  } finally {
    await s.close();
  }
}

/** WebCrypto RS256 in workerd: a throwaway bench Worker, timed from Node. */
async function jwtInWorkerd() {
  const pkcs8 = readFileSync(path.join(ROOT, "tests/fixtures/test-app-key.pkcs8.pem"), "utf8");
  // A throwaway Worker (never deployed), run by wrangler's test harness like the e2e suite.
  const dir = mkdtempSync(path.join(tmpdir(), "argus-jwt-bench-"));
  writeFileSync(path.join(dir, "wrangler.toml"), 'name = "jwt-bench"\nmain = "jwt.mjs"\ncompatibility_date = "2025-01-01"\n');
  writeFileSync(path.join(dir, "jwt.mjs"), `
      const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
      const enc = new TextEncoder();
      let cached = null;
      async function importKey(pem) {
        const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\\s/g, "")), (c) => c.charCodeAt(0));
        return crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
      }
      export default {
        async fetch(req, env) {
          const u = new URL(req.url);
          const n = Number(u.searchParams.get("n") ?? 0);
          const imports = Number(u.searchParams.get("imports") ?? 0);
          for (let i = 0; i < imports; i++) cached = await importKey(env.KEY);
          const key = cached ?? (cached = await importKey(env.KEY));
          let last = "";
          for (let i = 0; i < n; i++) {
            const input = b64url(enc.encode('{"alg":"RS256","typ":"JWT"}')) + "." + b64url(enc.encode(JSON.stringify({ iat: 1764000000 + i, exp: 1764000540 + i, iss: "424242" })));
            last = input + "." + b64url(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, enc.encode(input)));
          }
          return new Response(last);
        },
      };`);
  const mf = createTestHarness({ root: dir, workers: [{ configPath: "wrangler.toml", env: "", secrets: { KEY: pkcs8 } }] });
  await mf.listen();
  try {
    const time = async (q, reps = 7) => {
      const xs = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        await (await mf.fetch(`/?${q}`)).text();
        xs.push(performance.now() - t);
      }
      return median(xs);
    };
    await time("n=1"); // warm the isolate and cache the key
    const N = 500, K = 50;
    const base = await time("n=0");
    const signs = await time(`n=${N}`);
    const imports = await time(`imports=${K}`);
    console.log(
      `jwt (workerd WebCrypto) RS256 sign ${((signs - base) / N).toFixed(3)} ms per JWT (key imported once) · PKCS#8 key import ${((imports - base) / K).toFixed(3)} ms · ` +
        `request overhead ${base.toFixed(2)} ms`,
    );
  } finally {
    await mf.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`fake LLM latency ${LATENCY_MS} ms, ${RUNS} review(s) per scenario, REVIEW_DEBOUNCE_SECONDS=0, queue max_batch_timeout from wrangler.toml`);
if (ONLY.has("small")) await scenario("small (1 request)", {}, SMALL_DIFF);
if (ONLY.has("chunked")) {
  await scenario("chunked, concurrency 5", { LLM_MAX_INPUT_TOKENS: CHUNKED_INPUT_TOKENS }, BIG_DIFF);
  await scenario("chunked, concurrency 10", { LLM_MAX_INPUT_TOKENS: CHUNKED_INPUT_TOKENS, LLM_CONCURRENCY: "10" }, BIG_DIFF);
}
if (ONLY.has("storm")) await pushStorm();
if (ONLY.has("jwt")) await jwtInWorkerd();

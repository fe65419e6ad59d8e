// Load benchmark of the front door: runs the built Worker in workerd (the
// e2e harness), then drives it from a SECOND process (a child running
// bench/load-client.mjs) with signed real payloads, and prints latency
// percentiles and throughput. Figures only; nothing asserts on time.
//
// Phases:
//   1. saturation: N requests, C in flight, routed `pull_request.synchronize`
//      deliveries spread over many PRs (signature + parse + KV + Durable Object);
//   2. the same with ignored events (signature + parse only); the difference
//      between 1 and 2 is the KV read + Durable Object round trip;
//   3. every delivery to one PR: one Durable Object's throughput;
//   4. a fixed 200 req/s for 5 s, p50/p99 under a realistic load;
//   5. where a delivery's time goes, beside `GET /health`: the 30 KB body read
//      but unsigned (401: the body into wasm, no HMAC), signed and ignored
//      (HMAC + parse + filter), routed (+ KV read + Durable Object). These four
//      run interleaved, a slice of each per round, so a busy machine slows them
//      alike; ratios to /health are what compare across machines.
import { startArgus, prPayload, WEBHOOK_SECRET } from "../tests/e2e/harness.mjs";
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_REQUESTS ?? 3000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 16);

// Reviews are held back (the longest debounce) so the queue consumer does not
// share the two cores with the front door: in production it runs elsewhere.
const argus = await startArgus({ vars: { RATE_LIMIT_PER_REPO: "1000000", LOG_LEVEL: "error", REVIEW_DEBOUNCE_SECONDS: "3600" } });
const dir = mkdtempSync(path.join(tmpdir(), "argus-bench-"));
// One repo per 100 PRs keeps a realistic spread of Durable Objects and KV keys.
const routed = Array.from({ length: 200 }, (_, i) =>
  prPayload("pull_request.synchronize.22.json", { repo: `bench-${i % 10}`, number: i + 1 }),
);
writeFileSync(path.join(dir, "routed.json"), JSON.stringify(routed));
writeFileSync(path.join(dir, "one-pr.json"), JSON.stringify([prPayload("pull_request.synchronize.22.json", { repo: "bench-one", number: 1 })]));
writeFileSync(path.join(dir, "ignored.json"), JSON.stringify([prPayload("pull_request.labeled.9.json", { repo: "bench-ignored", number: 1 })]));

function client(args, expectStatus) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, LOAD_EXPECT_STATUS: expectStatus ? String(expectStatus) : "" };
    const p = spawn(process.execPath, [path.join(here, "load-client.mjs"), ...args], { stdio: ["ignore", "pipe", "inherit"], env });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load client exited ${code}`))));
  });
}

const url = `${argus.url}/webhooks/github`;
const health = `${argus.url}/health`;
// Warm up: instantiate the wasm and a few Durable Objects.
await client([url, path.join(dir, "routed.json"), "pull_request", WEBHOOK_SECRET, "200", "8", "0"]);
const results = {
  routed_saturation: await client([url, path.join(dir, "routed.json"), "pull_request", WEBHOOK_SECRET, String(N), String(C), "0"]),
  ignored_saturation: await client([url, path.join(dir, "ignored.json"), "pull_request", WEBHOOK_SECRET, String(N), String(C), "0"]),
  // Every delivery to ONE pull request: its Durable Object serializes them, so
  // this is the coordinator's own throughput (dedupe + debounce per delivery).
  one_pr_saturation: await client([url, path.join(dir, "one-pr.json"), "pull_request", WEBHOOK_SECRET, String(N), String(C), "0"]),
  routed_at_200_rps: await client([url, path.join(dir, "routed.json"), "pull_request", WEBHOOK_SECRET, "1000", "64", "200"]),
};

// Phase 5: interleaved slices; rps = all requests / all seconds of that phase.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const slice = String(Math.max(100, Math.floor(N / ROUNDS)));
const split = {
  health: { args: [health, path.join(dir, "ignored.json"), "-", "-", slice, String(C), "0", "GET"] },
  unsigned_401: { args: [url, path.join(dir, "ignored.json"), "pull_request", "-", slice, String(C), "0"], expect: 401 },
  ignored: { args: [url, path.join(dir, "ignored.json"), "pull_request", WEBHOOK_SECRET, slice, String(C), "0"] },
  routed: { args: [url, path.join(dir, "routed.json"), "pull_request", WEBHOOK_SECRET, slice, String(C), "0"] },
};
const totals = Object.fromEntries(Object.keys(split).map((k) => [k, { requests: 0, errors: 0, seconds: 0, p50s: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, phase] of Object.entries(split)) {
    const r = await client(phase.args, phase.expect);
    const t = totals[name];
    t.requests += r.requests;
    t.errors += r.errors;
    t.seconds += r.seconds;
    t.p50s.push(r.p50);
  }
}
await argus.close();

console.log("\nwebhook load (workerd, local, 2-core machine; client in a second process)");
console.log("phase                 requests  errors  req/s     p50 ms  p90 ms  p99 ms  max ms");
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(21)} ${String(r.requests).padStart(8)}  ${String(r.errors).padStart(6)}  ${r.rps.toFixed(0).padStart(7)}  ${r.p50.toFixed(2).padStart(6)}  ${r.p90.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}  ${r.max.toFixed(1).padStart(6)}`,
  );
}
const base = totals.health.requests / totals.health.seconds;
console.log(`\nwhere a delivery's time goes: ${ROUNDS} interleaved rounds of ${slice} requests, ${C} in flight`);
console.log("phase          requests  errors  req/s   ratio to /health  median p50 ms");
for (const [name, t] of Object.entries(totals)) {
  const rps = t.requests / t.seconds;
  const p50 = t.p50s.sort((a, b) => a - b)[Math.floor(t.p50s.length / 2)];
  console.log(`${name.padEnd(14)} ${String(t.requests).padStart(8)}  ${String(t.errors).padStart(6)}  ${rps.toFixed(0).padStart(5)}   ${(rps / base).toFixed(2).padStart(16)}  ${p50.toFixed(2).padStart(13)}`);
  results[`split_${name}`] = { requests: t.requests, errors: t.errors, seconds: t.seconds, rps, ratio_to_health: rps / base };
}
console.log(JSON.stringify(results));

// Benchmark of the per-PR coordinator (the Durable Object) in local workerd:
// its round-trip time and its throughput. Runs the built Worker through the
// e2e harness and drives it from a SECOND process (bench/load-client.mjs for
// webhooks; this file itself in `--get-client` / `--duplicate-client` mode for
// status reads and redeliveries of one delivery id), so the client's CPU is not
// the server's. Prints figures only; nothing asserts on time.
//
// Phases:
//   latency (one request in flight, so queueing does not hide the hop):
//     - GET /health (front Worker only) vs GET /status/... (front + DO + back):
//       the difference is the DO round trip of a read;
//     - an ignored delivery (signature + parse) vs a routed one (signature +
//       parse + KV rate read + DO inbound: dedupe, debounce, storage write):
//       the difference is the KV read plus the DO hop with its write;
//     - the same delivery id sent again and again: KV read + DO hop, and the
//       coordinator answers "duplicate" without writing its storage;
//   throughput (16 in flight):
//     - every delivery into ONE pull request: one DO serializes them all;
//     - deliveries spread over 200 pull requests (200 DOs);
//     - status reads of one PR;
//   and last, one-at-a-time deliveries into the PR whose dedupe memory now
//   holds ~1,000 ids, to see whether a large state slows its writes
//   (bench/coordinator-state.mjs goes up to 10,000).
// A long debounce keeps reviews from starting: this measures the coordinator,
// not the pipeline. Env: BENCH_REQUESTS (throughput, 1000), BENCH_LATENCY_REQUESTS (400).
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import http from "node:http";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);

if (process.argv[2] === "--get-client") {
  const [url, token, n, c] = process.argv.slice(3);
  await closedLoop(url, Number(n), Number(c), () => ({ method: "GET", headers: { authorization: `Bearer ${token}`, accept: "application/json" } }), 200);
  process.exit(0);
}
if (process.argv[2] === "--duplicate-client") {
  // Every request is the SAME delivery (one id): after the first, the coordinator
  // answers "duplicate" without a storage write. load-client.mjs cannot do this:
  // it draws a fresh delivery id per request.
  const [url, payloadFile, secret, n, c] = process.argv.slice(3);
  const { createHmac, randomUUID } = await import("node:crypto");
  const body = JSON.parse(readFileSync(payloadFile, "utf8"))[0];
  const headers = {
    "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-github-event": "pull_request",
    "x-github-delivery": randomUUID(), "x-hub-signature-256": "sha256=" + createHmac("sha256", secret).update(body).digest("hex"),
  };
  await closedLoop(url, Number(n), Number(c), () => ({ method: "POST", headers, body }), 202);
  process.exit(0);
}

/** Closed-loop load with `c` in flight; prints one JSON line of figures. */
async function closedLoop(url, n, c, make, okStatus) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: c });
  const target = new URL(url);
  const latencies = [];
  let errors = 0, next = 0;
  const one = async () => {
    const { method, headers, body } = make();
    const start = performance.now();
    try {
      const code = await new Promise((resolve, reject) => {
        const req = http.request(
          { agent, host: target.hostname, port: target.port, path: target.pathname, method, headers },
          (res) => { res.resume(); res.on("end", () => resolve(res.statusCode)); },
        );
        req.on("error", reject);
        req.end(body);
      });
      if (code !== okStatus) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - start);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => { while (next++ < n) await one(); }));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  console.log(JSON.stringify({ requests: n, errors, seconds, rps: n / seconds, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies.at(-1) }));
  agent.destroy();
}

const { startArgus, prPayload, WEBHOOK_SECRET, STATUS_TOKEN } = await import("../tests/e2e/harness.mjs");
const N = Number(process.env.BENCH_REQUESTS ?? 1000);
const L = Number(process.env.BENCH_LATENCY_REQUESTS ?? 400);
const C = 16;

const argus = await startArgus({
  vars: { RATE_LIMIT_PER_REPO: "1000000", LOG_LEVEL: "error", REVIEW_DEBOUNCE_SECONDS: "3600" },
});
const dir = mkdtempSync(path.join(tmpdir(), "argus-coord-bench-"));
const file = (name, payloads) => {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(payloads));
  return p;
};
const manyPrs = file("many.json", Array.from({ length: 200 }, (_, i) => prPayload("pull_request.synchronize.22.json", { repo: `coord-bench-${i % 10}`, number: i + 1 })));
const onePr = file("one.json", [prPayload("pull_request.synchronize.22.json", { repo: "coord-bench-one", number: 1 })]);
const ignored = file("ignored.json", [prPayload("pull_request.labeled.9.json", { repo: "coord-bench-ignored", number: 1 })]);

function run(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`))));
  });
}
const hooks = (payloads, n, c) => run([path.join(path.dirname(here), "load-client.mjs"), `${argus.url}/webhooks/github`, payloads, "pull_request", WEBHOOK_SECRET, String(n), String(c), "0"]);
const gets = (p, n, c) => run([here, "--get-client", `${argus.url}${p}`, STATUS_TOKEN, String(n), String(c)]);
const duplicates = (payloads, n, c) => run([here, "--duplicate-client", `${argus.url}/webhooks/github`, payloads, WEBHOOK_SECRET, String(n), String(c)]);

const statusPath = "/status/octo-org/coord-bench-one/1";
// Warm up: instantiate the wasm, create the Durable Objects, fill connection pools.
await hooks(manyPrs, 400, 8);
await hooks(onePr, 100, 4);
await hooks(ignored, 100, 4);
await gets(statusPath, 100, 4);
await gets("/health", 100, 4);

const results = {
  health_c1: await gets("/health", L, 1),
  status_read_c1: await gets(statusPath, L, 1),
  ignored_delivery_c1: await hooks(ignored, L, 1),
  routed_delivery_c1: await hooks(manyPrs, L, 1),
  duplicate_delivery_c1: await duplicates(manyPrs, L, 1),
  one_pr_deliveries_c16: await hooks(onePr, N, C),
  many_pr_deliveries_c16: await hooks(manyPrs, N, C),
  status_reads_c16: await gets(statusPath, N, C),
  // The one PR's dedupe memory now holds ~1,000 ids: compare with routed_delivery_c1,
  // whose coordinators hold a few ids each, to see what a large state costs per write.
  one_pr_full_state_c1: await hooks(onePr, L, 1),
};
// The one PR's coordinator saw every delivery: a sanity check that they were routed, not refused.
const seen = await (await argus.fetch(statusPath, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } })).json();
await argus.close();

console.log("\ncoordinator load (workerd, local, 2-core machine; client in a second process)");
console.log("phase                    requests  errors    req/s  p50 ms  p90 ms  p99 ms  max ms");
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(24)} ${String(r.requests).padStart(8)}  ${String(r.errors).padStart(6)}  ${r.rps.toFixed(0).padStart(7)}  ${r.p50.toFixed(2).padStart(6)}  ${r.p90.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}  ${r.max.toFixed(1).padStart(6)}`,
  );
}
// Differences of medians only: a difference of two p99s on a shared machine is noise.
const hop = (a, b) => (results[a].p50 - results[b].p50).toFixed(2);
console.log(`DO round trip of a status read (status - health), p50:                  ${hop("status_read_c1", "health_c1")} ms`);
console.log(`KV read + DO hop + storage write of a delivery (routed - ignored), p50: ${hop("routed_delivery_c1", "ignored_delivery_c1")} ms`);
console.log(`KV read + DO hop, no storage write (duplicate - ignored), p50:          ${hop("duplicate_delivery_c1", "ignored_delivery_c1")} ms`);
console.log(`the coordinator's storage write and work (routed - duplicate), p50:    ${hop("routed_delivery_c1", "duplicate_delivery_c1")} ms`);
console.log(`one PR's coordinator: state ${seen.state}, ${seen.pending_review?.signals ?? 0} pushes coalesced into its pending review, ${seen.duplicates_ignored} duplicates`);
console.log(JSON.stringify(results));

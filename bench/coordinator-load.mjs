// Benchmark of the per-PR coordinator (the Durable Object) in local workerd:
// its round-trip time and its throughput. Runs the built Worker through the
// e2e harness and drives it from a SECOND process (bench/load-client.mjs for
// webhooks; this file itself in `--get-client` mode for status reads), so the
// client's CPU is not the server's. Prints figures only; nothing asserts on time.
//
// Phases:
//   latency (one request in flight, so queueing does not hide the hop):
//     - GET /health (front Worker only) vs GET /status/... (front + DO + back):
//       the difference is the DO round trip of a read;
//     - an ignored delivery (signature + parse) vs a routed one (signature +
//       parse + KV rate read + DO inbound: dedupe, debounce, storage write):
//       the difference is the KV read plus the DO hop with its write;
//   throughput (16 in flight):
//     - every delivery into ONE pull request: one DO serializes them all;
//     - deliveries spread over 200 pull requests (200 DOs);
//     - status reads of one PR.
// A long debounce keeps reviews from starting: this measures the coordinator,
// not the pipeline. Env: BENCH_REQUESTS (throughput, 2000), BENCH_LATENCY_REQUESTS (500).
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import http from "node:http";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);

if (process.argv[2] === "--get-client") {
  await getClient(process.argv.slice(3));
  process.exit(0);
}

/** Closed-loop GET load: args url token requests concurrency; prints one JSON line. */
async function getClient([url, token, nStr, cStr]) {
  const n = Number(nStr), c = Number(cStr);
  const agent = new http.Agent({ keepAlive: true, maxSockets: c });
  const target = new URL(url);
  const latencies = [];
  let errors = 0, next = 0;
  const one = async () => {
    const start = performance.now();
    try {
      const code = await new Promise((resolve, reject) => {
        const req = http.request(
          { agent, host: target.hostname, port: target.port, path: target.pathname, method: "GET",
            headers: { authorization: `Bearer ${token}`, accept: "application/json" } },
          (res) => { res.resume(); res.on("end", () => resolve(res.statusCode)); },
        );
        req.on("error", reject);
        req.end();
      });
      if (code !== 200) errors++;
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
const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const L = Number(process.env.BENCH_LATENCY_REQUESTS ?? 500);
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
  one_pr_deliveries_c16: await hooks(onePr, N, C),
  many_pr_deliveries_c16: await hooks(manyPrs, N, C),
  status_reads_c16: await gets(statusPath, N, C),
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
const hop = (a, b, q) => (results[a][q] - results[b][q]).toFixed(2);
console.log(`DO round trip of a status read (status - health):          p50 ${hop("status_read_c1", "health_c1", "p50")} ms, p99 ${hop("status_read_c1", "health_c1", "p99")} ms`);
console.log(`KV read + DO hop of a delivery (routed - ignored):          p50 ${hop("routed_delivery_c1", "ignored_delivery_c1", "p50")} ms, p99 ${hop("routed_delivery_c1", "ignored_delivery_c1", "p99")} ms`);
console.log(`one PR's coordinator: ${seen.recent_deliveries?.length ?? 0} recent deliveries kept, coalesced pushes ${seen.coalesced_pushes}, state ${seen.state}`);
console.log(JSON.stringify(results));

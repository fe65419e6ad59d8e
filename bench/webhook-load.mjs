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
//   4. a fixed 200 req/s for 5 s, p50/p99 under a realistic load.
import { startArgus, prPayload, WEBHOOK_SECRET } from "../tests/e2e/harness.mjs";
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_REQUESTS ?? 3000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 16);

const argus = await startArgus({ vars: { RATE_LIMIT_PER_REPO: "1000000", LOG_LEVEL: "error" } });
const dir = mkdtempSync(path.join(tmpdir(), "argus-bench-"));
// One repo per 100 PRs keeps a realistic spread of Durable Objects and KV keys.
const routed = Array.from({ length: 200 }, (_, i) =>
  prPayload("pull_request.synchronize.22.json", { repo: `bench-${i % 10}`, number: i + 1 }),
);
writeFileSync(path.join(dir, "routed.json"), JSON.stringify(routed));
writeFileSync(path.join(dir, "one-pr.json"), JSON.stringify([prPayload("pull_request.synchronize.22.json", { repo: "bench-one", number: 1 })]));
writeFileSync(path.join(dir, "ignored.json"), JSON.stringify([prPayload("pull_request.labeled.9.json", { repo: "bench-ignored", number: 1 })]));

function client(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(here, "load-client.mjs"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load client exited ${code}`))));
  });
}

const url = `${argus.url}/webhooks/github`;
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
await argus.close();

console.log("\nwebhook load (workerd, local, 2-core machine; client in a second process)");
console.log("phase                 requests  errors  req/s     p50 ms  p90 ms  p99 ms  max ms");
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(21)} ${String(r.requests).padStart(8)}  ${String(r.errors).padStart(6)}  ${r.rps.toFixed(0).padStart(7)}  ${r.p50.toFixed(2).padStart(6)}  ${r.p90.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}  ${r.max.toFixed(1).padStart(6)}`,
  );
}
console.log(JSON.stringify(results));

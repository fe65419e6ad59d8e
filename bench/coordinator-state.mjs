// Benchmark: does an inbound delivery slow down as one pull request's
// coordinator remembers more delivery ids? Fills ONE PR's coordinator (its
// Durable Object) to 0, 1,000 and 10,000 remembered deliveries, and at each
// level sends deliveries one at a time (a second process, bench/load-client.mjs,
// so the client's CPU is not the server's) and prints p50/p99 and the ratio to
// the empty state. A long debounce keeps reviews from starting.
//
// With BENCH_BASELINE=<bundle dir> (a `dist/` built from an earlier commit, e.g.
// target/dist-json-state) the same run is made first against that bundle, so the
// two are compared side by side on the same (noisy) machine. Prints figures
// only; nothing asserts on time. Env: BENCH_LATENCY_REQUESTS (300), BENCH_LEVELS ("0,1000,10000").
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startArgus, prPayload, WEBHOOK_SECRET, STATUS_TOKEN } from "../tests/e2e/harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const L = Number(process.env.BENCH_LATENCY_REQUESTS ?? 300);
const LEVELS = (process.env.BENCH_LEVELS ?? "0,1000,10000").split(",").map(Number);
const dir = mkdtempSync(path.join(tmpdir(), "argus-state-bench-"));

function run(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`))));
  });
}

async function measure(dist, label) {
  const argus = await startArgus({ dist, vars: { RATE_LIMIT_PER_REPO: "100000000", LOG_LEVEL: "error", REVIEW_DEBOUNCE_SECONDS: "3600" } });
  const payloads = path.join(dir, `${label}.json`);
  writeFileSync(payloads, JSON.stringify([prPayload("pull_request.synchronize.22.json", { repo: `state-bench-${label}`, number: 1 })]));
  // Warm up another PR (wasm instantiation, connection pools) so the measured one starts empty.
  const warm = path.join(dir, `${label}-warm.json`);
  writeFileSync(warm, JSON.stringify([prPayload("pull_request.synchronize.22.json", { repo: `state-bench-${label}-warm`, number: 1 })]));
  const hooks = (file, n, c) => run([path.join(here, "load-client.mjs"), `${argus.url}/webhooks/github`, file, "pull_request", WEBHOOK_SECRET, String(n), String(c), "0"]);
  await hooks(warm, 200, 4);
  const rows = [];
  let remembered = 0;
  for (const level of LEVELS) {
    if (level > remembered) {
      const fill = await hooks(payloads, level - remembered, 16);
      remembered += fill.requests - fill.errors;
    }
    const r = await hooks(payloads, L, 1);
    rows.push({ level, remembered, ...r });
    remembered += r.requests - r.errors;
  }
  const status = await (await argus.fetch("/status/octo-org/state-bench-" + label + "/1", { headers: { authorization: `Bearer ${STATUS_TOKEN}` } })).json();
  await argus.close();
  return { label, rows, coalesced: status.pending_review?.signals ?? 0 };
}

const runs = [];
if (process.env.BENCH_BASELINE) runs.push(await measure(process.env.BENCH_BASELINE, "baseline"));
runs.push(await measure("dist", "current"));

console.log(`\ninbound delivery into one PR by remembered delivery ids (local workerd, ${L} sequential requests per level)`);
console.log("bundle     remembered  errors  p50 ms  p90 ms  p99 ms  max ms  p99 / empty p99");
for (const { label, rows } of runs) {
  const empty = rows[0].p99;
  for (const r of rows) {
    console.log(
      `${label.padEnd(10)} ${String(r.remembered).padStart(10)}  ${String(r.errors).padStart(6)}  ${r.p50.toFixed(2).padStart(6)}  ${r.p90.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}  ${r.max.toFixed(1).padStart(6)}  ${(r.p99 / empty).toFixed(2).padStart(6)}×`,
    );
  }
}
console.log(JSON.stringify(runs));

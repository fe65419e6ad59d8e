// The load generator for bench/webhook-load.mjs, run as a separate process so
// the client's CPU is not the server's. Sends signed webhooks and prints one
// JSON object with latency percentiles and throughput.
// Args: url payloads.json event secret requests concurrency rate(0 = closed loop) [method]
// A secret of "-" sends no signature header; the method defaults to POST, and a
// GET sends no body (the phases that split a delivery's cost use both).
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";

const [url, payloadFile, event, secret, nStr, cStr, rateStr, method = "POST"] = process.argv.slice(2);
const payloads = JSON.parse(readFileSync(payloadFile, "utf8")).map((body) => ({
  body: method === "GET" ? "" : body,
  sig: secret === "-" ? null : "sha256=" + createHmac("sha256", secret).update(body).digest("hex"),
}));
// Phases that measure a refusal on purpose pass the status they expect.
const expected = process.env.LOAD_EXPECT_STATUS ? Number(process.env.LOAD_EXPECT_STATUS) : null;
const n = Number(nStr), c = Number(cStr), rate = Number(rateStr);
const agent = new http.Agent({ keepAlive: true, maxSockets: c });
const target = new URL(url);

const latencies = [];
let errors = 0, next = 0;
const t0 = performance.now();
async function one(i) {
  const p = payloads[i % payloads.length];
  const start = performance.now();
  try {
    const status = await new Promise((resolve, reject) => {
      const headers = method === "GET" ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(p.body),
        "x-github-event": event, "x-github-delivery": randomUUID() };
      if (p.sig && method !== "GET") headers["x-hub-signature-256"] = p.sig;
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method, headers },
        (res) => { res.resume(); res.on("end", () => resolve(res.statusCode)); },
      );
      req.on("error", reject);
      req.end(p.body);
    });
    if (expected ? status !== expected : status >= 300 && status !== 429) errors++;
  } catch {
    errors++;
  }
  latencies.push(performance.now() - start);
}
if (rate > 0) {
  // Open loop: start request i at t0 + i/rate, whatever the earlier ones do.
  const pending = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(one(i));
  }
  await Promise.all(pending);
} else {
  await Promise.all(Array.from({ length: c }, async () => { while (next < n) await one(next++); }));
}
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(JSON.stringify({ requests: n, errors, seconds: elapsed, rps: n / elapsed, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies[latencies.length - 1] }));

// The end-to-end harness: runs the BUILT wasm Worker (dist/, made by
// scripts/bundle) in workerd through wrangler's test harness, configured from the
// real wrangler.toml plus test-only vars and secrets, and helpers to send signed
// webhooks built from the real payloads in ../shared/corpora/webhooks.
import { createTestHarness } from "wrangler";
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import http from "node:http";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CORPORA = path.resolve(ROOT, "../shared/corpora");
export const WEBHOOK_SECRET = "e2e-webhook-secret";
export const STATUS_TOKEN = "e2e-status-token";

/** Starts ArgusAI in workerd. `vars` and `secrets` override wrangler.toml / .dev.vars. */
/** `dist` (or ARGUS_DIST) names another bundle, relative to the repository: side-by-side benchmarks, or a suite run against an older build. */
export async function startArgus({ vars = {}, secrets = {}, dist = process.env.ARGUS_DIST ?? "dist" } = {}) {
  if (!existsSync(path.join(ROOT, dist, "index.js"))) {
    throw new Error("dist/ is missing: run scripts/bundle (scripts/test does) before the e2e suite");
  }
  const server = createTestHarness({
    root: ROOT,
    workers: [
      {
        configPath: "wrangler.toml",
        env: "",
        prebuiltWorkerDir: dist,
        vars: { LOG_LEVEL: "info", ...vars },
        secrets: { GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET, STATUS_TOKEN, ...secrets },
      },
    ],
  });
  const { url } = await server.listen();
  return {
    server,
    url: url.toString().replace(/\/$/, ""),
    fetch: (p, init) => server.fetch(p, init),
    close: () => server.close(),
    logs: () => server.getLogs(),
  };
}

/** HMAC-SHA256 signature header GitHub would send. */
export function sign(body, secret = WEBHOOK_SECRET) {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

/** A corpus payload's raw text. */
export function corpusPayload(name) {
  return readFileSync(path.join(CORPORA, "webhooks", name), "utf8");
}

/** Event name from a corpus file name `EVENT.ACTION.N.json`. */
export function eventOf(name) {
  return name.split(".")[0];
}

/** Builds a signed webhook request init. Options let tests forge every part. */
export function webhookInit(body, { event = "pull_request", delivery = randomUUID(), secret = WEBHOOK_SECRET, signature, contentType = "application/json", headers = {} } = {}) {
  const h = {
    "content-type": contentType,
    "x-github-event": event,
    "x-github-delivery": delivery,
    "user-agent": "GitHub-Hookshot/e2e",
    ...headers,
  };
  const sig = signature === undefined ? sign(body, secret) : signature;
  if (sig !== null) h["x-hub-signature-256"] = sig;
  for (const [k, v] of Object.entries(h)) if (v === null) delete h[k];
  return { method: "POST", headers: h, body };
}

/** Rewrites a corpus pull_request payload to a given repo/number/head (and an installation). */
export function prPayload(name, { owner = "octo-org", repo = "hello", number, head, installation = 4242, action } = {}) {
  const p = JSON.parse(corpusPayload(name));
  p.repository.full_name = `${owner}/${repo}`;
  p.repository.name = repo;
  p.repository.owner.login = owner;
  if (number !== undefined) {
    p.number = number;
    p.pull_request.number = number;
  }
  if (head) p.pull_request.head.sha = head;
  if (action) p.action = action;
  if (installation !== null) p.installation = { id: installation, node_id: "MDIz" };
  return JSON.stringify(p);
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually(fn, { timeoutMs = 10000, intervalMs = 50, what = "condition" } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

export function statusOf(argus, prPath) {
  return argus.fetch(prPath, { headers: { authorization: `Bearer ${STATUS_TOKEN}`, accept: "application/json" } });
}

/**
 * Posts over a real socket and resolves with the status as soon as the response
 * head arrives, even if the server answers (and closes) before the upload ends,
 * as servers may do for an oversized body. `chunked` omits Content-Length.
 */
export function rawPost(baseUrl, pathName, headers, body, { chunked = false } = {}) {
  return new Promise((resolve, reject) => {
    const target = new URL(pathName, baseUrl);
    const h = { ...headers };
    if (!chunked) h["content-length"] = Buffer.byteLength(body);
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: h }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, text }));
      res.on("error", () => resolve({ status: res.statusCode, text }));
    });
    req.on("error", (e) => (req.destroyed && req.res ? undefined : reject(e)));
    const buf = Buffer.from(body);
    const step = 1 << 20;
    let offset = 0;
    const pump = () => {
      while (offset < buf.length) {
        const ok = req.write(buf.subarray(offset, offset + step));
        offset += step;
        if (!ok) return req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

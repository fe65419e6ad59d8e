// Signs a payload file with HMAC-SHA256 and posts it as a GitHub webhook.
// See scripts/send-webhook for usage.
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const usage = "usage: scripts/send-webhook <payload.json> [--event NAME] [--port N | --url URL] [--secret S]";
let file, event, url, secret, port = "8787";
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--event") event = args[++i];
  else if (a === "--port") port = args[++i];
  else if (a === "--url") url = args[++i];
  else if (a === "--secret") secret = args[++i];
  else if (a.startsWith("--")) { console.error(`unknown option ${a}\n${usage}`); process.exit(2); }
  else file = a;
}
if (!file) { console.error(usage); process.exit(2); }
if (!existsSync(file)) { console.error(`no such file: ${file}`); process.exit(2); }
event ??= path.basename(file).split(".")[0];
url ??= `http://127.0.0.1:${port}/webhooks/github`;
if (!secret) {
  const vars = path.join(root, ".dev.vars");
  const m = existsSync(vars) && readFileSync(vars, "utf8").match(/^GITHUB_WEBHOOK_SECRET\s*=\s*"?([^"\n]*)"?/m);
  if (!m) { console.error("no --secret given and no GITHUB_WEBHOOK_SECRET in .dev.vars (scripts/dev creates it)"); process.exit(2); }
  secret = m[1].split(",")[0].trim();
}
const body = readFileSync(file);
const delivery = randomUUID();
const res = await fetch(url, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": delivery,
    "x-hub-signature-256": "sha256=" + createHmac("sha256", secret).update(body).digest("hex"),
    "user-agent": "GitHub-Hookshot/argusai-send-webhook",
  },
  body,
}).catch((e) => { console.error(`could not reach ${url}: ${e.cause?.message ?? e.message}`); process.exit(1); });
console.log(`${event} ${delivery} -> ${res.status}`);
console.log(await res.text());
process.exit(res.ok ? 0 : 1);

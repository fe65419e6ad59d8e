// The local sandbox behind `scripts/dev` when no GitHub App credentials are
// configured: starts the loopback stand-ins for GitHub and the LLM from tests/,
// runs the real Worker with `wrangler dev` pointed at them, opens a sample pull
// request built from a real diff, and prints the review ArgusAI posted and the
// status URL. The fake GitHub's web side is on too: /setup registers an App on
// it, and the dashboard signs you in as a maintainer of the sample repository.
// It keeps running so you can send more webhooks; Ctrl-C stops all.
import { spawn } from "node:child_process";
import { createHmac, randomUUID, createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeGitHub, TEST_PRIVATE_KEY_PATH } from "../tests/fakes/github.mjs";
import { startFakeLlm, steps } from "../tests/fakes/llm.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const arg = (name, dflt) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const port = Number(arg("port", "8787"));
const corpora = path.resolve(root, "../shared/corpora/diffs/real");
const diffPath = arg("diff", existsSync(path.join(corpora, "ripgrep-2a2b1506d42c.diff")) ? path.join(corpora, "ripgrep-2a2b1506d42c.diff") : null);
const APP_ID = "424242";
const owner = "sandbox-org", repo = "sandbox", number = 1;

function devVar(name) {
  const file = path.join(root, ".dev.vars");
  const m = existsSync(file) && readFileSync(file, "utf8").match(new RegExp(`^${name}\\s*=\\s*"?([^"\\n]*)"?`, "m"));
  return m ? m[1] : null;
}
const webhookSecret = (devVar("GITHUB_WEBHOOK_SECRET") ?? "sandbox-secret").split(",")[0].trim();
const statusToken = devVar("STATUS_TOKEN") ?? "local-status-token";
// Throwaway dashboard credentials for this run (the fake GitHub knows them).
const setupToken = randomBytes(18).toString("base64url");
const sessionKeys = randomBytes(32).toString("base64url");
const clientId = `Iv23lisandbox${randomBytes(4).toString("hex")}`;
const clientSecret = randomBytes(20).toString("hex");

console.log("\n  ArgusAI SANDBOX mode: no GitHub App credentials in .dev.vars, so GitHub and the");
console.log("  model are loopback stand-ins from tests/fakes. Put GITHUB_APP_PRIVATE_KEY (and");
console.log("  GITHUB_APP_ID, GITHUB_TOKEN or LLM_API_KEY) in .dev.vars to talk to real GitHub.\n");

const github = await startFakeGitHub({ appId: APP_ID, port: port + 1 });
const llm = await startFakeLlm({ port: port + 2, default: steps.citeLines({ max: 2 }) });
console.log(`  fake GitHub: ${github.url}   fake LLM: ${llm.url}`);

// A fresh state directory: the stand-ins start empty, so must the coordinators.
const scratch = mkdtempSync(path.join(tmpdir(), "argus-sandbox-"));
const envFile = path.join(scratch, "sandbox.env");
writeFileSync(
  envFile,
  [
    `GITHUB_WEBHOOK_SECRET="${webhookSecret}"`,
    `STATUS_TOKEN="${statusToken}"`,
    `GITHUB_APP_PRIVATE_KEY="${readFileSync(TEST_PRIVATE_KEY_PATH, "utf8").trim()}"`,
    `GITHUB_TOKEN="sandbox-models-token"`,
    `GITHUB_CLIENT_SECRET="${clientSecret}"`,
    `SESSION_KEYS="${sessionKeys}"`,
    `SETUP_TOKEN="${setupToken}"`,
  ].join("\n") + "\n",
);
const vars = {
  GITHUB_APP_ID: APP_ID,
  GITHUB_API_URL: github.url,
  LLM_BASE_URL: llm.url,
  REVIEW_DEBOUNCE_SECONDS: "1",
  GITHUB_WRITE_SPACING_MS: "0",
  GITHUB_WEB_URL: github.webUrl,
  GITHUB_CLIENT_ID: clientId,
};
// The sandbox App on the fake's web side: sign-in works, and a maintainer sees the sample repository.
github.web.addApp({ id: Number(APP_ID), name: "ArgusAI sandbox", slug: "argusai-sandbox", clientId, clientSecret, callbackUrls: [`http://127.0.0.1:${port}/auth/callback`], setupUrl: `http://127.0.0.1:${port}/dashboard` });
github.web.install({ appId: Number(APP_ID), id: 1, account: owner, repos: [`${owner}/${repo}`] });
github.web.grant("sandbox-maintainer", `${owner}/${repo}`, "maintain");
github.web.signIn("sandbox-maintainer");
// Wrangler's CLI under this same Node 22 (no npx layer, so signals reach it).
const wranglerCli = path.join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js");
const wrangler = spawn(
  process.execPath,
  [wranglerCli, "dev", "--env", "", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false",
    "--env-file", envFile, "--persist-to", path.join(scratch, "state"), ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
  { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ARGUS_PREBUILT: "1" } },
);
const stop = async () => {
  try { wrangler.kill("SIGTERM"); } catch {}
  await github.close();
  await llm.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", (code) => { console.error(`wrangler dev exited (${code})`); stop(); });

const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/health`)).ok) break; } catch {}
  if (i > 600) { console.error("ArgusAI did not start within 60 s"); await stop(); }
  await new Promise((r) => setTimeout(r, 100));
}

if (diffPath) {
  const head = createHash("sha1").update("sandbox-head").digest("hex");
  const baseSha = createHash("sha1").update("sandbox-base").digest("hex");
  github.addPullRequest({ owner, repo, number, diffPath, headSha: head, baseSha, title: `Sample PR from ${path.basename(diffPath)}` });
  const payload = JSON.stringify({
    action: "opened", number,
    pull_request: { number, state: "open", draft: false, title: "Sample PR", user: { login: "octocat", type: "User" }, head: { sha: head, ref: "feature" }, base: { sha: baseSha, ref: "main" }, labels: [] },
    repository: { full_name: `${owner}/${repo}` }, installation: { id: 1 }, sender: { login: "octocat", type: "User" },
  });
  const res = await fetch(`${base}/webhooks/github`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": randomUUID(), "x-hub-signature-256": "sha256=" + createHmac("sha256", webhookSecret).update(payload).digest("hex") },
    body: payload,
  });
  console.log(`\n  sent pull_request.opened for ${owner}/${repo}#${number} (${path.basename(diffPath)}): ${res.status}`);
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline && !github.state.issueComments.some((c) => c.number === number)) await new Promise((r) => setTimeout(r, 200));
  const reviews = github.submittedReviews(owner, repo, number);
  const summary = github.state.issueComments.find((c) => c.number === number);
  console.log("\n================ the review ArgusAI posted ================");
  for (const r of reviews) {
    console.log(r.body ?? "");
    for (const c of r.comments) console.log(`\n--- ${c.path}:${c.line} (${c.side ?? "RIGHT"})\n${c.body}`);
  }
  console.log("\n================ the summary comment ================\n" + (summary?.body ?? "(none yet)"));
}
console.log(`\n  status:  curl -H 'Authorization: Bearer ${statusToken}' ${base}/status/${owner}/${repo}/${number}`);
console.log(`  webhook: POST ${base}/webhooks/github   health: ${base}/health`);
console.log(`  dashboard: ${base}/dashboard  (signs you in on the fake GitHub as sandbox-maintainer)`);
console.log(`  setup:     ${base}/setup?token=${setupToken}  (registers an App on the fake GitHub)`);
console.log("  Ctrl-C stops ArgusAI and the stand-ins.\n");

// End to end, in workerd against the fakes: the README's "Install on your
// GitHub in 5 minutes", step by step from an empty deployment: /setup, GitHub's
// registration page, the printed commands run for real (against a stand-in for
// `npx wrangler`), the redeploy with them, installing the App, signing in, and
// the first review signed with the new App's key (issue 11).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, chmodSync, mkdirSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFakeGitHub } from "../fakes/github.mjs";
import { startFakeLlm } from "../fakes/llm.mjs";
import { startArgus, eventually, ROOT } from "./harness.mjs";
import { Browser, formOf, unescapeHtml, flagAdded, openPr, waitOutcome } from "./dashboard-fixtures.mjs";

test("Install on your GitHub in 5 minutes: /setup → GitHub → printed commands → deploy → install → sign in → a review", async (t) => {
  const github = await startFakeGitHub({ appId: null });
  const llm = await startFakeLlm();
  llm.setDefault({ reply: flagAdded({ max: 1 }) });
  let argus = await startArgus({ vars: { GITHUB_APP_ID: "", GITHUB_API_URL: github.url, GITHUB_WEB_URL: github.webUrl, LLM_BASE_URL: llm.url, REVIEW_DEBOUNCE_SECONDS: "1", GITHUB_WRITE_SPACING_MS: "0" }, secrets: { GITHUB_TOKEN: "e2e-models-token" } });
  try {
    const browser = new Browser();
    github.web.signIn("octo-owner");
    github.web.grant("octo-owner", "octo-owner/demo", "admin");

    // 1. Deploy, open /setup: a form, then a page that posts the manifest to GitHub.
    const start = await browser.go(`${argus.url}/setup`);
    assert.equal(start.status, 200);
    assert.match(start.text, /webhooks\/github/);
    const confirm = await browser.submit(start, formOf(start.text, /\/setup/), { name: "ArgusAI", account: "personal" });
    assert.equal(confirm.status, 200, confirm.text);
    const toGitHub = formOf(confirm.text, /settings\/apps\/new/);
    assert.ok(toGitHub, "the page posts to GitHub's register-an-App page");
    assert.equal(new URL(toGitHub.action).origin, github.webUrl);
    const manifest = JSON.parse(toGitHub.fields.manifest);
    assert.equal(manifest.hook_attributes.url, `${argus.url}/webhooks/github`);
    assert.deepEqual(manifest.callback_urls, [`${argus.url}/auth/callback`]);
    assert.equal(manifest.redirect_url, `${argus.url}/setup/callback`);
    assert.deepEqual(Object.keys(manifest.default_permissions).sort(), ["checks", "contents", "issues", "metadata", "pull_requests"]);

    // 2. Click: GitHub shows its page, the operator confirms, GitHub sends them back with a code.
    const onGitHub = await browser.submit(confirm, toGitHub);
    assert.match(onGitHub.text, /Create GitHub App for octo-owner/);
    const done = await browser.submit(onGitHub, formOf(onGitHub.text, /confirm/));
    assert.equal(done.status, 200, done.text);
    assert.match(done.text, /This page is shown once/);
    const [app] = [...github.web.apps.values()];
    assert.equal(unescapeHtml(/id="app-id">(\d+)</.exec(done.text)[1]), String(app.id));
    assert.equal(browser.cookie(argus.url, "argus_setup"), undefined, "the setup cookie is cleared");
    // The code converts once: reloading the page cannot show the secrets again.
    const reload = await browser.go(done.url);
    assert.notEqual(reload.status, 200);
    assert.doesNotMatch(reload.text, /PRIVATE KEY/);
    // Nothing secret reached the logs.
    let logs = "";
    try {
      logs = JSON.stringify(argus.logs());
    } catch {}
    for (const secret of [app.clientSecret, app.webhookSecret, app.pem.split("\n")[1]]) assert.ok(!logs.includes(secret), "a secret in the logs");

    // 3. Paste the printed commands: the script runs `npx wrangler secret put` — here a stand-in records what it receives.
    const vars = Object.fromEntries([...unescapeHtml(/<pre id="vars">([\s\S]*?)<\/pre>/.exec(done.text)[1]).matchAll(/^(\w+) = "([^"]*)"$/gm)].map((m) => [m[1], m[2]]));
    assert.deepEqual(Object.keys(vars), ["GITHUB_APP_ID", "GITHUB_CLIENT_ID"]);
    const script = unescapeHtml(/<pre id="secrets">([\s\S]*?)<\/pre>/.exec(done.text)[1]);
    const dir = mkdtempSync(path.join(tmpdir(), "argus-setup-"));
    const captured = path.join(dir, "captured");
    mkdirSync(captured);
    writeFileSync(path.join(dir, "npx"), `#!/usr/bin/env bash\n# Records "npx wrangler secret put NAME --env ENV" with its stdin.\n[[ "$1 $2 $3" == "wrangler secret put" && "$5 $6" == "--env production" ]] || { echo "unexpected: $*" >&2; exit 3; }\ncat > "${captured}/$4"\n`);
    chmodSync(path.join(dir, "npx"), 0o755);
    writeFileSync(path.join(dir, "argusai-secrets.sh"), script);
    const run = spawnSync("bash", [path.join(dir, "argusai-secrets.sh")], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const secrets = Object.fromEntries(readdirSync(captured).map((n) => [n, readFileSync(path.join(captured, n), "utf8")]));
    assert.deepEqual(Object.keys(secrets).sort(), ["GITHUB_APP_PRIVATE_KEY", "GITHUB_CLIENT_SECRET", "GITHUB_WEBHOOK_SECRET", "SESSION_KEYS", "SETUP_TOKEN"]);
    assert.equal(secrets.GITHUB_APP_PRIVATE_KEY.trim(), app.pem.trim());
    assert.equal(secrets.GITHUB_WEBHOOK_SECRET, app.webhookSecret);
    assert.equal(secrets.GITHUB_CLIENT_SECRET, app.clientSecret);

    // 4. Deploy with them (wrangler.toml vars + secrets), then /setup is closed but for the setup token.
    await argus.close();
    argus = await startArgus({
      vars: { ...vars, GITHUB_API_URL: github.url, GITHUB_WEB_URL: github.webUrl, LLM_BASE_URL: llm.url, REVIEW_DEBOUNCE_SECONDS: "1", GITHUB_WRITE_SPACING_MS: "0" },
      secrets: { ...secrets, GITHUB_TOKEN: "e2e-models-token" },
    });
    // The App's URLs point at the Worker's origin; the new deployment listens elsewhere here.
    app.callbackUrls = [`${argus.url}/auth/callback`];
    app.setupUrl = `${argus.url}/dashboard`;
    assert.equal((await fetch(`${argus.url}/setup`)).status, 404);
    assert.equal((await fetch(`${argus.url}/setup?token=wrong`)).status, 404);
    assert.equal((await fetch(`${argus.url}/setup?token=${encodeURIComponent(secrets.SETUP_TOKEN)}`)).status, 200);
    assert.equal((await fetch(`${argus.url}/setup/callback?code=x&state=y`)).status, 404);

    // 5. Install the App (the link on the page), land on the dashboard, sign in.
    const installUrl = unescapeHtml(/id="install" href="([^"]+)"/.exec(done.text)[1]);
    const installPage = await browser.go(installUrl);
    const landed = await browser.submit(installPage, formOf(installPage.text, /installations\/new/), { repos: "octo-owner/demo" });
    const dashboard = landed.text.includes("/login/oauth/authorize") ? await browser.submit(landed, formOf(landed.text, /\/login\/oauth\/authorize/)) : landed;
    assert.equal(dashboard.status, 200, dashboard.text);
    assert.match(dashboard.text, /Signed in as <strong>octo-owner<\/strong>/);
    assert.match(dashboard.text, /href="\/dashboard\/octo-owner\/demo"/);

    // 6. A pull request gets its review: the App id, key and webhook secret all work.
    const [installation] = [...github.web.installations.values()].filter((i) => i.appId === app.id);
    const stack = { github, argus };
    const pr = await openPr(stack, "octo-owner", "demo", 1, { secret: secrets.GITHUB_WEBHOOK_SECRET, installation: installation.id });
    await waitOutcome(stack, pr, "posted");
    assert.equal(github.submittedReviews("octo-owner", "demo", 1).length, 1);
    t.diagnostic(`setup → first review in ${browser.history.length} browser requests`);
  } finally {
    await argus.close();
    await github.close();
    await llm.close();
  }
});


test("scripts/create-app registers the App from a terminal and writes .dev.vars", async () => {
  const github = await startFakeGitHub({ appId: null });
  const dir = mkdtempSync(path.join(tmpdir(), "argus-create-app-"));
  const out = path.join(dir, ".dev.vars");
  writeFileSync(out, '# kept\nLLM_API_KEY="keep-me"\nGITHUB_APP_ID="old"\n');
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "create-app.mjs"), "--port", String(port), "--out", out, "--org", "acme", "--worker-url", "https://argus.example"], {
    env: { ...process.env, GITHUB_WEB_URL: github.webUrl, GITHUB_API_URL: github.url },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  try {
    let printed = "";
    child.stdout.on("data", (d) => (printed += d));
    await eventually(() => printed.includes("Open http://127.0.0.1"), { what: "create-app to listen" });
    github.web.addOrgOwner("acme", "octo-owner");
    github.web.signIn("octo-owner");
    const browser = new Browser();
    const start = await browser.go(`http://127.0.0.1:${port}/`);
    const form = formOf(start.text, /settings\/apps\/new/);
    assert.equal(new URL(form.action).pathname, "/organizations/acme/settings/apps/new");
    const manifest = JSON.parse(form.fields.manifest);
    assert.equal(manifest.hook_attributes.url, "https://argus.example/webhooks/github");
    assert.equal(manifest.redirect_url, `http://127.0.0.1:${port}/callback`);
    const onGitHub = await browser.submit(start, form);
    const done = await browser.submit(onGitHub, formOf(onGitHub.text, /confirm/));
    assert.equal(done.status, 200, done.text);
    assert.equal(await exited, 0, "create-app exits once the App is written");
    const [app] = [...github.web.apps.values()];
    const text = readFileSync(out, "utf8");
    assert.match(text, /^# kept$/m);
    assert.match(text, /^LLM_API_KEY="keep-me"$/m, "other settings stay");
    assert.match(text, new RegExp(`^GITHUB_APP_ID="${app.id}"$`, "m"));
    assert.ok(!text.includes('GITHUB_APP_ID="old"'));
    assert.ok(text.includes(`GITHUB_APP_PRIVATE_KEY="${app.pem.trim()}"`));
    for (const k of ["GITHUB_WEBHOOK_SECRET", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "SESSION_KEYS", "SETUP_TOKEN"]) assert.match(text, new RegExp(`^${k}="[^"]+"$`, "m"), k);
    assert.equal(statSync(out).mode & 0o777, 0o600, ".dev.vars is readable by its owner only");
  } finally {
    child.kill();
    await github.close();
  }
});

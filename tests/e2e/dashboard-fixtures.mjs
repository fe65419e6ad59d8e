// Shared set-up for the dashboard's end-to-end suites (dashboard.test.mjs and
// browser.test.mjs): ArgusAI in workerd wired to the fake GitHub (REST and web
// side), the fake LLM and the chat stand-in, with the App known to the fake's
// web side so "Sign in with GitHub" works; and a small cookie-keeping HTTP
// client that walks redirects across origins like a browser would.
import { readFileSync } from "node:fs";
import { createHmac, randomBytes } from "node:crypto";
import { startFakeGitHub, TEST_PRIVATE_KEY_PATH } from "../fakes/github.mjs";
import { startFakeLlm, linesInPrompt, finding } from "../fakes/llm.mjs";
import { startFakeChat } from "../fakes/chat.mjs";
import { randomUUID } from "node:crypto";
import assert from "node:assert/strict";
import { startArgus, webhookInit, STATUS_TOKEN, eventually } from "./harness.mjs";
import { APP_ID, INSTALLATION, sha, prEvent } from "./fixtures.mjs";

/** Secret-shaped test values are made at run time, never written in the repo. */
export const runtimeSecret = (n = 32) => randomBytes(n).toString("base64url");

/**
 * Starts the fakes and ArgusAI with the dashboard configured. `repos` are
 * installed on the test App's installation; `chat: true` adds the Slack and
 * Discord stand-in (as the operator's secrets).
 */
export async function startDashStack({ vars = {}, secrets = {}, chat = false, repos = [] } = {}) {
  const github = await startFakeGitHub({ appId: APP_ID });
  const llm = await startFakeLlm();
  const chatFake = chat ? await startFakeChat() : null;
  const sessionKeys = runtimeSecret();
  const clientId = `Iv23li${randomBytes(6).toString("hex")}`;
  const clientSecret = runtimeSecret(20);
  const argus = await startArgus({
    vars: {
      GITHUB_APP_ID: APP_ID,
      GITHUB_API_URL: github.url,
      GITHUB_WEB_URL: github.webUrl,
      GITHUB_CLIENT_ID: clientId,
      LLM_BASE_URL: llm.url,
      LLM_PROVIDER: "github-models",
      GITHUB_MODEL: "openai/gpt-4o-mini",
      REVIEW_DEBOUNCE_SECONDS: "1",
      RETRY_BASE_SECONDS: "1",
      RETRY_MAX_SECONDS: "4",
      GITHUB_WRITE_SPACING_MS: "0",
      NOTIFY_MIN_SEVERITY: "high",
      ...vars,
    },
    secrets: {
      GITHUB_APP_PRIVATE_KEY: readFileSync(TEST_PRIVATE_KEY_PATH, "utf8"),
      GITHUB_TOKEN: "e2e-models-token",
      GITHUB_CLIENT_SECRET: clientSecret,
      SESSION_KEYS: sessionKeys,
      ...(chatFake ? { SLACK_WEBHOOK_URL: chatFake.slackUrl, DISCORD_WEBHOOK_URL: chatFake.discordUrl } : {}),
      ...secrets,
    },
  });
  github.web.addApp({ id: APP_ID, name: "ArgusAI e2e", slug: "argusai-e2e", clientId, clientSecret, callbackUrls: [`${argus.url}/auth/callback`], setupUrl: `${argus.url}/dashboard` });
  github.web.install({ appId: APP_ID, id: INSTALLATION, account: repos[0]?.split("/")[0] ?? "octo-org", repos });
  return {
    github,
    llm,
    chat: chatFake,
    argus,
    sessionKeys,
    clientId,
    async close() {
      await argus.close();
      await github.close();
      await llm.close();
      await chatFake?.close();
    },
  };
}

/** The model flags the first `max` added lines with `severity` findings. */
export function flagAdded({ max = 2, severity = "high" } = {}) {
  return (req) => {
    const added = linesInPrompt(req.prompt).filter((l) => l.path && l.text.trimStart().startsWith("+"));
    return { findings: added.slice(0, max).map((l) => finding(l.path, l.line, `Line ${l.line} needs a guard.`, { severity, title: `Unchecked input on line ${l.line}` })), summary: "Unchecked input." };
  };
}

/** HTML entities back to text (for values the pages escape). */
export function unescapeHtml(s) {
  return String(s).replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]);
}

/** The first `<form>` of a page whose action matches `pattern`: its method, action and fields. */
export function formOf(html, pattern = /./) {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attr = (name) => (new RegExp(`${name}="([^"]*)"`).exec(m[1]) ?? [])[1];
    const action = unescapeHtml(attr("action") ?? "");
    if (!pattern.test(action)) continue;
    const fields = {};
    for (const i of m[2].matchAll(/<input\b([^>]*)>/g)) {
      const name = (/name="([^"]*)"/.exec(i[1]) ?? [])[1];
      const value = (/value="([^"]*)"/.exec(i[1]) ?? [])[1] ?? "";
      if (name && !(name in fields)) fields[name] = unescapeHtml(value);
    }
    return { method: (attr("method") ?? "get").toLowerCase(), action, fields };
  }
  return null;
}

/**
 * A cookie-keeping client that follows redirects across origins (ArgusAI and
 * the fake GitHub), like a browser. Cookies are kept per origin; `Max-Age=0`
 * deletes. It ignores `Secure`, as browsers do for 127.0.0.1.
 */
export class Browser {
  constructor() {
    this.jar = new Map();
    this.history = [];
  }
  cookies(origin) {
    if (!this.jar.has(origin)) this.jar.set(origin, new Map());
    return this.jar.get(origin);
  }
  cookie(url, name) {
    return this.cookies(new URL(url).origin).get(name);
  }
  setCookie(url, name, value) {
    this.cookies(new URL(url).origin).set(name, value);
  }
  store(origin, res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (gone) this.cookies(origin).delete(name);
      else this.cookies(origin).set(name, value);
    }
  }
  /** One request (no redirect following); returns { status, headers, text, url }. */
  async request(url, { method = "GET", form, headers = {} } = {}) {
    const origin = new URL(url).origin;
    const jar = this.cookies(origin);
    const h = { ...headers };
    if (jar.size) h.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(url, { method, headers: h, body, redirect: "manual" });
    this.store(origin, res);
    const text = await res.text();
    this.history.push({ method, url, status: res.status });
    return { status: res.status, headers: res.headers, text, url };
  }
  /** Follows redirects (303 turns a POST into a GET, as browsers do). */
  async go(url, init = {}) {
    let r = await this.request(url, init);
    for (let hops = 0; [301, 302, 303, 307, 308].includes(r.status) && hops < 12; hops++) {
      const next = new URL(r.headers.get("location"), r.url).toString();
      const keep = r.status === 307 || r.status === 308;
      r = await this.request(next, keep ? init : { headers: init.headers });
    }
    return r;
  }
  /** Submits a form found on `page` (its action resolved against the page's URL). */
  async submit(page, form, extra = {}, headers = {}) {
    const action = new URL(form.action || page.url, page.url).toString();
    if (form.method === "post") return this.go(action, { method: "POST", form: { ...form.fields, ...extra }, headers });
    const u = new URL(action);
    for (const [k, v] of Object.entries({ ...form.fields, ...extra })) u.searchParams.set(k, v);
    return this.go(u.toString(), { headers });
  }
}

/** Signs `login` in to the dashboard through GitHub (approving the consent page if shown); returns the landing page. */
export async function signIn(stack, browser, login, path = "/dashboard") {
  stack.github.web.signIn(login);
  let page = await browser.go(`${stack.argus.url}${path}`);
  const consent = formOf(page.text, /\/login\/oauth\/authorize/);
  if (consent) page = await browser.submit(page, consent);
  return page;
}

/** A session cookie signed with `keys` the way argus-dashboard signs them, for forgery tests. */
export function signCookie(kind, payload, key) {
  const p = Buffer.from(JSON.stringify(payload)).toString("base64url");
  const mac = createHmac("sha256", key).update(`argus.${kind}.v1.${p}`).digest("base64url");
  return `v1.${p}.${mac}`;
}

/** The payload of a signed cookie value. */
export function cookiePayload(value) {
  return JSON.parse(Buffer.from(value.split(".")[1], "base64url").toString("utf8"));
}

export const csrfOf = (html) => unescapeHtml((/name="csrf" value="([^"]*)"/.exec(html) ?? [])[1] ?? "");

/** A new file of `n` lines, as a git diff. */
function newFileDiff(file, n = 6) {
  const lines = Array.from({ length: n }, (_, i) => `let value_${i} = input[${i}] / divisor;`);
  return [`diff --git a/${file} b/${file}`, "new file mode 100644", "index 0000000..1111111", "--- /dev/null", `+++ b/${file}`, `@@ -0,0 +1,${n} @@`, ...lines.map((l) => `+${l}`), ""].join("\n");
}

/** Opens `owner/repo#number` on the fake and sends the signed webhook. */
export async function openPr(stack, owner, repo, number, { secret, installation = INSTALLATION } = {}) {
  const head = sha(`${owner}/${repo}#${number}-head-${randomUUID()}`);
  const base = sha(`${owner}/${repo}-base`);
  stack.github.addPullRequest({ owner, repo, number, headSha: head, baseSha: base, diffText: newFileDiff(`src/n${number}.rs`) });
  const body = JSON.parse(prEvent({ owner, repo, number, head, base }));
  body.installation = { id: installation, node_id: "MDIz" };
  const r = await stack.argus.fetch("/webhooks/github", webhookInit(JSON.stringify(body), { event: "pull_request", ...(secret ? { secret } : {}) }));
  assert.equal(r.status, 202, await r.text());
  return { owner, repo, number, head };
}

export async function prStatus(stack, pr) {
  const r = await stack.argus.fetch(`/status/${pr.owner}/${pr.repo}/${pr.number}`, { headers: { authorization: `Bearer ${STATUS_TOKEN}`, accept: "application/json" } });
  return r.status === 200 ? r.json() : null;
}

export async function waitOutcome(stack, pr, outcome, timeoutMs = 45000) {
  return eventually(async () => {
    const s = await prStatus(stack, pr);
    return s?.history?.some((h) => h.outcome === outcome) && !["queued", "running"].includes(s.state) ? s : null;
  }, { timeoutMs, intervalMs: 250, what: `${outcome} on ${pr.owner}/${pr.repo}#${pr.number}` });
}


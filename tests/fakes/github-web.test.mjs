// Tests of the fake GitHub's web side and of the chat stand-in: the dashboard's
// end-to-end tests prove only as much as these fakes are faithful.
// Run: `npx node --test tests/fakes/github-web.test.mjs`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, createSign, randomBytes } from "node:crypto";
import { startFakeGitHub } from "./github.mjs";
import { startFakeChat } from "./chat.mjs";

const UA = { "user-agent": "web-test" };
let gh;
before(async () => {
  gh = await startFakeGitHub({ appId: null });
});
after(() => gh.close());

const manifest = (over = {}) => ({
  name: `App ${randomBytes(3).toString("hex")}`,
  url: "https://w.example",
  hook_attributes: { url: "https://w.example/webhooks/github" },
  redirect_url: "https://w.example/setup/callback",
  callback_urls: ["https://w.example/auth/callback"],
  setup_url: "https://w.example/dashboard",
  public: false,
  default_permissions: { pull_requests: "write", issues: "write", metadata: "read" },
  default_events: ["pull_request", "issue_comment"],
  ...over,
});

async function post(path, form, headers = {}) {
  return fetch(`${gh.webUrl}${path}`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...UA, ...headers }, body: new URLSearchParams(form).toString() });
}

/** Registers an App through the manifest flow like a browser; returns { code, state, location }. */
async function register(m, { org, state = "st-1" } = {}) {
  const path = org ? `/organizations/${org}/settings/apps/new?state=${state}` : `/settings/apps/new?state=${state}`;
  const form = await post(path, { manifest: JSON.stringify(m) });
  const page = await form.text();
  assert.equal(form.status, 200, page);
  const registration = /name="registration" value="([^"]+)"/.exec(page)[1];
  const done = await post("/settings/apps/new/confirm", { registration, name: m.name });
  assert.equal(done.status, 302, await done.text());
  const location = new URL(done.headers.get("location"));
  return { code: location.searchParams.get("code"), state: location.searchParams.get("state"), location };
}

test("the manifest flow registers an App once and converts its code once", async () => {
  gh.web.signIn("owner1");
  const m = manifest();
  const { code, state, location } = await register(m);
  assert.equal(`${location.origin}${location.pathname}`, "https://w.example/setup/callback");
  assert.equal(state, "st-1");
  const conv = await fetch(`${gh.url}/app-manifests/${code}/conversions`, { method: "POST", headers: UA });
  assert.equal(conv.status, 201);
  const app = await conv.json();
  assert.match(app.pem, /BEGIN RSA PRIVATE KEY/);
  assert.ok(app.client_id && app.client_secret && app.webhook_secret);
  assert.deepEqual(app.events, ["pull_request", "issue_comment"]);
  const again = await fetch(`${gh.url}/app-manifests/${code}/conversions`, { method: "POST", headers: UA });
  assert.equal(again.status, 404, "a code converts once");
  // The same name again is taken.
  const form = await post("/settings/apps/new", { manifest: JSON.stringify(m) });
  const registration = /name="registration" value="([^"]+)"/.exec(await form.text())[1];
  const taken = await post("/settings/apps/new/confirm", { registration, name: m.name });
  assert.equal(taken.status, 422);
});

test("invalid manifests and foreign organizations are refused", async () => {
  gh.web.signIn("owner1");
  for (const [m, why] of [
    [manifest({ url: undefined }), /url is required/],
    [manifest({ hook_attributes: {} }), /hook_attributes.url/],
    [manifest({ name: "x".repeat(35) }), /34 characters/],
    [manifest({ default_events: ["check_run"] }), /requires the checks permission/],
    [manifest({ default_permissions: { pull_requests: "own" } }), /Invalid access/],
  ]) {
    const r = await post("/settings/apps/new", { manifest: JSON.stringify(m) });
    assert.equal(r.status, 422);
    assert.match(await r.text(), why);
  }
  const r = await post("/organizations/not-mine/settings/apps/new?state=x", { manifest: JSON.stringify(manifest()) });
  assert.equal(r.status, 404, "only an owner registers Apps on an organization");
  gh.web.addOrgOwner("acme", "owner1");
  const ok = await register(manifest(), { org: "acme" });
  assert.ok(ok.code);
});

test("sign-in with PKCE, then the user API shows only what the user and the App share", async () => {
  gh.web.signIn("owner2");
  const { code } = await register(manifest());
  const app = await (await fetch(`${gh.url}/app-manifests/${code}/conversions`, { method: "POST", headers: UA })).json();
  gh.web.grant("maint", "acme/a", "maintain");
  gh.web.grant("maint", "acme/b", "write");
  gh.web.grant("maint", "acme/c", "admin");
  const inst = gh.web.install({ appId: app.id, account: "acme", repos: ["acme/a", "acme/b"] });
  gh.web.signIn("maint");

  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const q = new URLSearchParams({ client_id: app.client_id, redirect_uri: "https://w.example/auth/callback", state: "s9", code_challenge: challenge, code_challenge_method: "S256" });
  const consent = await fetch(`${gh.webUrl}/login/oauth/authorize?${q}`, { redirect: "manual", headers: UA });
  assert.equal(consent.status, 200, "first time: the consent page");
  const authorize = await post("/login/oauth/authorize", Object.fromEntries(q));
  assert.equal(authorize.status, 302);
  const back = new URL(authorize.headers.get("location"));
  assert.equal(back.searchParams.get("state"), "s9");
  const exchange = (form) => post("/login/oauth/access_token", form, { accept: "application/json" }).then((r) => r.json());
  const base = { client_id: app.client_id, client_secret: app.client_secret, code: back.searchParams.get("code"), redirect_uri: "https://w.example/auth/callback" };
  assert.equal((await exchange({ ...base, code_verifier: "wrong" })).error, "bad_verification_code");
  assert.equal((await exchange({ ...base, code_verifier: verifier })).error, "bad_verification_code", "a code is burnt by a failed exchange");
  // A second round: already authorized, GitHub redirects at once.
  const again = await fetch(`${gh.webUrl}/login/oauth/authorize?${q}`, { redirect: "manual", headers: UA });
  assert.equal(again.status, 302);
  const code2 = new URL(again.headers.get("location")).searchParams.get("code");
  const tok = await exchange({ ...base, code: code2, code_verifier: verifier });
  assert.match(tok.access_token, /^ghu_/);
  assert.equal(tok.expires_in, 28800);
  const api = (p, t = tok.access_token) => fetch(`${gh.url}${p}`, { headers: { ...UA, authorization: `Bearer ${t}` } });
  assert.equal((await (await api("/user")).json()).login, "maint");
  const insts = await (await api("/user/installations")).json();
  assert.deepEqual(insts.installations.map((i) => i.id), [inst]);
  const repos = await (await api(`/user/installations/${inst}/repositories`)).json();
  assert.deepEqual(repos.repositories.map((r) => [r.full_name, r.permissions.maintain, r.permissions.push]), [["acme/a", true, true], ["acme/b", false, true]]);
  assert.equal((await api("/user/installations/424242/repositories")).status, 404);
  assert.equal((await api("/user", "ghu_forged")).status, 401);

  // A mismatched redirect_uri goes back to the registered callback with an error.
  const bad = await fetch(`${gh.webUrl}/login/oauth/authorize?${new URLSearchParams({ client_id: app.client_id, redirect_uri: "https://evil.example/cb", state: "s" })}`, { redirect: "manual", headers: UA });
  assert.equal(new URL(bad.headers.get("location")).searchParams.get("error"), "redirect_uri_mismatch");
  assert.match(bad.headers.get("location"), /^https:\/\/w\.example\/auth\/callback/);

  // The App's own key signs its JWT; its installation token reads roles on its repositories only.
  const now = Math.floor(Date.now() / 1000);
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${enc({ alg: "RS256", typ: "JWT" })}.${enc({ iat: now - 60, exp: now + 540, iss: String(app.id) })}`;
  const jwt = `${input}.${createSign("RSA-SHA256").update(input).sign(app.pem).toString("base64url")}`;
  const minted = await fetch(`${gh.url}/app/installations/${inst}/access_tokens`, { method: "POST", headers: { ...UA, authorization: `Bearer ${jwt}` } });
  assert.equal(minted.status, 201);
  const itok = (await minted.json()).token;
  const role = await (await api("/repos/acme/a/collaborators/maint/permission", itok)).json();
  assert.deepEqual([role.role_name, role.permission], ["maintain", "write"]);
  assert.equal((await api("/repos/acme/c/collaborators/maint/permission", itok)).status, 404, "acme/c is not in the installation");
  assert.equal((await (await api("/repos/acme/a", itok)).json()).default_branch, "main");
});

test("the chat stand-in answers like Slack and Discord and fails on demand", async () => {
  const chat = await startFakeChat();
  try {
    const send = (url, body) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    assert.equal((await send(chat.slackUrl, { text: "hi" })).status, 200);
    assert.equal((await send(chat.slackUrl, { text: "" })).status, 400);
    assert.equal((await send(chat.discordUrl, { content: "hi" })).status, 204);
    assert.equal((await send(chat.discordUrl, { content: "x".repeat(2001) })).status, 400);
    chat.failNext("discord", 2, 503);
    assert.equal((await send(chat.discordUrl, { content: "hi" })).status, 503);
    assert.equal((await send(chat.discordUrl, { content: "hi" })).status, 503);
    assert.equal((await send(chat.discordUrl, { content: "hi" })).status, 204);
    assert.equal(chat.delivered("slack").length, 1);
    assert.equal(chat.attempts("discord").length, 5);
  } finally {
    await chat.close();
  }
});

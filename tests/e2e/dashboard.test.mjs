// End to end, in workerd against the fakes: ArgusAI's maintainers' dashboard
// (issue 11; setup.test.mjs covers /setup). "Sign in with GitHub"; a maintainer
// of one repository seeing it and getting 404 for another; forged, expired and
// tampered cookies; CSRF; the live role re-check; replaying a dead-lettered job
// into exactly one review; Slack/Discord notifications, one of them failing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { STATUS_TOKEN, eventually } from "./harness.mjs";
import { startDashStack, Browser, signIn, formOf, signCookie, cookiePayload, csrfOf, flagAdded, runtimeSecret, openPr, prStatus, waitOutcome } from "./dashboard-fixtures.mjs";

// ---------------------------------------------------------------------------
// One deployment for the rest: acme/alpha (alice maintains it) and acme/beta
// (alice may only write), Slack and Discord configured.

let stack;
let alpha1;
before(async () => {
  stack = await startDashStack({ chat: true, repos: ["acme/alpha", "acme/beta"] });
  stack.llm.setDefault({ reply: flagAdded({ max: 2, severity: "high" }) });
  stack.github.web.grant("alice", "acme/alpha", "maintain");
  stack.github.web.grant("alice", "acme/beta", "write");
  stack.github.web.grant("bob", "acme/beta", "admin");
  alpha1 = await openPr(stack, "acme", "alpha", 1);
  await openPr(stack, "acme", "beta", 2);
});
after(async () => stack?.close());

test("sign in with GitHub: a maintainer of acme/alpha sees it, and acme/beta is a 404; JSON twins; STATUS_TOKEN still reads", async () => {
  await waitOutcome(stack, alpha1, "posted");
  const browser = new Browser();
  const home = await signIn(stack, browser, "alice");
  assert.equal(home.status, 200, home.text);
  assert.match(home.text, /href="\/dashboard\/acme\/alpha"/);
  assert.doesNotMatch(home.text, /acme\/beta/, "write is below the maintain minimum");
  const session = browser.cookie(stack.argus.url, "argus_session");
  assert.ok(session && !session.includes("ghu_"), "the session holds no readable token");

  const repo = await eventually(async () => {
    const r = await browser.go(`${stack.argus.url}/dashboard/acme/alpha`);
    return r.status === 200 && r.text.includes("posted") ? r : null;
  }, { timeoutMs: 15000, what: "the review in the repository index" });
  assert.match(repo.text, /href="\/dashboard\/acme\/alpha\/pull\/1"/);
  assert.match(repo.text, /Effective configuration/);
  const twin = await browser.go(`${stack.argus.url}/dashboard/acme/alpha?format=json`);
  const view = JSON.parse(twin.text);
  assert.equal(view.role, "maintain");
  assert.equal(view.overview.reviews[0].outcome, "posted");
  assert.equal(view.overview.reviews[0].high, 2);
  assert.equal(view.config.keys.find((k) => k.key === "max_files").layer, "env");
  assert.deepEqual(view.overview.learnings, [], "no learnings taught in this repository yet");
  assert.match(repo.text, /No learnings recorded for this repository yet/);

  for (const p of ["/dashboard/acme/beta", "/dashboard/acme/beta/pull/2", "/dashboard/acme/beta?format=json", "/dashboard/acme/nope", "/dashboard/other/alpha/pull/1"]) {
    const r = await browser.go(`${stack.argus.url}${p}`);
    assert.equal(r.status, 404, `${p}: ${r.status}`);
  }
  const pr = await browser.go(`${stack.argus.url}/dashboard/acme/alpha/pull/1`);
  assert.equal(pr.status, 200);
  assert.match(pr.text, /Review history/);

  // Automation: the operator's token reads every JSON twin and acts on nothing.
  const auto = await fetch(`${stack.argus.url}/dashboard/acme/beta/pull/2?format=json`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
  assert.equal(auto.status, 200);
  assert.equal((await auto.json()).role, null);
  assert.equal((await fetch(`${stack.argus.url}/dashboard?format=json`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } })).status, 404);

  // Signing out clears the session (with the CSRF token only).
  const out = await browser.submit(pr, formOf(pr.text, /\/auth\/logout/));
  assert.equal(out.status, 200);
  assert.equal(browser.cookie(stack.argus.url, "argus_session"), undefined);
});

test("forged, expired, tampered and foreign-key cookies are refused", async () => {
  const browser = new Browser();
  await signIn(stack, browser, "alice");
  const good = browser.cookie(stack.argus.url, "argus_session");
  const payload = cookiePayload(good);
  const now = Math.floor(Date.now() / 1000);
  const cases = {
    forged: `v1.${Buffer.from(JSON.stringify({ ...payload, login: "mallory" })).toString("base64url")}.${runtimeSecret()}`,
    tampered: (() => {
      const [v, p, mac] = good.split(".");
      const q = JSON.parse(Buffer.from(p, "base64url").toString());
      q.uid += 1;
      return `${v}.${Buffer.from(JSON.stringify(q)).toString("base64url")}.${mac}`;
    })(),
    expired: signCookie("session", { ...payload, iat: now - 7200, exp: now - 3600 }, stack.sessionKeys),
    otherKey: signCookie("session", payload, runtimeSecret()),
    stateCookieAsSession: signCookie("oauth", payload, stack.sessionKeys),
    garbage: "not-a-cookie",
  };
  for (const [name, value] of Object.entries(cases)) {
    const html = await fetch(`${stack.argus.url}/dashboard/acme/alpha`, { headers: { cookie: `argus_session=${value}` }, redirect: "manual" });
    assert.equal(html.status, 302, `${name}: ${html.status}`);
    assert.match(html.headers.get("location"), /^\/auth\/login\?next=%2Fdashboard%2Facme%2Falpha/, name);
    assert.match(html.headers.getSetCookie().join(), /argus_session=;.*Max-Age=0/, `${name}: the bad cookie is cleared`);
    const json = await fetch(`${stack.argus.url}/dashboard/acme/alpha?format=json`, { headers: { cookie: `argus_session=${value}` } });
    assert.equal(json.status, 401, `${name} (JSON)`);
  }
  // The untouched cookie still works, and the re-signed expired one was valid but for its time.
  assert.equal((await fetch(`${stack.argus.url}/dashboard/acme/alpha?format=json`, { headers: { cookie: `argus_session=${good}` } })).status, 200);
});

test("actions need the CSRF token and a role GitHub still confirms", async () => {
  const browser = new Browser();
  await signIn(stack, browser, "alice");
  const url = `${stack.argus.url}/dashboard/acme/alpha/pull/1`;
  const page = await browser.go(url);
  const pause = formOf(page.text, /pull\/1$/);
  assert.equal(pause.fields.action, "review");
  const logOf = async () => (await prStatus(stack, alpha1)).operator_log.length;
  const before = await logOf();
  // No token, a wrong one, a token of another session, a cross-site Origin: all refused, nothing recorded.
  const other = new Browser();
  await signIn(stack, other, "alice");
  const otherToken = csrfOf((await other.go(url)).text);
  for (const [name, fields, headers] of [
    ["missing", { action: "pause" }, {}],
    ["wrong", { action: "pause", csrf: runtimeSecret() }, {}],
    ["another session's", { action: "pause", csrf: otherToken }, {}],
    ["cross-site", { action: "pause", csrf: csrfOf(page.text) }, { origin: "https://evil.example" }],
  ]) {
    const r = await browser.request(url, { method: "POST", form: fields, headers });
    assert.equal(r.status, 403, `${name}: ${r.status}`);
  }
  assert.equal(await logOf(), before, "refused actions leave no trace on the PR");

  // With the token: recorded in the PR's history and shown after the redirect.
  const done = await browser.submit(page, formOf(page.text, /pull\/1$/), { action: "pause" });
  assert.equal(done.status, 200);
  assert.match(done.text, /role="status"><strong>pause<\/strong>: paused/);
  const s = await prStatus(stack, alpha1);
  assert.equal(s.paused, true);
  assert.deepEqual(s.operator_log.at(-1), { ...s.operator_log.at(-1), actor: "alice", action: "pause", accepted: true });
  const resumed = await browser.submit(done, formOf(done.text, /pull\/1$/), { action: "resume" });
  assert.match(resumed.text, /resume<\/strong>: resumed/);

  // GitHub takes the role away: the cached list still says yes, the live re-check says no → 404, nothing done.
  stack.github.web.grant("alice", "acme/alpha", "triage");
  const denied = await browser.submit(resumed, formOf(resumed.text, /pull\/1$/), { action: "pause" });
  assert.equal(denied.status, 404);
  assert.equal((await prStatus(stack, alpha1)).paused, false);
  stack.github.web.grant("alice", "acme/alpha", "maintain");
  assert.equal((await browser.go(url)).status, 200, "the refreshed list lets her back in");
});

test("replaying a dead-lettered job produces exactly one review, and the dead letter is notified", async () => {
  const pr = { owner: "acme", repo: "alpha", number: 3 };
  stack.github.inject({ method: "GET", path: `/repos/acme/alpha/pulls/3`, status: 500, body: { message: "Server Error" }, times: 1000 });
  await openPr(stack, "acme", "alpha", 3);
  const dead = await waitOutcome(stack, pr, "dead_lettered", 90000);
  const job = dead.history.find((h) => h.outcome === "dead_lettered").job_id;
  assert.equal(stack.github.submittedReviews("acme", "alpha", 3).length, 0);
  await eventually(() => stack.chat.delivered("slack").find((p) => p.body.text.includes("gave up on the review of acme/alpha#3")), { timeoutMs: 20000, what: "the dead-letter notification" });
  stack.github.state.faults.length = 0;

  const browser = new Browser();
  await signIn(stack, browser, "alice");
  const repoPage = await eventually(async () => {
    const r = await browser.go(`${stack.argus.url}/dashboard/acme/alpha`);
    return r.text.includes(job) ? r : null;
  }, { timeoutMs: 15000, what: "the dead letter on the repository page" });
  const replay = formOf(repoPage.text, /pull\/3$/);
  assert.deepEqual([replay.fields.action, replay.fields.job_id], ["replay", job]);
  const done = await browser.submit(repoPage, replay);
  assert.match(done.text, /replay<\/strong>: replaying/);
  // A second replay (another tab, a double click) is refused.
  const again = await browser.request(`${stack.argus.url}/dashboard/acme/alpha/pull/3`, { method: "POST", form: { csrf: replay.fields.csrf, action: "replay", job_id: job } });
  assert.equal(again.status, 303);
  await waitOutcome(stack, pr, "posted");
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(stack.github.submittedReviews("acme", "alpha", 3).length, 1, "exactly one review");
  const s = await prStatus(stack, pr);
  assert.deepEqual(s.operator_log.map((r) => [r.action, r.accepted]), [["replay", true], ["replay", false]]);
  assert.equal(s.history.filter((h) => h.outcome === "posted").length, 1);
  const after = await eventually(async () => {
    const r = await browser.go(`${stack.argus.url}/dashboard/acme/alpha`);
    return r.text.includes("replayed by alice") ? r : null;
  }, { timeoutMs: 15000, what: "the replay on the repository page" });
  assert.ok(after);
});

test("Slack and Discord get the review's notification; a failing Discord is retried, then given up, and the review stands", async () => {
  await eventually(() => stack.chat.delivered("discord").some((p) => p.body.content.includes("acme/alpha#1")) && stack.chat.delivered("slack").some((p) => p.body.text.includes("acme/alpha#1")), { timeoutMs: 20000, what: "both notifications for acme/alpha#1" });
  const slack = stack.chat.delivered("slack").find((p) => p.body.text.includes("acme/alpha#1"));
  assert.match(slack.body.text, /ArgusAI reviewed acme\/alpha#1 at [0-9a-f]{7}: 2 finding\(s\) \(2 high\)/);
  assert.match(slack.body.text, /\/acme\/alpha\/pull\/1\|view the pull request>/);
  const discord = stack.chat.delivered("discord").find((p) => p.body.content.includes("acme/alpha#1"));
  assert.deepEqual(discord.body.allowed_mentions, { parse: [] });

  stack.chat.failAlways("discord", 503);
  try {
    const pr = await openPr(stack, "acme", "alpha", 4);
    await waitOutcome(stack, pr, "posted");
    await eventually(() => stack.chat.delivered("slack").some((p) => p.body.text.includes("acme/alpha#4")), { timeoutMs: 20000, what: "Slack for #4" });
    const tries = () => stack.chat.attempts("discord").filter((p) => p.body?.content?.includes("acme/alpha#4")).length;
    // wrangler.toml: the alert queue's max_retries = 3: four deliveries, then it gives up.
    await eventually(() => tries() === 4, { timeoutMs: 40000, intervalMs: 250, what: "four Discord attempts" });
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(tries(), 4, "given up after the retries");
    assert.equal(stack.github.submittedReviews("acme", "alpha", 4).length, 1, "the review stands");
    const s = await prStatus(stack, pr);
    assert.deepEqual(s.history.map((h) => h.outcome), ["posted"]);
  } finally {
    stack.chat.heal("discord");
  }
});

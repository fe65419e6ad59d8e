// In a real browser: headless Chromium (Debian's `chromium`, installed by
// scripts/setup) driven by puppeteer-core walks /setup through the fake GitHub,
// signs in with GitHub, opens the dashboard, a repository and a pull request,
// acts on it, and checks what a person would see: the visible text, labels,
// heading order, contrast of the text colours, and that a phone-width screen
// needs no sideways scrolling. Screenshots go to tests/e2e/artifacts/
// (git-ignored) for a human to look at.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startDashStack, flagAdded, openPr, waitOutcome, runtimeSecret } from "./dashboard-fixtures.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "artifacts");
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let stack;
let browser;
let profile;
const setupToken = runtimeSecret();

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startDashStack({ repos: ["acme/alpha"], secrets: { SETUP_TOKEN: setupToken } });
  stack.llm.setDefault({ reply: flagAdded({ max: 2, severity: "high" }) });
  stack.github.web.grant("alice", "acme/alpha", "maintain");
  const pr = await openPr(stack, "acme", "alpha", 1);
  await waitOutcome(stack, pr, "posted");
  const puppeteer = (await import("puppeteer-core")).default;
  profile = mkdtempSync(path.join(tmpdir(), "argus-chromium-"));
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, `--user-data-dir=${profile}`] });
});

after(async () => {
  await browser?.close();
  await stack?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The checks a person with a screen reader or a phone relies on, on the current page. */
async function accessibility(page) {
  return page.evaluate(() => {
    const problems = [];
    if (!document.documentElement.lang) problems.push("no lang on <html>");
    if (!document.querySelector('meta[name="viewport"]')) problems.push("no viewport meta");
    for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
      if (!el.labels || el.labels.length === 0) problems.push(`unlabelled ${el.tagName} ${el.name}`);
    }
    for (const b of document.querySelectorAll("button, a")) {
      if (!b.textContent.trim() && !b.getAttribute("aria-label")) problems.push(`${b.tagName} without text`);
    }
    const levels = [...document.querySelectorAll("h1, h2, h3, h4")].map((h) => Number(h.tagName[1]));
    if (levels[0] !== 1) problems.push("the first heading is not an h1");
    levels.forEach((l, i) => i > 0 && l > levels[i - 1] + 1 && problems.push(`heading jumps from h${levels[i - 1]} to h${l}`));
    // WCAG contrast of visible text against the page background.
    const rgb = (c) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
    const bg = lum(rgb(getComputedStyle(document.body).backgroundColor));
    let worst = 21;
    for (const el of document.querySelectorAll("p, li, td, th, dt, dd, a, span, code, h1, h2, label, button:not(.primary)")) {
      if (!el.textContent.trim() || el.closest("button.primary") || el.closest(".skip") || el.offsetParent === null) continue;
      const fg = lum(rgb(getComputedStyle(el).color));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      worst = Math.min(worst, ratio);
    }
    if (worst < 4.5) problems.push(`text contrast ${worst.toFixed(2)} < 4.5`);
    const overflow = document.documentElement.scrollWidth - window.innerWidth;
    return { problems, worst, overflow };
  });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

test("setup, sign-in, dashboard and a pull request in headless Chromium", async (t) => {
  if (!browser) {
    t.skip(`no browser at ${CHROMIUM} (scripts/setup installs Debian's chromium)`);
    return;
  }
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const base = stack.argus.url;
  const text = () => page.evaluate(() => document.body.innerText);
  const check = async (name) => {
    const a = await accessibility(page);
    assert.deepEqual(a.problems, [], `${name}: ${a.problems.join("; ")}`);
    t.diagnostic(`${name}: worst text contrast ${a.worst.toFixed(2)}:1`);
  };

  // /setup (closed without the token once an App exists), then through the fake GitHub and back.
  const closed = await page.goto(`${base}/setup`);
  assert.equal(closed.status(), 404);
  await page.goto(`${base}/setup?token=${encodeURIComponent(setupToken)}`);
  assert.match(await text(), /Set up ArgusAI on GitHub/);
  await check("setup");
  await shot(page, "01-setup");
  await page.click("#acct-org");
  await page.type("#org", "acme");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  assert.match(await text(), /Create the GitHub App/);
  assert.match(await text(), /the organization acme/);
  await check("setup-confirm");
  await shot(page, "02-setup-confirm");
  stack.github.web.signIn("alice");
  stack.github.web.addOrgOwner("acme", "alice");
  await Promise.all([page.waitForNavigation(), page.click("form[action*='settings/apps/new'] button")]);
  assert.match(await text(), /Create GitHub App for acme/, "the browser posted the manifest to GitHub (CSP form-action allows it)");
  await Promise.all([page.waitForNavigation(), page.click("#create-app")]);
  assert.match(await text(), /ArgusAI is registered on GitHub/);
  assert.match(await text(), /This page is shown once/);
  assert.match(await text(), /npx wrangler secret put GITHUB_APP_PRIVATE_KEY --env production/);
  await check("setup-done");
  await shot(page, "03-setup-done");

  // Sign in with GitHub: the dashboard sends the browser to GitHub and back.
  await page.goto(`${base}/dashboard`);
  assert.match(await text(), /Authorize ArgusAI e2e/);
  await Promise.all([page.waitForNavigation(), page.click("#authorize")]);
  assert.equal(new URL(page.url()).pathname, "/dashboard");
  const cookies = await page.cookies(base);
  const session = cookies.find((c) => c.name === "argus_session");
  assert.ok(session, "the browser kept the session cookie");
  assert.deepEqual([session.httpOnly, session.secure, session.sameSite], [true, true, "Lax"]);
  assert.match(await text(), /Your repositories/);
  assert.match(await text(), /Signed in as alice/);
  await check("dashboard");
  await shot(page, "04-dashboard");

  await Promise.all([page.waitForNavigation(), page.click("a[href='/dashboard/acme/alpha']")]);
  const repoText = await text();
  for (const s of ["Recent reviews", "posted", "Dead-lettered jobs", "Learnings", "Effective configuration", "max_files"]) assert.ok(repoText.includes(s), `repository page shows ${s}`);
  await check("repository");
  await shot(page, "05-repository");

  await Promise.all([page.waitForNavigation(), page.click("a[href='/dashboard/acme/alpha/pull/1']")]);
  assert.match(await text(), /acme\/alpha #1/);
  assert.match(await text(), /Review history/);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/dashboard/acme/alpha/pull/1'] button:not(.primary)")]);
  await check("pull-request");
  await shot(page, "06-pull-request");
  assert.match(await text(), /full review: review starting|full review/);

  // A phone: nothing wider than the screen, and still labelled and readable.
  await page.setViewport({ width: 390, height: 844, isMobile: true, deviceScaleFactor: 2 });
  await page.reload();
  const phone = await accessibility(page);
  assert.ok(phone.overflow <= 0, `the page scrolls sideways by ${phone.overflow}px on a phone`);
  await shot(page, "07-pull-request-phone");
  await page.close();
});

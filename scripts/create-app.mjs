// `scripts/create-app`: registers ArgusAI's GitHub App from a terminal, for
// local use. Serves a one-button page on 127.0.0.1 that posts the manifest
// (config/github-app-manifest.json, generated from crates/dashboard/src/app.rs)
// to GitHub, takes GitHub's redirect back, exchanges the code, and writes the
// App's credentials into .dev.vars (mode 0600) for `scripts/dev`. Exits when done.
//
// Options: --port N (3000), --worker-url URL (where the Worker runs, default
// http://127.0.0.1:8787; GitHub must reach its /webhooks/github to deliver, e.g.
// through a tunnel), --org ORG (register on an organization), --name NAME,
// --out FILE (.dev.vars). GITHUB_WEB_URL / GITHUB_API_URL point it at GitHub
// Enterprise Server (or the fake GitHub in the tests).
import http from "node:http";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const arg = (name, dflt) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const port = Number(arg("port", "3000"));
const workerUrl = arg("worker-url", "http://127.0.0.1:8787").replace(/\/$/, "");
const org = arg("org", null);
const name = arg("name", "ArgusAI");
const out = path.resolve(arg("out", path.join(root, ".dev.vars")));
const webUrl = (process.env.GITHUB_WEB_URL ?? "https://github.com").replace(/\/$/, "");
const apiUrl = (process.env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/$/, "");
if (org && !/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/.test(org)) {
  console.error(`not an organization login: ${org}`);
  process.exit(2);
}

// The one manifest, with this machine's URLs (the template's origin replaced).
const TEMPLATE_ORIGIN = "https://argusai.example.workers.dev";
const local = `http://127.0.0.1:${port}`;
const manifest = JSON.parse(readFileSync(path.join(root, "config", "github-app-manifest.json"), "utf8").replaceAll(TEMPLATE_ORIGIN, workerUrl));
manifest.name = name.slice(0, 34);
manifest.redirect_url = `${local}/callback`;

const state = randomBytes(24).toString("base64url");
const secret = () => randomBytes(32).toString("base64url");
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
const target = org ? `${webUrl}/organizations/${org}/settings/apps/new?state=${state}` : `${webUrl}/settings/apps/new?state=${state}`;

/** `.dev.vars` with `values` set: other lines are kept, these keys replaced. */
function mergeDevVars(file, values) {
  const keep = existsSync(file) ? readFileSync(file, "utf8") : "";
  const lines = [];
  let skipping = false;
  for (const line of keep.split("\n")) {
    // A quoted multi-line value (a PEM) runs until its closing quote.
    if (skipping) {
      if (line.includes('"')) skipping = false;
      continue;
    }
    const m = /^([A-Z_][A-Z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (m && m[1] in values) {
      if (m[2].startsWith('"') && !m[2].slice(1).includes('"')) skipping = true;
      continue;
    }
    lines.push(line);
  }
  while (lines.length && lines.at(-1) === "") lines.pop();
  for (const [k, v] of Object.entries(values)) lines.push(`${k}="${v}"`);
  writeFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, local);
  const html = (status, body) => {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" });
    res.end(body);
  };
  if (url.pathname === "/") {
    return html(200, page("Create ArgusAI's GitHub App", `<p>Registers <strong>${esc(manifest.name)}</strong> on ${org ? `the organization ${esc(org)}` : "your personal account"}; webhooks go to <code>${esc(manifest.hook_attributes.url)}</code>.</p>` +
      `<form method="post" action="${esc(target)}"><input type="hidden" name="manifest" value="${esc(JSON.stringify(manifest))}"><button type="submit">Create the GitHub App on GitHub</button></form>`));
  }
  if (url.pathname === "/callback") {
    const got = Buffer.from(url.searchParams.get("state") ?? "");
    const want = Buffer.from(state);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return html(400, page("Setup did not finish", "<p>The state does not match this run; start again.</p>"));
    const code = (url.searchParams.get("code") ?? "").replace(/[^A-Za-z0-9]/g, "");
    const conv = await fetch(`${apiUrl}/app-manifests/${code}/conversions`, { method: "POST", headers: { accept: "application/vnd.github+json", "user-agent": "ArgusAI-create-app", "x-github-api-version": "2022-11-28" } }).catch((e) => ({ ok: false, status: 0, text: async () => e.message }));
    if (conv.status !== 201) {
      html(502, page("Setup did not finish", `<p>GitHub answered ${conv.status} to the conversion; the code may have expired. Start again.</p>`));
      return shutdown(1);
    }
    const app = await conv.json();
    mergeDevVars(out, {
      GITHUB_APP_ID: String(app.id),
      GITHUB_APP_PRIVATE_KEY: app.pem.trim(),
      GITHUB_WEBHOOK_SECRET: app.webhook_secret ?? secret(),
      GITHUB_CLIENT_ID: app.client_id,
      GITHUB_CLIENT_SECRET: app.client_secret,
      SESSION_KEYS: secret(),
      SETUP_TOKEN: secret(),
    });
    html(200, page("ArgusAI's GitHub App is registered", `<p>${esc(app.name)} (App id ${app.id}) is written to <code>${esc(out)}</code>. Install it: <a href="${esc(app.html_url)}/installations/new">${esc(app.html_url)}/installations/new</a>. You can close this tab.</p>`));
    console.log(`\n  Registered ${app.name} (App id ${app.id}); credentials written to ${out}.`);
    console.log(`  Install it on your repositories: ${app.html_url}/installations/new`);
    console.log("  Then run scripts/dev (it reads .dev.vars).\n");
    return shutdown(0);
  }
  html(404, page("Not found", ""));
});

function shutdown(code) {
  setTimeout(() => {
    server.closeAllConnections?.();
    server.close(() => process.exit(code));
  }, 100);
}

server.listen(port, "127.0.0.1", () => {
  console.log(`\n  Open ${local}/ in your browser and click the button (GitHub: ${webUrl}).`);
  console.log(`  Webhooks will go to ${manifest.hook_attributes.url}; for local runs, point that at a tunnel with --worker-url.\n`);
});

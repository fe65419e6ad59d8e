// A faithful fake of the GitHub REST API endpoints ArgusAI uses, on loopback, for
// every end-to-end test (and a local sandbox via the CLI). Node >= 22, built-ins only.
//
// It behaves like GitHub where ArgusAI's correctness depends on it:
// - /app/* routes need an App JWT: RS256 signed by the test key (tests/fixtures),
//   `iss` = the app id, `iat` not in the future, `exp` in the future and at most
//   10 minutes after `iat` (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app);
//   every other route needs an installation token this fake issued and that has not
//   expired; otherwise 401 with GitHub's JSON body.
// - PRs and files come from real unified diffs (../shared/corpora/diffs), split per
//   file into GitHub's `patch` shape (hunks only), `patch` omitted for binary files,
//   `status` added/removed/modified/renamed with `previous_filename`, paginated with
//   `Link` and `per_page` <= 100 (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
// - A review is rejected whole with GitHub's 422 body when ANY comment's line is not
//   in the diff on its side, a range crosses hunks, or start_line >= line
//   (https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request);
//   a review without `event` stays PENDING, and one pending review per PR is allowed.
// - Faults per route: 5xx, secondary rate limit (403 + retry-after), latency.
// - Contents three ways from the same data: the contents API, Git trees and blobs
//   (https://docs.github.com/en/rest/git/trees#get-a-tree, SHAs as git computes
//   them, `truncated` when configured), and `POST /graphql` (github-graphql.mjs:
//   a real parser and validator answering like GitHub; `graphql: false` makes it
//   404 to exercise the REST fallback). `addPullRequest` can synthesize head/base
//   texts from the patches, and refuses given texts that contradict them.
// - Authorship: everything posted with an installation token is by the App's bot
//   (`botLogin`, type Bot); `add*By` helpers add other people's reviews, comments,
//   replies and reactions. `GET /app` (JWT only) gives the slug.
// - Collaborator permissions per user, review comment replies, reactions on
//   review and issue comments, review threads (GraphQL, derived from the review
//   comments; resolution recorded in `state.resolvedThreads`), a PR's commits.
// Everything ArgusAI posts is recorded in `fake.state` for assertions.
import http from "node:http";
import { createHash, createPublicKey, verify as cryptoVerify, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { executeGraphQL, groupThreads, nodeId } from "./github-graphql.mjs";
import { createGitHubWeb } from "./github-web.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const TEST_PUBLIC_KEY_PATH = path.resolve(HERE, "../fixtures/test-app-key.pub.pem");
export const TEST_PRIVATE_KEY_PATH = path.resolve(HERE, "../fixtures/test-app-key.pem");
const DOCS = "https://docs.github.com/rest";
const REVIEW_DOCS = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request";
const SUPPORTED_API_VERSIONS = new Set(["2022-11-28", "2026-03-10"]);
const REACTIONS = new Set(["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]);
const CONCLUSIONS = new Set(["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"]);

// ---------- diffs ----------

/** Splits a `git diff` / `git show` unified diff into GitHub `/pulls/{n}/files` entries. */
export function splitUnifiedDiff(diffText) {
  const files = [];
  let cur = null;
  const finish = () => {
    if (!cur) return;
    // Drop the empty strings left by a trailing newline; keep `\ No newline` lines as GitHub does.
    while (cur.hunkLines.length && cur.hunkLines[cur.hunkLines.length - 1] === "") cur.hunkLines.pop();
    const entry = { filename: cur.filename, status: cur.status, additions: 0, deletions: 0, changes: 0 };
    if (cur.previous_filename) entry.previous_filename = cur.previous_filename;
    if (!cur.binary && cur.hunkLines.length) {
      entry.patch = cur.hunkLines.join("\n");
      for (const l of cur.hunkLines) {
        if (l.startsWith("+")) entry.additions++;
        else if (l.startsWith("-")) entry.deletions++;
      }
      entry.changes = entry.additions + entry.deletions;
    }
    files.push(entry);
    cur = null;
  };
  for (const raw of diffText.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith("diff --git ")) {
      finish();
      cur = { filename: parseGitHeaderName(line.slice(11)), status: "modified", hunkLines: [], binary: false, inHunks: false };
      continue;
    }
    if (!cur) continue;
    if (line.startsWith("@@")) cur.inHunks = true;
    if (cur.inHunks) {
      // Hunk bodies keep their exact bytes (a CRLF file keeps its \r in `patch`).
      if (/^[ +\-\\@]/.test(line) || line === "") cur.hunkLines.push(raw.startsWith("@@") ? line : raw);
      continue;
    }
    if (line.startsWith("new file mode")) cur.status = "added";
    else if (line.startsWith("deleted file mode")) cur.status = "removed";
    else if (line.startsWith("rename from ")) { cur.status = "renamed"; cur.previous_filename = unquote(line.slice(12)); }
    else if (line.startsWith("rename to ")) cur.filename = unquote(line.slice(10));
    else if (line.startsWith("copy from ")) { cur.status = "copied"; cur.previous_filename = unquote(line.slice(10)); }
    else if (line.startsWith("copy to ")) cur.filename = unquote(line.slice(8));
    else if (line.startsWith("+++ ") && line !== "+++ /dev/null") cur.filename = stripPrefix(unquote(line.slice(4).replace(/\t.*$/, "")));
    else if (line.startsWith("--- ") && line !== "--- /dev/null" && cur.status === "removed") cur.filename = stripPrefix(unquote(line.slice(4).replace(/\t.*$/, "")));
    else if (line.startsWith("Binary files ") || line === "GIT binary patch") cur.binary = true;
  }
  finish();
  return files;
}

function stripPrefix(name) {
  return name.replace(/^[ab]\//, "");
}

/** Git quotes names with special bytes as C strings with octal escapes. */
function unquote(s) {
  if (!s.startsWith('"') || !s.endsWith('"')) return s;
  const bytes = [];
  const body = s.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") { bytes.push(...Buffer.from(c, "utf8")); continue; }
    const n = body[++i];
    if (/[0-7]/.test(n)) { bytes.push(parseInt(body.slice(i, i + 3), 8)); i += 2; }
    else bytes.push({ n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 }[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** `a/x b/x` (or quoted) from a `diff --git` line: the `b/` side. */
function parseGitHeaderName(rest) {
  if (rest.endsWith('"')) {
    const start = rest.lastIndexOf(' "');
    if (start >= 0) return stripPrefix(unquote(rest.slice(start + 1)));
  }
  // Unquoted names can hold spaces; for an unrenamed file both halves are equal.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest.slice(2, half) === rest.slice(half + 3)) return rest.slice(half + 3);
  const i = rest.lastIndexOf(" b/");
  return i >= 0 ? rest.slice(i + 3) : rest;
}

/** Which lines of a patch can carry a comment, per side, by hunk. */
export function patchLines(patch) {
  const hunks = [];
  let oldLine = 0, newLine = 0, h = null;
  for (const line of patch.split("\n")) {
    const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (m) {
      oldLine = Number(m[1]); newLine = Number(m[2]);
      h = { LEFT: new Set(), RIGHT: new Set() };
      hunks.push(h);
      continue;
    }
    if (!h) continue;
    if (line.startsWith("+")) h.RIGHT.add(newLine++);
    else if (line.startsWith("-")) h.LEFT.add(oldLine++);
    else if (line.startsWith("\\")) continue;
    else { h.LEFT.add(oldLine++); h.RIGHT.add(newLine++); }
  }
  return hunks;
}

/** Git's blob id: SHA-1 of `blob <len>\0` and the bytes (what `git hash-object` prints). */
export function gitBlobSha(bytes) {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/**
 * Head and base texts consistent with a patch: every hunk line at its number on
 * its side, filler lines elsewhere, and as many lines after the last hunk as
 * before the first (at most 20), so hunks sit inside the file.
 */
export function textsFromPatch(filePath, patch) {
  const oldLines = new Map(), newLines = new Map();
  let o = 0, n = 0, last = " ", oldNoEol = false, newNoEol = false;
  for (const line of patch.split("\n")) {
    const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (m) { o = Math.max(1, Number(m[1])); n = Math.max(1, Number(m[2])); continue; }
    if (line.startsWith("+")) { newLines.set(n++, line.slice(1)); last = "+"; }
    else if (line.startsWith("-")) { oldLines.set(o++, line.slice(1)); last = "-"; }
    else if (line.startsWith("\\")) { if (last !== "-") newNoEol = true; if (last !== "+") oldNoEol = true; }
    else { const text = line.startsWith(" ") ? line.slice(1) : line; oldLines.set(o++, text); newLines.set(n++, text); last = " "; }
  }
  const render = (lines, side, noEol) => {
    if (!lines.size) return "";
    const keys = [...lines.keys()];
    const lastLine = Math.max(...keys), first = Math.min(...keys);
    const tail = noEol ? 0 : Math.min(first - 1, 20);
    const out = [];
    for (let i = 1; i <= lastLine + tail; i++) out.push(lines.has(i) ? lines.get(i) : `// ${filePath} line ${i} (${side})`);
    return out.join("\n") + (noEol ? "" : "\n");
  };
  return { base: render(oldLines, "old", oldNoEol), head: render(newLines, "new", newNoEol) };
}

/**
 * Checks a file's full text against its patch on one side (`"+"` head, `"-"`
 * base): every hunk line must be at its line number. Returns null or why not.
 */
export function contradiction(text, patch, side) {
  const lines = text.split("\n");
  let o = 0, n = 0;
  for (const line of patch.split("\n")) {
    const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (m) { o = Number(m[1]); n = Number(m[2]); continue; }
    if (line.startsWith("\\")) continue;
    const kind = line[0] === "+" || line[0] === "-" ? line[0] : " ";
    const body = kind === " " && !line.startsWith(" ") ? line : line.slice(1);
    const at = side === "+" ? n : o;
    const mine = kind === " " || kind === side;
    if (mine && (lines[at - 1] ?? null)?.replace(/\r$/, "") !== body.replace(/\r$/, "")) {
      return `line ${at} is ${JSON.stringify(lines[at - 1] ?? null)} but the patch says ${JSON.stringify(body)}`;
    }
    if (kind === " " || kind === "+") n++;
    if (kind === " " || kind === "-") o++;
  }
  return null;
}

/** GitHub's verdict on one draft review comment: null when it can be placed. */
export function checkComment(files, c) {
  const file = files.find((f) => f.filename === c.path);
  if (!file || file.patch === undefined) return "Path could not be resolved";
  const hunks = patchLines(file.patch);
  const side = c.side ?? "RIGHT";
  if (side !== "LEFT" && side !== "RIGHT") return "Side is invalid";
  if (!Number.isInteger(c.line)) return "Line could not be resolved";
  const hunkOf = (line, s) => hunks.findIndex((h) => h[s].has(line));
  const end = hunkOf(c.line, side);
  if (end < 0) return "Line could not be resolved";
  if (c.start_line !== undefined && c.start_line !== null) {
    const startSide = c.start_side ?? side;
    if (startSide === side && c.start_line >= c.line) return "Pull request review thread start line must precede the end line.";
    const start = hunkOf(c.start_line, startSide);
    if (start < 0) return "Start line could not be resolved";
    if (start !== end) return "Pull request review thread start line must be part of the same hunk as the line.";
  }
  return null;
}

// ---------- JWT ----------

const b64urlJson = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));

/** Verifies an App JWT like GitHub does; returns null or GitHub's error message. */
export function verifyAppJwt(token, publicKey, { appId, nowSec }) {
  const parts = String(token).split(".");
  if (parts.length !== 3) return "A JSON web token could not be decoded";
  let header, claims;
  try { header = b64urlJson(parts[0]); claims = b64urlJson(parts[1]); } catch { return "A JSON web token could not be decoded"; }
  if (header.alg !== "RS256") return "A JSON web token could not be decoded";
  const ok = cryptoVerify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, Buffer.from(parts[2], "base64url"));
  if (!ok) return "A JSON web token could not be decoded";
  if (claims.iss === undefined || (appId != null && String(claims.iss) !== String(appId))) return "'Issuer' claim ('iss') must be an Integer";
  if (!Number.isInteger(claims.iat) || !Number.isInteger(claims.exp)) return "'Issued at' claim ('iat') and 'Expiration time' claim ('exp') are required";
  if (claims.iat > nowSec + 1) return "'Issued at' claim ('iat') must be an Integer representing a time in the past";
  if (claims.exp <= nowSec) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
  if (claims.exp - claims.iat > 600 || claims.exp > nowSec + 600) return "'Expiration time' claim ('exp') is too far in the future";
  return null;
}

// ---------- server ----------

/**
 * Starts the fake. Options: `port` (0), `appId` (the expected `iss`; null accepts
 * any), `publicKey` (PEM; default the test key), `tokenTtlSec` (3600), `botLogin`
 * ("argusai[bot]"), `latencyMs` (0, added to every response), `apiPrefix` ("" or
 * "/api/v3" to look like GitHub Enterprise Server; GraphQL is then at
 * `/api/graphql`), `graphql` (true; false answers 404 on /graphql, as where
 * GraphQL is unavailable), `graphqlOptions` ({maxFields, maxResponseBytes,
 * blobTextLimit}), `treeEntryLimit` (recursive trees list at most this many
 * entries and say `truncated`), `defaultPermissions` ({login: role} on every
 * repository, for users `setPermission` does not name; others are not
 * collaborators: 404).
 */
export async function startFakeGitHub(options = {}) {
  const publicKey = createPublicKey(options.publicKey ?? readFileSync(TEST_PUBLIC_KEY_PATH, "utf8"));
  const appId = options.appId ?? null;
  const tokenTtlSec = options.tokenTtlSec ?? 3600;
  const botLogin = options.botLogin ?? "argusai[bot]";
  const prefix = options.apiPrefix ?? "";
  // A user's role on any repository unless `setPermission` says otherwise.
  const defaultPermission = (login) => {
    const role = options.defaultPermissions?.[login];
    if (!role) return null;
    const permission = { maintain: "write", triage: "read" }[role] ?? role;
    return { permission, role_name: role };
  };
  const graphqlPath = prefix ? prefix.replace(/\/v3$/, "/graphql") : "/graphql";
  let clockOffsetMs = 0;
  let nextId = 1000;
  const id = () => ++nextId;
  const now = () => Date.now() + clockOffsetMs;

  const state = {
    pulls: new Map(), // "o/r#n" -> pr
    contents: new Map(), // "o/r@ref:path" -> Buffer
    compares: new Map(), // "o/r base...head" -> {status, files}
    tokens: new Map(), // token -> {installationId, expiresAt}
    tokensIssued: 0,
    reviews: [], // {id, repo, number, state, body, commit_id, event, comments}
    reviewComments: [],
    issueComments: [], // {id, repo, number, body, user}
    checkRuns: [], // {id, repo, history: [body...], ...current}
    reactions: [], // {id, repo, target: "issue"|"review", commentId, content, user}
    permissions: new Map(), // "o/r:login" (lower case) -> {permission, role_name}
    resolvedThreads: new Map(), // thread node id -> who resolved it
    graphqlQueries: [], // the query text of every authenticated POST /graphql, in order
    graphqlEnabled: options.graphql ?? true,
    treeEntryLimit: options.treeEntryLimit ?? null,
    requests: [], // {method, path, status, at}
    faults: [],
  };
  const userJson = (login) => ({ login, id: [...login].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_000_000, 7), type: login.endsWith("[bot]") ? "Bot" : "User" });
  const isoNow = () => new Date(Math.floor(now() / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");

  const repoKey = (o, r) => `${o}/${r}`;
  const webSide = createGitHubWeb({ state, now, json: (...a) => json(...a), notFound: (r) => notFound(r), origin: () => origin });
  const prKey = (o, r, n) => `${o}/${r}#${n}`;

  function json(res, status, body, headers = {}) {
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "x-github-api-version-selected": "2022-11-28",
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(Math.floor(now() / 1000) + 3600),
      ...headers,
    });
    res.end(text);
    return status;
  }
  const notFound = (res) => json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
  const unprocessable = (res, errors, docs = DOCS) =>
    json(res, 422, { message: "Unprocessable Entity", errors, documentation_url: docs, status: "422" });

  function paginate(req, res, url, items) {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page")) || 30));
    const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p, rel) => {
      const u = new URL(url.toString());
      u.searchParams.set("per_page", String(perPage));
      u.searchParams.set("page", String(p));
      // `u.pathname` already holds the GHES prefix, if any.
      return `<${origin}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links = [];
    if (page > 1) links.push(link(page - 1, "prev"));
    if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
    if (page > 1) links.push(link(1, "first"));
    return json(res, 200, items.slice((page - 1) * perPage, page * perPage), links.length ? { link: links.join(", ") } : {});
  }

  const fileEntries = (files) => files.slice(0, 3000).map((f) => {
    const e = { sha: null, filename: f.filename, status: f.status, additions: f.additions, deletions: f.deletions, changes: f.changes };
    if (f.previous_filename) e.previous_filename = f.previous_filename;
    if (f.patch !== undefined) e.patch = f.patch;
    return e;
  });

  function takeFault(method, p) {
    const i = state.faults.findIndex((f) => (!f.method || f.method === method) && (f.path instanceof RegExp ? f.path.test(p) : p.includes(f.path)));
    if (i < 0) return null;
    const f = state.faults[i];
    if (--f.remaining <= 0) state.faults.splice(i, 1);
    return f;
  }

  async function readBody(req) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    req.rawBody = Buffer.concat(chunks).toString("utf8"); // the web side reads forms
    if (!chunks.length) return {};
    try { return JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { return null; }
  }

  async function handle(req, res) {
    const url = new URL(req.url, "http://fake");
    let p = url.pathname;
    if (prefix && p.startsWith(prefix)) p = p.slice(prefix.length);
    const method = req.method;
    const body = await readBody(req);
    const delay = options.latencyMs ?? 0;

    const fault = takeFault(method, p);
    const totalDelay = delay + (fault?.latencyMs ?? 0);
    if (totalDelay) await new Promise((r) => setTimeout(r, totalDelay));
    if (fault && fault.status) {
      return json(res, fault.status, fault.body ?? { message: "Server Error" }, fault.headers ?? {});
    }
    // App registration, sign-in and the user-token API (github-web.mjs).
    const webStatus = await webSide.handle(req, res, { method, url, path: url.pathname, apiPath: p, raw: req.rawBody, credential: String(req.headers.authorization ?? "").replace(/^(Bearer|token)\s+/i, "") });
    if (webStatus !== undefined) return webStatus;
    if (body === null) return json(res, 400, { message: "Problems parsing JSON", documentation_url: DOCS, status: "400" });
    // GitHub refuses requests without a User-Agent, and unsupported API versions.
    if (!req.headers["user-agent"]) {
      return json(res, 403, { message: "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes." });
    }
    const version = req.headers["x-github-api-version"];
    if (version && !SUPPORTED_API_VERSIONS.has(version)) {
      return json(res, 400, { message: `API version '${version}' is not supported.`, documentation_url: DOCS, status: "400" });
    }
    const auth = String(req.headers.authorization ?? "");
    const credential = auth.replace(/^(Bearer|token)\s+/i, "");
    const seg = p.split("/").filter(Boolean);
    const isGraphql = url.pathname === graphqlPath;
    if (isGraphql && (!state.graphqlEnabled || method !== "POST")) return notFound(res);

    if (!isGraphql && (seg[0] === "app" || (seg[0] === "repos" && seg[3] === "installation" && seg.length === 4))) {
      // An App registered through the manifest flow signs with its own new key.
      const created = webSide.web.appForJwt(credential);
      const why = verifyAppJwt(credential, created?.publicKey ?? publicKey, { appId: created?.id ?? appId, nowSec: Math.floor(now() / 1000) });
      if (why) return json(res, 401, { message: why, documentation_url: DOCS, status: "401" });
      if (created && seg[1] === "installations" && !webSide.web.installationOf(created.id, seg[2])) return notFound(res);
      if (method === "POST" && seg[1] === "installations" && seg[3] === "access_tokens" && seg.length === 4) {
        const token = `ghs_${randomBytes(18).toString("base64url")}`;
        const expiresAt = now() + tokenTtlSec * 1000;
        state.tokens.set(token, { installationId: Number(seg[2]), expiresAt });
        state.tokensIssued++;
        return json(res, 201, {
          token,
          expires_at: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z"),
          permissions: { pull_requests: "write", checks: "write", contents: "read", issues: "write" },
          repository_selection: "selected",
        });
      }
      if (method === "GET" && seg[0] === "repos") return json(res, 200, { id: 1, app_id: appId ?? 1 });
      // https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app
      if (method === "GET" && seg.length === 1) {
        return json(res, 200, {
          id: Number(appId ?? 1), slug: botLogin.replace(/\[bot\]$/, ""), node_id: nodeId("A", String(appId ?? 1)), name: "ArgusAI",
          owner: { login: "octo-org", type: "Organization" },
          permissions: { pull_requests: "write", checks: "write", contents: "read", issues: "write", metadata: "read" },
          events: ["pull_request", "issue_comment", "pull_request_review_comment"],
        });
      }
      return notFound(res);
    }
    const tok = state.tokens.get(credential);
    if (!tok || tok.expiresAt <= now()) return json(res, 401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
    if (isGraphql) {
      state.graphqlQueries.push(typeof body?.query === "string" ? body.query : "");
      const answer = executeGraphQL(graphqlData, body, options.graphqlOptions ?? {});
      return json(res, answer.status, answer.body, { "x-ratelimit-resource": "graphql" });
    }
    if (seg[0] !== "repos" || seg.length < 4) return notFound(res);
    const [, owner, repo, ...rest] = seg;
    const rk = repoKey(owner, repo);
    const route = `${method} ${rest.map((s, i) => (/^\d+$/.test(s) && i > 0 ? ":n" : s)).join("/")}`;
    const pr = (n) => state.pulls.get(prKey(owner, repo, Number(n)));

    switch (true) {
      case route === "GET pulls/:n": {
        const x = pr(rest[1]); if (!x) return notFound(res);
        return json(res, 200, {
          number: x.number, state: x.state, draft: x.draft, title: x.title, body: x.body ?? null, user: { login: x.author, type: x.authorType ?? "User" },
          labels: (x.labels ?? []).map((name, i) => ({ id: i + 1, name, color: "ededed", default: false })),
          head: { sha: x.headSha, ref: x.headRef }, base: { sha: x.baseSha, ref: x.baseRef },
        });
      }
      case route === "GET pulls/:n/files": {
        const x = pr(rest[1]); if (!x) return notFound(res);
        return paginate(req, res, url, fileEntries(x.files));
      }
      case method === "GET" && rest[0] === "compare" && rest.length >= 2: {
        const spec = decodeURIComponent(rest.slice(1).join("/"));
        const c = state.compares.get(`${rk} ${spec}`);
        if (!c) return notFound(res);
        return json(res, 200, { status: c.status, ahead_by: c.aheadBy ?? 1, behind_by: c.behindBy ?? 0, total_commits: c.aheadBy ?? 1, files: fileEntries(c.files) });
      }
      case method === "GET" && rest[0] === "contents": {
        const filePath = rest.slice(1).map(decodeURIComponent).join("/");
        const ref = url.searchParams.get("ref") ?? "main";
        const bytes = state.contents.get(`${rk}@${ref}:${filePath}`);
        if (!bytes) return notFound(res);
        // GitHub wraps the base64 at 60 columns.
        const b64 = bytes.toString("base64").replace(/.{60}/g, "$&\n");
        return json(res, 200, { type: "file", encoding: "base64", size: bytes.length, name: path.basename(filePath), path: filePath, content: b64 + "\n" });
      }
      case route === "GET pulls/:n/reviews": {
        if (!pr(rest[1])) return notFound(res);
        const list = state.reviews.filter((r) => r.repo === rk && r.number === Number(rest[1]))
          .map((r) => ({ id: r.id, body: r.body, state: r.state, commit_id: r.commit_id, user: userJson(r.user ?? botLogin) }));
        return paginate(req, res, url, list);
      }
      case route === "POST pulls/:n/reviews": return createReview(res, rk, pr(rest[1]), body);
      case route === "DELETE pulls/:n/reviews/:n": {
        const i = state.reviews.findIndex((r) => r.repo === rk && r.number === Number(rest[1]) && r.id === Number(rest[3]));
        if (i < 0) return notFound(res);
        if (state.reviews[i].state !== "PENDING") return unprocessable(res, ["Can not delete a non-pending pull request review"]);
        const [r] = state.reviews.splice(i, 1);
        return json(res, 200, { id: r.id, state: "PENDING", body: r.body });
      }
      case route === "GET pulls/:n/comments": {
        if (!pr(rest[1])) return notFound(res);
        return paginate(req, res, url, reviewCommentList(rk, Number(rest[1])));
      }
      case route === "POST pulls/:n/comments/:n/replies": {
        const x = pr(rest[1]);
        if (!x) return notFound(res);
        const target = reviewCommentList(rk, x.number).find((c) => c.id === Number(rest[3]));
        if (!target) return notFound(res);
        // Docs: the comment must be a top-level review comment; replies to replies are not supported.
        if (target.in_reply_to_id != null) return unprocessable(res, ["Replies to replies are not supported"]);
        if (typeof body.body !== "string" || !body.body) return unprocessable(res, [{ resource: "PullRequestReviewComment", code: "missing_field", field: "body" }]);
        if (body.body.length > 65536) return unprocessable(res, ["Body is too long (maximum is 65536 characters)"]);
        const c = addReply(rk, x.number, target.id, body.body, botLogin);
        return json(res, 201, reviewCommentList(rk, x.number).find((y) => y.id === c.id));
      }
      case route === "GET pulls/:n/commits": {
        const x = pr(rest[1]);
        if (!x) return notFound(res);
        // GitHub lists at most 250 commits (https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request).
        const list = (x.commitMessages ?? [{ sha: x.headSha, message: x.title }]).slice(0, 250)
          .map((c) => ({ sha: c.sha, commit: { message: c.message, author: { name: x.author, date: "2026-01-01T00:00:00Z" } }, author: userJson(x.author) }));
        return paginate(req, res, url, list);
      }
      case method === "GET" && rest[0] === "collaborators" && rest[2] === "permission" && rest.length === 3: {
        const login = decodeURIComponent(rest[1]);
        // https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user
        const perm = state.permissions.get(`${rk}:${login.toLowerCase()}`) ?? defaultPermission(login);
        if (!perm) return notFound(res);
        return json(res, 200, { permission: perm.permission, role_name: perm.role_name ?? perm.permission, user: userJson(login) });
      }
      case method === "GET" && rest[0] === "git" && rest[1] === "trees" && rest.length === 3: {
        const rev = decodeURIComponent(rest[2]);
        const recursive = !["", "0", "false", null].includes(url.searchParams.get("recursive"));
        const tree = treeOf(rk, rev, recursive);
        return tree ? json(res, 200, tree) : notFound(res);
      }
      case method === "GET" && rest[0] === "git" && rest[1] === "blobs" && rest.length === 3: {
        const bytes = blobBySha(rk, rest[2]);
        if (!bytes) return notFound(res);
        return json(res, 200, {
          sha: rest[2], node_id: nodeId("B", rest[2]), size: bytes.length, url: `${baseUrl}/repos/${rk}/git/blobs/${rest[2]}`,
          content: bytes.toString("base64").replace(/.{60}/g, "$&\n") + "\n", encoding: "base64",
        });
      }
      case method === "GET" && (rest[0] === "pulls" || rest[0] === "issues") && rest[1] === "comments" && rest[3] === "reactions" && rest.length === 4: {
        const target = rest[0] === "pulls" ? "review" : "issue";
        return paginate(req, res, url, state.reactions.filter((r) => r.repo === rk && (r.target ?? "issue") === target && r.commentId === Number(rest[2])).map(publicReaction));
      }
      case method === "POST" && rest[0] === "pulls" && rest[1] === "comments" && rest[3] === "reactions" && rest.length === 4: {
        // Webhooks deliver comments this fake never stored, so the comment's existence is not checked.
        if (!REACTIONS.has(body.content)) return unprocessable(res, [{ resource: "Reaction", code: "invalid", field: "content" }]);
        const existing = state.reactions.find((r) => r.repo === rk && r.target === "review" && r.commentId === Number(rest[2]) && r.content === body.content && r.user === botLogin);
        if (existing) return json(res, 200, publicReaction(existing));
        const r = { id: id(), repo: rk, target: "review", commentId: Number(rest[2]), content: body.content, user: botLogin };
        state.reactions.push(r);
        return json(res, 201, publicReaction(r));
      }
      case route === "GET issues/:n/comments":
        return paginate(req, res, url, state.issueComments.filter((c) => c.repo === rk && c.number === Number(rest[1])).map(publicIssueComment));
      case route === "POST issues/:n/comments": {
        if (typeof body.body !== "string" || !body.body) return unprocessable(res, [{ resource: "IssueComment", code: "missing_field", field: "body" }]);
        if (body.body.length > 65536) return unprocessable(res, [{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }]);
        const c = { id: id(), repo: rk, number: Number(rest[1]), body: body.body, user: userJson(botLogin), created_at: isoNow() };
        state.issueComments.push(c);
        return json(res, 201, publicIssueComment(c));
      }
      case route === "PATCH issues/comments/:n": {
        const c = state.issueComments.find((x) => x.repo === rk && x.id === Number(rest[2]));
        if (!c) return notFound(res);
        // An App may only edit its own comments.
        if (c.user.login !== botLogin) return json(res, 403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/issues/comments#update-an-issue-comment", status: "403" });
        if (typeof body.body !== "string" || !body.body) return unprocessable(res, [{ resource: "IssueComment", code: "missing_field", field: "body" }]);
        c.body = body.body;
        c.updates = (c.updates ?? 0) + 1;
        return json(res, 200, publicIssueComment(c));
      }
      case route === "POST issues/comments/:n/reactions": {
        if (!REACTIONS.has(body.content)) return unprocessable(res, [{ resource: "Reaction", code: "invalid", field: "content" }]);
        const existing = state.reactions.find((r) => r.repo === rk && r.target === "issue" && r.commentId === Number(rest[2]) && r.content === body.content && r.user === botLogin);
        if (existing) return json(res, 200, publicReaction(existing));
        const r = { id: id(), repo: rk, target: "issue", commentId: Number(rest[2]), content: body.content, user: botLogin };
        state.reactions.push(r);
        return json(res, 201, publicReaction(r));
      }
      case route === "POST check-runs": {
        if (!body.name || !body.head_sha) return unprocessable(res, [{ resource: "CheckRun", code: "missing_field", field: body.name ? "head_sha" : "name" }]);
        if (body.status === "completed" && !CONCLUSIONS.has(body.conclusion)) return unprocessable(res, ["Conclusion is required when status is completed"]);
        const run = { id: id(), repo: rk, name: body.name, head_sha: body.head_sha, status: body.status ?? "queued", conclusion: body.conclusion ?? null, output: body.output ?? null, history: [body] };
        state.checkRuns.push(run);
        return json(res, 201, publicCheckRun(run));
      }
      case route === "PATCH check-runs/:n": {
        const run = state.checkRuns.find((r) => r.repo === rk && r.id === Number(rest[1]));
        if (!run) return notFound(res);
        if (body.status === "completed" && !CONCLUSIONS.has(body.conclusion)) return unprocessable(res, ["Conclusion is required when status is completed"]);
        if (body.conclusion !== undefined && !CONCLUSIONS.has(body.conclusion)) return unprocessable(res, [{ resource: "CheckRun", code: "invalid", field: "conclusion" }]);
        Object.assign(run, { status: body.conclusion ? "completed" : body.status ?? run.status, conclusion: body.conclusion ?? run.conclusion, output: body.output ?? run.output });
        run.history.push(body);
        return json(res, 200, publicCheckRun(run));
      }
      default:
        return notFound(res);
    }
  }

  function publicIssueComment(c) {
    return { id: c.id, body: c.body, user: c.user, created_at: c.created_at ?? "2026-01-01T00:00:00Z", html_url: `https://github.com/${c.repo}/pull/${c.number}#issuecomment-${c.id}` };
  }
  function publicReaction(r) {
    return { id: r.id, content: r.content, user: userJson(r.user ?? botLogin), created_at: "2026-01-01T00:00:00Z" };
  }

  /**
   * Every submitted review comment and reply of a PR, oldest first, shaped like
   * `GET /pulls/{n}/comments`. A comment from an older commit keeps its `line`
   * while that line is still in the diff, else `line` is null (outdated).
   */
  function reviewCommentList(rk, number) {
    const x = state.pulls.get(`${rk}#${number}`);
    const submitted = new Set(state.reviews.filter((r) => r.state !== "PENDING").map((r) => r.id));
    const roots = new Map();
    const out = [];
    for (const c of state.reviewComments.filter((c) => c.repo === rk && c.number === number)) {
      if (c.in_reply_to_id == null && !submitted.has(c.pull_request_review_id)) continue;
      const { repo, number: _n, ...pub } = c;
      if (c.in_reply_to_id != null) {
        const root = roots.get(c.in_reply_to_id);
        if (!root) continue;
        Object.assign(pub, { path: root.path, line: root.line, original_line: root.original_line, side: root.side, commit_id: root.commit_id, original_commit_id: root.original_commit_id, start_line: root.start_line, original_start_line: root.original_start_line });
      } else {
        const current = !x || c.commit_id === x.headSha || checkComment(x.files, { path: c.path, line: c.line, side: c.side }) === null;
        pub.original_line = c.line;
        pub.original_start_line = c.start_line ?? null;
        pub.original_commit_id = c.commit_id;
        if (!current) Object.assign(pub, { line: null, start_line: null });
        roots.set(c.id, pub);
      }
      pub.html_url = `https://github.com/${rk}/pull/${number}#discussion_r${c.id}`;
      pub.reactions = reactionRollup(rk, c.id);
      out.push(pub);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** GitHub's `reaction-rollup` of a review comment: the count of each kind (it does not say who). */
  function reactionRollup(rk, commentId) {
    const on = state.reactions.filter((r) => r.repo === rk && r.target === "review" && r.commentId === commentId);
    const rollup = { url: `${baseUrl}/repos/${rk}/pulls/comments/${commentId}/reactions`, total_count: on.length };
    for (const kind of REACTIONS) rollup[kind] = on.filter((r) => r.content === kind).length;
    return rollup;
  }

  function addReply(rk, number, inReplyTo, text, user) {
    const c = { id: id(), repo: rk, number, in_reply_to_id: inReplyTo, body: text, user: userJson(user), created_at: isoNow() };
    state.reviewComments.push(c);
    return c;
  }

  /** Every stored file of `rk` at `rev`: "path" -> Buffer. */
  function filesAt(rk, rev) {
    const prefix = `${rk}@${rev}:`;
    const files = new Map();
    for (const [k, v] of state.contents) if (k.startsWith(prefix)) files.set(k.slice(prefix.length), v);
    return files;
  }
  function knownRev(rk, rev) {
    if (filesAt(rk, rev).size) return true;
    for (const x of state.pulls.values()) if (`${x.owner}/${x.repo}` === rk && (x.headSha === rev || x.baseSha === rev || x.headRef === rev || x.baseRef === rev)) return true;
    return false;
  }
  /** `GET /git/trees/{rev}`: the stored files and the directories they imply, sorted by path. */
  function treeOf(rk, rev, recursive) {
    if (!knownRev(rk, rev)) return null;
    const entries = new Map();
    for (const [fp, bytes] of filesAt(rk, rev)) {
      const parts = fp.split("/");
      for (let d = 1; d < parts.length; d++) {
        const dir = parts.slice(0, d).join("/");
        if (!entries.has(dir)) entries.set(dir, { path: dir, mode: "040000", type: "tree", sha: gitBlobSha(Buffer.from(`tree ${rev} ${dir}`)) });
      }
      const sha = gitBlobSha(bytes);
      entries.set(fp, { path: fp, mode: "100644", type: "blob", sha, size: bytes.length, url: `${baseUrl}/repos/${rk}/git/blobs/${sha}` });
    }
    let list = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (!recursive) list = list.filter((e) => !e.path.includes("/"));
    let truncated = false;
    if (state.treeEntryLimit != null && list.length > state.treeEntryLimit) { list = list.slice(0, state.treeEntryLimit); truncated = true; }
    return { sha: gitBlobSha(Buffer.from(`tree ${rev}`)), url: `${baseUrl}/repos/${rk}/git/trees/${rev}`, tree: list, truncated };
  }
  function blobBySha(rk, sha) {
    for (const [k, v] of state.contents) if (k.startsWith(`${rk}@`) && gitBlobSha(v) === sha) return v;
    return null;
  }

  /** What the GraphQL engine reads. */
  const graphqlData = {
    repositoryExists(owner, name) {
      const rk = repoKey(owner, name);
      for (const x of state.pulls.values()) if (`${x.owner}/${x.repo}` === rk) return true;
      for (const k of state.contents.keys()) if (k.startsWith(`${rk}@`)) return true;
      return false;
    },
    object(owner, name, expression) {
      const rk = repoKey(owner, name);
      const colon = expression.indexOf(":");
      const rev = colon < 0 ? expression : expression.slice(0, colon);
      if (!knownRev(rk, rev)) return null;
      if (colon < 0) return { type: "Commit", oid: rev, bytes: Buffer.alloc(0) };
      const fp = expression.slice(colon + 1).replace(/\/+$/, "");
      const bytes = state.contents.get(`${rk}@${rev}:${fp}`);
      if (bytes) return { type: "Blob", oid: gitBlobSha(bytes), bytes };
      const isDir = fp === "" || [...filesAt(rk, rev).keys()].some((k) => k.startsWith(`${fp}/`));
      return isDir ? { type: "Tree", oid: gitBlobSha(Buffer.from(`tree ${rev} ${fp}`)), bytes: Buffer.alloc(0) } : null;
    },
    reviewThreads(owner, name, number) {
      const rk = repoKey(owner, name);
      if (!state.pulls.has(`${rk}#${number}`)) return null;
      return groupThreads(reviewCommentList(rk, number), state.resolvedThreads, (root) => nodeId("PRRT", `${rk}#${number}/${root}`));
    },
    setThreadResolved(threadId, resolved) {
      for (const x of state.pulls.values()) {
        const threads = graphqlData.reviewThreads(x.owner, x.repo, x.number);
        if (!threads.some((t) => t.id === threadId)) continue;
        if (resolved) state.resolvedThreads.set(threadId, botLogin.replace(/\[bot\]$/, ""));
        else state.resolvedThreads.delete(threadId);
        return graphqlData.reviewThreads(x.owner, x.repo, x.number).find((t) => t.id === threadId);
      }
      return null;
    },
  };
  function publicCheckRun(r) {
    return { id: r.id, name: r.name, head_sha: r.head_sha, status: r.status, conclusion: r.conclusion, output: r.output };
  }

  function createReview(res, rk, x, body) {
    if (!x) return notFound(res);
    if (body.event !== undefined && !["COMMENT", "APPROVE", "REQUEST_CHANGES"].includes(body.event)) {
      return unprocessable(res, ["Event is invalid"], REVIEW_DOCS);
    }
    if (body.commit_id !== undefined && body.commit_id !== x.headSha && !x.commits.includes(body.commit_id)) {
      return unprocessable(res, ["commit_id is not part of the pull request"], REVIEW_DOCS);
    }
    const comments = Array.isArray(body.comments) ? body.comments : [];
    // One bad comment rejects the whole review, and nothing is stored.
    for (const c of comments) {
      const why = checkComment(x.files, c);
      if (why) return unprocessable(res, [why], REVIEW_DOCS);
      if (typeof c.body !== "string" || c.body.length > 65536) return unprocessable(res, ["Body is too long (maximum is 65536 characters)"], REVIEW_DOCS);
    }
    if ((body.body ?? "").length > 65536) return unprocessable(res, ["Body is too long (maximum is 65536 characters)"], REVIEW_DOCS);
    const pending = body.event === undefined;
    if (pending && state.reviews.some((r) => r.repo === rk && r.number === x.number && r.state === "PENDING")) {
      return unprocessable(res, ["User can only have one pending review per pull request"], REVIEW_DOCS);
    }
    if (!pending && body.event !== "COMMENT" && x.author === botLogin) {
      return unprocessable(res, ["Can not approve your own pull request"], REVIEW_DOCS);
    }
    const stateName = pending ? "PENDING" : { COMMENT: "COMMENTED", APPROVE: "APPROVED", REQUEST_CHANGES: "CHANGES_REQUESTED" }[body.event];
    const review = addReview(rk, x, { state: stateName, body: body.body ?? "", commitId: body.commit_id ?? x.headSha, event: body.event ?? null, comments, user: botLogin });
    return json(res, 200, { id: review.id, state: review.state, body: review.body, commit_id: review.commit_id, user: userJson(botLogin) });
  }

  function addReview(rk, x, { state: stateName, body, commitId, event = null, comments = [], user }) {
    const review = { id: id(), repo: rk, number: x.number, state: stateName, body, commit_id: commitId, event, comments, user };
    state.reviews.push(review);
    for (const c of comments) {
      state.reviewComments.push({
        id: id(), repo: rk, number: x.number, pull_request_review_id: review.id, path: c.path, line: c.line, side: c.side ?? "RIGHT",
        start_line: c.start_line ?? null, start_side: c.start_line ? c.start_side ?? c.side ?? "RIGHT" : null,
        body: c.body, commit_id: review.commit_id, user: userJson(user), created_at: isoNow(),
      });
    }
    return review;
  }

  const server = http.createServer((req, res) => {
    const started = now();
    handle(req, res)
      .then((status) => state.requests.push({ method: req.method, path: req.url, status: status ?? res.statusCode, at: started }))
      .catch((err) => {
        state.requests.push({ method: req.method, path: req.url, status: 500, at: started, error: String(err) });
        if (!res.headersSent) json(res, 500, { message: `fake GitHub bug: ${err.message}` });
      });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const baseUrl = `${origin}${prefix}`;

  const fake = {
    url: baseUrl,
    /** Where browsers sign in and register Apps (github.com; GHES serves it without the API prefix). */
    webUrl: origin,
    state,
    /** The web side: Apps, users, roles, installations (see github-web.mjs). */
    web: webSide.web,
    /** Stops the server, closing keep-alive connections too. */
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
    /** Moves the fake's clock (token and JWT expiry) by `ms`. */
    advanceTime(ms) { clockOffsetMs += ms; },
    now,
    /**
     * Adds a PR. `diffText` or `diffPath` (a real diff) gives the files, or pass
     * `files` in GitHub's shape; `body` (the description) and `labels` (names) as GitHub shows them. `baseFiles`/`headFiles` ({path: text}) are served
     * by the contents endpoint at the base/head SHA and branch.
     */
    addPullRequest({ owner, repo, number, diffText, diffPath, files, headSha, baseSha, title = "A pull request", body = null, labels = [], draft = false, state: prState = "open", author = "octocat", headRef = "feature", baseRef = "main", baseFiles = {}, headFiles = {}, commits = [], commitMessages, synthesizeContents = false }) {
      const text = diffText ?? (diffPath ? readFileSync(diffPath, "utf8") : null);
      const prFiles = files ?? (text != null ? splitUnifiedDiff(text) : []);
      const x = { owner, repo, number: Number(number), files: prFiles, headSha, baseSha, title, body, labels, draft, state: prState, author, headRef, baseRef, commits, commitMessages };
      // Given texts must agree with the diff, as GitHub's contents and diffs always do.
      for (const f of prFiles) {
        if (f.patch === undefined) continue;
        const basePath = f.previous_filename ?? f.filename;
        for (const [side, map, fp] of [["+", headFiles, f.filename], ["-", baseFiles, basePath]]) {
          if (!Object.hasOwn(map, fp)) continue;
          const why = contradiction(String(map[fp]), f.patch, side);
          if (why) throw new Error(`addPullRequest: the ${side === "+" ? "head" : "base"} text of ${fp} contradicts its patch: ${why}`);
        }
      }
      state.pulls.set(prKey(owner, repo, number), x);
      for (const [ref, map] of [[baseSha, baseFiles], [baseRef, baseFiles], [headSha, headFiles], [headRef, headFiles]]) {
        for (const [fp, content] of Object.entries(map)) fake.setContent({ owner, repo, ref, path: fp, content });
      }
      if (synthesizeContents) {
        for (const f of prFiles) {
          if (f.patch === undefined) continue;
          const { base, head } = textsFromPatch(f.filename, f.patch);
          const basePath = f.previous_filename ?? f.filename;
          if (f.status !== "added" && !Object.hasOwn(baseFiles, basePath)) for (const ref of [baseSha, baseRef]) fake.setContent({ owner, repo, ref, path: basePath, content: base });
          if (f.status !== "removed" && !Object.hasOwn(headFiles, f.filename)) for (const ref of [headSha, headRef]) fake.setContent({ owner, repo, ref, path: f.filename, content: head });
        }
      }
      fake.setCompare({ owner, repo, base: baseSha, head: headSha, status: "ahead", files: prFiles });
      return x;
    },
    /** Moves a PR's head (a push or force-push). */
    setHead({ owner, repo, number, headSha, diffText, files }) {
      const x = state.pulls.get(prKey(owner, repo, number));
      x.commits.push(x.headSha);
      x.headSha = headSha;
      if (files || diffText) x.files = files ?? splitUnifiedDiff(diffText);
    },
    setContent({ owner, repo, ref, path: fp, content }) {
      state.contents.set(`${repoKey(owner, repo)}@${ref}:${fp}`, Buffer.isBuffer(content) ? content : Buffer.from(String(content), "utf8"));
    },
    /** `status`: ahead | behind | diverged | identical. */
    setCompare({ owner, repo, base, head, status, files = [], diffText, aheadBy, behindBy }) {
      state.compares.set(`${repoKey(owner, repo)} ${base}...${head}`, { status, files: diffText ? splitUnifiedDiff(diffText) : files, aheadBy, behindBy });
    },
    /**
     * Injects a fault on requests whose path (without query) contains `path` (or
     * matches a RegExp): `{method?, path, status?, headers?, body?, latencyMs?, times = 1}`.
     * With only `latencyMs`, the request is delayed then served normally.
     */
    inject(fault) {
      state.faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    /** GitHub's secondary rate limit answer: 403 with `retry-after`. */
    injectSecondaryRateLimit({ method, path: fp, retryAfterSec = 60, times = 1 }) {
      fake.inject({
        method, path: fp, times, status: 403, headers: { "retry-after": String(retryAfterSec), "x-ratelimit-remaining": "4999" },
        body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", documentation_url: "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits", status: "403" },
      });
    },
    /** Requests whose method matches and whose path matches the RegExp or contains the string. */
    count(method, pathPattern) {
      return state.requests.filter((r) => (!method || r.method === method) && (pathPattern instanceof RegExp ? pathPattern.test(r.path) : r.path.includes(pathPattern))).length;
    },
    /**
     * Sets `login`'s access to owner/repo, either as a `role` (admin | maintain |
     * write | triage | read | none; GitHub reports `maintain` as permission
     * `write` and `triage` as `read`, with the role in `role_name`) or as
     * `permission` (admin | write | read | none) and `roleName`.
     */
    setPermission({ owner, repo, login, role, permission, roleName }) {
      const perm = role ? { maintain: "write", triage: "read" }[role] ?? role : permission;
      state.permissions.set(`${repoKey(owner, repo)}:${login.toLowerCase()}`, { permission: perm, role_name: role ?? roleName ?? perm });
    },
    /** Turns `/graphql` on or off (off: 404, as where GraphQL is unavailable). */
    setGraphql(enabled) { state.graphqlEnabled = enabled; },
    /** A review submitted by someone else; `comments` are draft comments. Returns it. */
    addReviewBy({ user, owner, repo, number, state: reviewState = "COMMENTED", body = "", comments = [] }) {
      const x = state.pulls.get(prKey(owner, repo, number));
      return addReview(repoKey(owner, repo), x, { state: reviewState, body, commitId: x.headSha, comments, user });
    },
    /** A conversation comment by someone else. Returns it. */
    addIssueCommentBy({ user, owner, repo, number, body }) {
      const c = { id: id(), repo: repoKey(owner, repo), number: Number(number), body, user: userJson(user), created_at: isoNow() };
      state.issueComments.push(c);
      return c;
    },
    /** A reply in a review thread by someone else. Returns it. */
    addReplyBy({ user, owner, repo, number, inReplyTo, body }) {
      return addReply(repoKey(owner, repo), Number(number), inReplyTo, body, user);
    },
    /** A reaction by someone else on a review comment (`target` "review") or an issue comment ("issue"). */
    addReactionBy({ user, owner, repo, target, commentId, content }) {
      const r = { id: id(), repo: repoKey(owner, repo), target, commentId: Number(commentId), content, user };
      state.reactions.push(r);
      return r;
    },
    /** The review comments and replies of a PR as `GET /pulls/{n}/comments` lists them. */
    reviewComments(owner, repo, number) { return reviewCommentList(repoKey(owner, repo), Number(number)); },
    /** The PR's review threads as GraphQL sees them. */
    reviewThreads(owner, repo, number) { return graphqlData.reviewThreads(owner, repo, Number(number)); },
    /** Reviews visible on the PR (not pending). */
    submittedReviews(owner, repo, number) {
      return state.reviews.filter((r) => r.repo === repoKey(owner, repo) && r.number === Number(number) && r.state !== "PENDING");
    },
  };
  return fake;
}

// ---------- CLI: a local sandbox ----------

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const arg = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const fake = await startFakeGitHub({ port: Number(arg("port", "8788")), appId: arg("app-id", null), apiPrefix: arg("api-prefix", "") });
  const diffPath = arg("diff", null);
  const pr = {
    owner: arg("owner", "octo-org"), repo: arg("repo", "sandbox"), number: Number(arg("number", "1")),
    headSha: arg("head", "1".repeat(40)), baseSha: arg("base", "2".repeat(40)),
  };
  if (diffPath) fake.addPullRequest({ ...pr, diffPath });
  console.log(JSON.stringify({ url: fake.url, pullRequest: diffPath ? `${pr.owner}/${pr.repo}#${pr.number}` : null }));
  const stop = async () => { await fake.close(); process.exit(0); };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

// The web side of the fake GitHub (and the API routes that go with it): App
// registration from a manifest, App installation, "Sign in with GitHub" for a
// GitHub App (OAuth web flow with PKCE), and the user-token API. github.mjs
// mounts it with one hook; tests drive it like a browser (or a real browser does).
//
// It is as strict as GitHub where ArgusAI's correctness depends on it:
// - the manifest flow (https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
//   POST `manifest` (JSON) to /settings/apps/new or /organizations/ORG/settings/apps/new
//   with an optional `state`; `url` and `hook_attributes.url` are required, names are
//   unique and at most 34 characters, permissions and events must be known, an event
//   needs its permission; GitHub redirects to `redirect_url?code=…&state=…`; the code
//   converts once, within an hour (POST /app-manifests/{code}/conversions → 201);
// - OAuth (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app):
//   `redirect_uri` must equal a registered callback URL exactly, PKCE only with S256,
//   codes are single use and live 10 minutes, errors come back as 200 with `error`,
//   tokens are `ghu_…` and expire after 8 hours;
// - the user-token API (https://docs.github.com/en/rest/apps/installations):
//   GET /user, /user/installations and /user/installations/{id}/repositories list only
//   what both the App and the user reach, with the user's `permissions`; 404 otherwise;
// - GET /repos/{o}/{r}/collaborators/{user}/permission and GET /repos/{o}/{r} with an
//   installation token, only for repositories of that installation.
import { generateKeyPairSync, createPublicKey, randomBytes, createHash } from "node:crypto";

const DOCS = "https://docs.github.com/rest";
const KNOWN_PERMISSIONS = new Set(["actions", "administration", "checks", "contents", "deployments", "environments", "issues", "metadata", "packages", "pages", "pull_requests", "repository_hooks", "repository_projects", "secret_scanning_alerts", "secrets", "security_events", "statuses", "vulnerability_alerts", "workflows", "members", "organization_administration"]);
// Events GitHub lets an App subscribe to only with the matching permission.
const EVENT_NEEDS = { pull_request: "pull_requests", pull_request_review: "pull_requests", pull_request_review_comment: "pull_requests", issue_comment: "issues", issues: "issues", check_run: "checks", check_suite: "checks", push: "contents", status: "statuses" };
const ROLE_FLAGS = {
  admin: { admin: true, maintain: true, push: true, triage: true, pull: true },
  maintain: { admin: false, maintain: true, push: true, triage: true, pull: true },
  write: { admin: false, maintain: false, push: true, triage: true, pull: true },
  triage: { admin: false, maintain: false, push: false, triage: true, pull: true },
  read: { admin: false, maintain: false, push: false, triage: false, pull: true },
};
const LEGACY = { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read" };

const rand = (n) => randomBytes(n).toString("hex");
const b64url = (buf) => Buffer.from(buf).toString("base64url");
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)} · fake GitHub</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

function parseForm(text) {
  const out = {};
  for (const [k, v] of new URLSearchParams(text ?? "")) if (!(k in out)) out[k] = v;
  return out;
}

function isUrl(s) {
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * The web side's state and its request handler. `ctx` comes from github.mjs:
 * `{ state, now, json, notFound, unprocessable, nextId, apiPrefix }`.
 */
export function createGitHubWeb(ctx) {
  const { state, now, json, notFound } = ctx;
  const web = {
    apps: new Map(), // id -> app
    registrations: new Map(), // token -> { manifest, state, owner, login }
    conversions: new Map(), // code -> { appId, expiresAt }
    users: new Map(), // login -> { id, login }
    orgOwners: new Map(), // org -> Set(login)
    currentUser: null, // the login a browser is signed in to GitHub as
    authorized: new Set(), // "appId login": the user authorized the App before
    oauthCodes: new Map(), // code -> { appId, login, redirectUri, challenge, expiresAt }
    userTokens: new Map(), // token -> { appId, login, expiresAt }
    installations: new Map(), // id -> { id, appId, account, repos: Set("o/r") }
    roles: new Map(), // "login o/r" -> admin | maintain | write | triage | read
    requests: [], // web and user-API requests, for assertions
    nextUserId: 5000,
    nextInstallation: 9000,

    addUser(login) {
      if (!web.users.has(login)) web.users.set(login, { id: ++web.nextUserId, login });
      return web.users.get(login);
    },
    signIn(login) {
      web.addUser(login);
      web.currentUser = login;
    },
    /** `login` owns organization `org` (may register Apps on it). */
    addOrgOwner(org, login) {
      web.addUser(login);
      if (!web.orgOwners.has(org)) web.orgOwners.set(org, new Set());
      web.orgOwners.get(org).add(login);
    },
    /** Gives `login` a role on repository `full` ("o/r"). */
    grant(login, full, role) {
      if (!ROLE_FLAGS[role]) throw new Error(`unknown role ${role}`);
      web.addUser(login);
      web.roles.set(`${login} ${full}`, role);
    },
    /** Installs App `appId` on `account` for `repos` (["o/r", …]); returns the installation id. */
    install({ appId, account, repos, id }) {
      const inst = { id: id ?? ++web.nextInstallation, appId: Number(appId), account, repos: new Set(repos) };
      web.installations.set(inst.id, inst);
      return inst.id;
    },
    /**
     * Registers an App without the manifest flow (an App that already exists, like the
     * one whose key is in tests/fixtures). Without `publicKey` its JWTs are checked
     * with the fake's default key.
     */
    addApp({ id, name, slug, clientId, clientSecret, callbackUrls = [], setupUrl = null, owner = "octo-owner", permissions = {}, events = [] }) {
      const app = { id: Number(id), slug: slug ?? String(name).toLowerCase().replace(/[^a-z0-9]+/g, "-"), name, owner, manifest: {}, clientId, clientSecret, webhookSecret: null, pem: null, publicKey: null, callbackUrls, setupUrl, permissions, events, htmlUrl: `${ctx.origin()}/apps/${slug}` };
      web.apps.set(app.id, app);
      return app;
    },
    appBySlug(slug) {
      return [...web.apps.values()].find((a) => a.slug === slug);
    },
    /** The App a JWT claims to be (by `iss`), if it was created through the manifest flow. */
    appForJwt(token) {
      try {
        const claims = JSON.parse(Buffer.from(String(token).split(".")[1] ?? "", "base64url").toString("utf8"));
        const app = web.apps.get(Number(claims.iss));
        return app?.publicKey ? app : null;
      } catch {
        return null;
      }
    },
    /** Whether installation `id` belongs to App `appId` (installations not made here belong to any App). */
    installationOf(appId, id) {
      const inst = web.installations.get(Number(id));
      return !inst || inst.appId === Number(appId);
    },
  };

  function redirect(res, location) {
    res.writeHead(302, { location, "cache-control": "no-store" });
    res.end();
    return 302;
  }
  function html(res, status, body) {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
    res.end(body);
    return status;
  }

  // ----- App registration from a manifest -------------------------------

  function validateManifest(m) {
    const errors = [];
    if (!m || typeof m !== "object" || Array.isArray(m)) return ["The manifest must be a JSON object"];
    if (typeof m.url !== "string" || !isUrl(m.url)) errors.push("url is required and must be a URL");
    if (m.name !== undefined && (typeof m.name !== "string" || m.name.length > 34)) errors.push("name must be at most 34 characters");
    if (m.hook_attributes !== undefined) {
      if (typeof m.hook_attributes !== "object" || typeof m.hook_attributes.url !== "string" || !isUrl(m.hook_attributes.url)) errors.push("hook_attributes.url is required and must be a URL");
    }
    for (const k of ["redirect_url", "setup_url"]) if (m[k] !== undefined && (typeof m[k] !== "string" || !isUrl(m[k]))) errors.push(`${k} must be a URL`);
    if (m.callback_urls !== undefined && (!Array.isArray(m.callback_urls) || m.callback_urls.length > 10 || !m.callback_urls.every(isUrl))) errors.push("callback_urls must be at most 10 URLs");
    const perms = m.default_permissions ?? {};
    for (const [k, v] of Object.entries(perms)) {
      if (!KNOWN_PERMISSIONS.has(k)) errors.push(`Unknown permission ${k}`);
      if (!["read", "write", "admin"].includes(v)) errors.push(`Invalid access ${v} for ${k}`);
    }
    for (const e of m.default_events ?? []) {
      const need = EVENT_NEEDS[e];
      if (need === undefined) errors.push(`Unknown event ${e}`);
      else if (!perms[need]) errors.push(`Event ${e} requires the ${need} permission`);
    }
    for (const k of ["public", "request_oauth_on_install", "setup_on_update"]) if (m[k] !== undefined && typeof m[k] !== "boolean") errors.push(`${k} must be a boolean`);
    return errors;
  }

  function newAppForm(res, owner, query, formBody) {
    const login = web.currentUser;
    if (!login) return html(res, 401, page("Sign in to GitHub", "<p>You must be signed in to register a GitHub App.</p>"));
    if (owner !== login && !(web.orgOwners.get(owner)?.has(login))) return notFound(res);
    let manifest;
    try {
      manifest = JSON.parse(formBody.manifest ?? "");
    } catch {
      return html(res, 422, page("Invalid GitHub App manifest", "<p>The manifest is not valid JSON.</p>"));
    }
    const errors = validateManifest(manifest);
    if (errors.length) return html(res, 422, page("Invalid GitHub App manifest", `<ul>${errors.map((e) => `<li>${escapeHtml(e)}</li>`).join("")}</ul>`));
    const token = rand(16);
    web.registrations.set(token, { manifest, state: query.get("state"), owner, login });
    const name = manifest.name ?? "";
    return html(res, 200, page(`Create GitHub App for ${owner}`,
      `<form method="post" action="/settings/apps/new/confirm"><input type="hidden" name="registration" value="${token}">` +
      `<label for="app-name">GitHub App name</label><input id="app-name" name="name" value="${escapeHtml(name)}">` +
      `<button type="submit" id="create-app">Create GitHub App for ${escapeHtml(owner)}</button></form>`));
  }

  function confirmNewApp(res, formBody) {
    const reg = web.registrations.get(formBody.registration ?? "");
    if (!reg) return html(res, 422, page("Registration expired", "<p>Start again from the app.</p>"));
    const name = String(formBody.name ?? reg.manifest.name ?? "").trim();
    if (!name || name.length > 34) return html(res, 422, page("Invalid name", "<p>Name can't be blank and must be at most 34 characters.</p>"));
    if ([...web.apps.values()].some((a) => a.name.toLowerCase() === name.toLowerCase())) return html(res, 422, page("Name is already taken", `<p>${escapeHtml(name)} is already taken.</p>`));
    web.registrations.delete(formBody.registration);
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });
    const m = reg.manifest;
    const id = 100000 + web.apps.size + 1;
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    const app = {
      id, slug, name, owner: reg.owner, manifest: m,
      clientId: `Iv23li${rand(7)}`, clientSecret: rand(20), webhookSecret: rand(20),
      pem: privateKey, publicKey: createPublicKey(publicKey),
      callbackUrls: m.callback_urls ?? [], setupUrl: m.setup_url ?? null,
      permissions: m.default_permissions ?? {}, events: m.default_events ?? [],
      htmlUrl: `${ctx.origin()}/apps/${slug}`,
    };
    web.apps.set(id, app);
    const code = rand(20);
    web.conversions.set(code, { appId: id, expiresAt: now() + 3600_000 });
    const target = new URL(m.redirect_url ?? m.url);
    target.searchParams.set("code", code);
    if (reg.state) target.searchParams.set("state", reg.state);
    return redirect(res, target.toString());
  }

  function conversion(res, code) {
    const c = web.conversions.get(code);
    if (!c || c.expiresAt <= now()) return notFound(res);
    web.conversions.delete(code); // single use
    const a = web.apps.get(c.appId);
    return json(res, 201, {
      id: a.id, slug: a.slug, node_id: b64url(`A_${a.id}`), name: a.name, description: a.manifest.description ?? "",
      owner: { login: a.owner, id: web.users.get(a.owner)?.id ?? 1, type: web.orgOwners.has(a.owner) ? "Organization" : "User" },
      external_url: a.manifest.url, html_url: a.htmlUrl,
      created_at: new Date(now()).toISOString(), updated_at: new Date(now()).toISOString(),
      permissions: a.permissions, events: a.events,
      client_id: a.clientId, client_secret: a.clientSecret, webhook_secret: a.webhookSecret, pem: a.pem,
    });
  }

  // ----- installation ------------------------------------------------------

  function installPage(res, app) {
    const login = web.currentUser;
    if (!login) return html(res, 401, page("Sign in to GitHub", "<p>Sign in to install this App.</p>"));
    return html(res, 200, page(`Install ${app.name}`,
      `<form method="post" action="/apps/${app.slug}/installations/new"><label for="repos">Repositories (owner/name, comma-separated)</label>` +
      `<input id="repos" name="repos"><button type="submit" id="install">Install</button></form>`));
  }

  function installSubmit(res, app, formBody) {
    const login = web.currentUser;
    if (!login) return html(res, 401, page("Sign in to GitHub", ""));
    const repos = String(formBody.repos ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (!repos.length) return html(res, 422, page("Choose repositories", "<p>Select at least one repository.</p>"));
    const owners = new Set(repos.map((r) => r.split("/")[0]));
    if (owners.size !== 1) return html(res, 422, page("One account at a time", "<p>An installation belongs to one account.</p>"));
    const [account] = owners;
    // Only an admin of every chosen repository may install there.
    if (!repos.every((r) => web.roles.get(`${login} ${r}`) === "admin")) return notFound(res);
    const id = web.install({ appId: app.id, account, repos });
    if (!app.setupUrl) return html(res, 200, page("Installed", `<p>Installation ${id}</p>`));
    const u = new URL(app.setupUrl);
    u.searchParams.set("installation_id", String(id));
    u.searchParams.set("setup_action", "install");
    return redirect(res, u.toString());
  }

  // ----- OAuth web flow ----------------------------------------------------

  function authorize(res, q, method, formBody) {
    const params = method === "POST" ? new URLSearchParams(formBody) : q;
    const app = [...web.apps.values()].find((a) => a.clientId === params.get("client_id"));
    if (!app) return html(res, 404, page("Not Found", "<p>No application with this client id.</p>"));
    const requested = params.get("redirect_uri");
    const registered = app.callbackUrls;
    const stateParam = params.get("state");
    if (requested !== null && !registered.includes(requested)) {
      if (!registered.length) return html(res, 400, page("Redirect URI mismatch", ""));
      const u = new URL(registered[0]);
      u.searchParams.set("error", "redirect_uri_mismatch");
      u.searchParams.set("error_description", "The redirect_uri MUST match the registered callback URL for this application.");
      u.searchParams.set("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch");
      if (stateParam) u.searchParams.set("state", stateParam);
      return redirect(res, u.toString());
    }
    const challenge = params.get("code_challenge");
    const challengeMethod = params.get("code_challenge_method");
    if (challenge !== null && challengeMethod !== "S256") return html(res, 400, page("Unsupported code_challenge_method", "<p>Only S256 is supported.</p>"));
    const login = web.currentUser;
    if (!login) return html(res, 200, page("Sign in to GitHub", "<p>to continue to the application.</p>"));
    const key = `${app.id} ${login}`;
    if (method === "GET" && !web.authorized.has(key)) {
      const hidden = [...params].map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join("");
      return html(res, 200, page(`Authorize ${app.name}`, `<form method="post" action="/login/oauth/authorize">${hidden}<button type="submit" id="authorize">Authorize ${escapeHtml(app.name)}</button></form>`));
    }
    web.authorized.add(key);
    const code = rand(10);
    const redirectUri = requested ?? registered[0];
    web.oauthCodes.set(code, { appId: app.id, login, redirectUri, requestedRedirect: requested, challenge, expiresAt: now() + 600_000 });
    const u = new URL(redirectUri);
    u.searchParams.set("code", code);
    if (stateParam) u.searchParams.set("state", stateParam);
    return redirect(res, u.toString());
  }

  function accessToken(req, res, raw) {
    const ctype = String(req.headers["content-type"] ?? "");
    let p;
    if (ctype.includes("application/json")) {
      try { p = JSON.parse(raw || "{}"); } catch { p = {}; }
    } else {
      p = parseForm(raw);
    }
    const answer = (body) => {
      if (String(req.headers.accept ?? "").includes("application/json")) return json(res, 200, body);
      res.writeHead(200, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" });
      res.end(new URLSearchParams(body).toString());
      return 200;
    };
    const error = (code, description) => answer({ error: code, error_description: description, error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors" });
    const app = [...web.apps.values()].find((a) => a.clientId === p.client_id);
    if (!app || app.clientSecret !== p.client_secret) return error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
    const c = web.oauthCodes.get(p.code ?? "");
    if (!c || c.appId !== app.id || c.expiresAt <= now()) return error("bad_verification_code", "The code passed is incorrect or expired.");
    web.oauthCodes.delete(p.code); // single use, even when the rest fails
    if (p.redirect_uri !== undefined && p.redirect_uri !== c.redirectUri) return error("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
    if (c.challenge) {
      const computed = createHash("sha256").update(String(p.code_verifier ?? "")).digest("base64url");
      if (!p.code_verifier || computed !== c.challenge) return error("bad_verification_code", "The code_verifier does not match the code_challenge.");
    }
    const token = `ghu_${randomBytes(27).toString("base64url").slice(0, 36)}`;
    web.userTokens.set(token, { appId: app.id, login: c.login, expiresAt: now() + 28_800_000 });
    return answer({ access_token: token, expires_in: 28800, refresh_token: `ghr_${rand(30)}`, refresh_token_expires_in: 15811200, token_type: "bearer", scope: "" });
  }

  // ----- the user-token API ---------------------------------------------

  const userPublic = (u) => ({ login: u.login, id: u.id, node_id: b64url(`U_${u.id}`), type: "User", site_admin: false, html_url: `${ctx.origin()}/${u.login}` });
  const reposFor = (inst, login) => [...inst.repos].filter((r) => web.roles.has(`${login} ${r}`)).sort();

  function paginate(res, url, items, wrap) {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page")) || 30));
    const pageNo = Math.max(1, Number(url.searchParams.get("page")) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p, rel) => {
      const u = new URL(url.toString());
      u.searchParams.set("per_page", String(perPage));
      u.searchParams.set("page", String(p));
      return `<${ctx.origin()}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links = [];
    if (pageNo < last) links.push(link(pageNo + 1, "next"), link(last, "last"));
    if (pageNo > 1) links.push(link(pageNo - 1, "prev"), link(1, "first"));
    return json(res, 200, wrap(items.slice((pageNo - 1) * perPage, pageNo * perPage), items.length), links.length ? { link: links.join(", ") } : {});
  }

  function userApi(res, url, seg, tok) {
    const u = web.users.get(tok.login);
    if (seg.length === 1) return json(res, 200, userPublic(u));
    const mine = [...web.installations.values()].filter((i) => i.appId === tok.appId && reposFor(i, tok.login).length > 0);
    if (seg[1] === "installations" && seg.length === 2) {
      return paginate(res, url, mine, (items, total) => ({
        total_count: total,
        installations: items.map((i) => {
          const app = web.apps.get(i.appId);
          return { id: i.id, app_id: i.appId, app_slug: app?.slug, target_type: web.orgOwners.has(i.account) ? "Organization" : "User", account: { login: i.account, id: web.users.get(i.account)?.id ?? 1, type: web.orgOwners.has(i.account) ? "Organization" : "User" }, repository_selection: "selected", permissions: app?.permissions ?? {}, events: app?.events ?? [] };
        }),
      }));
    }
    if (seg[1] === "installations" && seg[3] === "repositories" && seg.length === 4) {
      const inst = mine.find((i) => i.id === Number(seg[2]));
      if (!inst) return notFound(res);
      const list = reposFor(inst, tok.login).map((full, n) => {
        const [owner, name] = full.split("/");
        return { id: 7000 + n, name, full_name: full, owner: { login: owner }, private: true, html_url: `${ctx.origin()}/${full}`, permissions: { ...ROLE_FLAGS[web.roles.get(`${tok.login} ${full}`)] } };
      });
      return paginate(res, url, list, (items, total) => ({ total_count: total, repository_selection: "selected", repositories: items }));
    }
    return notFound(res);
  }

  /** Repository routes ArgusAI reaches with an installation token: roles and repository metadata. */
  function repoApi(res, seg, inst) {
    const full = `${seg[1]}/${seg[2]}`;
    // Installations and users the web side did not create are the REST fake's
    // (its `setPermission` / `defaultPermissions`): let it answer.
    if (!inst) return undefined;
    if (!inst.repos.has(full)) return notFound(res);
    if (seg.length === 3) {
      return json(res, 200, { id: 1, name: seg[2], full_name: full, owner: { login: seg[1] }, private: true, default_branch: "main", html_url: `${ctx.origin()}/${full}` });
    }
    if (seg[3] === "collaborators" && seg[5] === "permission" && seg.length === 6) {
      const user = web.users.get(seg[4]);
      if (!user) return notFound(res);
      const role = web.roles.get(`${user.login} ${full}`);
      return json(res, 200, { permission: role ? LEGACY[role] : "none", role_name: role ?? "none", user: { ...userPublic(user), permissions: role ? ROLE_FLAGS[role] : { admin: false, maintain: false, push: false, triage: false, pull: false } } });
    }
    return undefined;
  }

  /**
   * Handles the request if it is one of the web side's; returns the status, or
   * undefined to let the REST fake handle it. `path` is the URL path as sent,
   * `apiPath` without the GHES prefix, `raw` the body text.
   */
  async function handle(req, res, { method, url, path, apiPath, raw, credential }) {
    const seg = path.split("/").filter(Boolean);
    // Web pages (github.com itself; GHES serves them without the /api/v3 prefix).
    if (method === "POST" && path === "/settings/apps/new") return newAppForm(res, web.currentUser, url.searchParams, parseForm(raw));
    if (method === "POST" && seg[0] === "organizations" && seg[2] === "settings" && seg[3] === "apps" && seg[4] === "new" && seg.length === 5) return newAppForm(res, seg[1], url.searchParams, parseForm(raw));
    if (method === "POST" && path === "/settings/apps/new/confirm") return confirmNewApp(res, parseForm(raw));
    if (seg[0] === "apps" && seg[2] === "installations" && seg[3] === "new" && seg.length === 4) {
      const app = web.appBySlug(seg[1]);
      if (!app) return notFound(res);
      return method === "POST" ? installSubmit(res, app, parseForm(raw)) : installPage(res, app);
    }
    if (path === "/login/oauth/authorize" && (method === "GET" || method === "POST")) return authorize(res, url.searchParams, method, raw);
    if (path === "/login/oauth/access_token" && method === "POST") return accessToken(req, res, raw);

    // REST routes.
    const api = apiPath.split("/").filter(Boolean);
    const ours = api[0] === "app-manifests" || api[0] === "user" || (api[0] === "repos" && (api.length === 3 || api[3] === "collaborators"));
    if (ours && !req.headers["user-agent"]) return json(res, 403, { message: "Request forbidden by administrative rules. Please make sure your request has a User-Agent header." });
    if (method === "POST" && api[0] === "app-manifests" && api[2] === "conversions" && api.length === 3) return conversion(res, api[1]);
    const userTok = web.userTokens.get(credential);
    if (api[0] === "user") {
      if (!userTok || userTok.expiresAt <= now()) return json(res, 401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
      if (method !== "GET") return notFound(res);
      return userApi(res, url, api, userTok);
    }
    if (method === "GET" && api[0] === "repos" && (api.length === 3 || (api[3] === "collaborators" && api.length === 6))) {
      // Only tokens of installations made through the web side are answered
      // here; every other request (and its authentication) is the REST fake's.
      const tok = state.tokens.get(credential);
      const inst = tok && web.installations.get(tok.installationId);
      if (!inst) return undefined;
      if (tok.expiresAt <= now()) return json(res, 401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
      return repoApi(res, api, inst);
    }
    return undefined;
  }

  return { web, handle };
}

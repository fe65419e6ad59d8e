// Shared set-up for the end-to-end suites that run whole reviews: the Worker in
// workerd wired to the loopback fakes for GitHub and the LLM, and helpers to
// open pull requests built from the real diffs in ../shared/corpora/diffs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { createHash, randomUUID } from "node:crypto";
import { startFakeGitHub, TEST_PRIVATE_KEY_PATH } from "../fakes/github.mjs";
import { startFakeLlm } from "../fakes/llm.mjs";
import { startArgus, webhookInit, CORPORA, corpusPayload, statusOf, eventually } from "./harness.mjs";

export const APP_ID = "424242";
export const INSTALLATION = 4242;

/**
 * Starts both fakes and ArgusAI pointed at them. `githubOptions` and
 * `llmOptions` go to the fakes; `vars` may be a function of the started fakes
 * (for settings that name their URLs), and overrides the defaults here.
 */
export async function startStack({ vars = {}, secrets = {}, githubOptions = {}, llmOptions = {} } = {}) {
  // `octocat` (who writes the tests' commands) administers every repository.
  const github = await startFakeGitHub({ appId: APP_ID, defaultPermissions: { octocat: "admin" }, ...githubOptions });
  const llm = await startFakeLlm(llmOptions);
  const extra = typeof vars === "function" ? vars({ github, llm }) : vars;
  const argus = await startArgus({
    vars: {
      GITHUB_APP_ID: APP_ID,
      GITHUB_API_URL: github.url,
      LLM_BASE_URL: llm.url,
      LLM_PROVIDER: "github-models",
      GITHUB_MODEL: "openai/gpt-4o-mini",
      REVIEW_DEBOUNCE_SECONDS: "1",
      RETRY_BASE_SECONDS: "1",
      RETRY_MAX_SECONDS: "4",
      GITHUB_WRITE_SPACING_MS: "0",
      ...extra,
    },
    secrets: {
      GITHUB_APP_PRIVATE_KEY: readFileSync(TEST_PRIVATE_KEY_PATH, "utf8"),
      GITHUB_TOKEN: "e2e-models-token",
      ...secrets,
    },
  });
  return {
    github,
    llm,
    argus,
    async close() {
      await argus.close();
      await github.close();
      await llm.close();
    },
  };
}

export const sha = (label) => createHash("sha1").update(label).digest("hex");

export function realDiff(name) {
  return readFileSync(path.join(CORPORA, "diffs", "real", name), "utf8");
}

/** A `pull_request` webhook body for `owner/repo#number` at `head`. */
export function prEvent({ owner, repo, number, head, base, action = "opened", draft = false, title = "A pull request" }) {
  const p = JSON.parse(corpusPayload("pull_request.opened.12.json"));
  p.action = action;
  p.number = number;
  p.repository.full_name = `${owner}/${repo}`;
  p.repository.name = repo;
  p.repository.owner.login = owner;
  Object.assign(p.pull_request, { number, draft, title, state: "open" });
  p.pull_request.head.sha = head;
  p.pull_request.base.sha = base;
  p.installation = { id: INSTALLATION, node_id: "MDIz" };
  p.sender = { login: "octocat", type: "User", id: 1 };
  return JSON.stringify(p);
}

/** A corpus payload (action `created`) moved to `owner/repo`, sent by `login` through the test installation. */
function createdIn(name, { owner, repo, login, type = "User" }) {
  const p = JSON.parse(corpusPayload(name));
  p.action = "created";
  p.repository.full_name = `${owner}/${repo}`;
  p.repository.name = repo;
  p.repository.owner.login = owner;
  p.installation = { id: INSTALLATION, node_id: "MDIz" };
  p.sender = { login, type, id: 1 };
  return p;
}

/** An `issue_comment` webhook body on a PR. */
export function commentEvent({ owner, repo, number, body, association = "OWNER", login = "octocat", commentId = Math.floor(Math.random() * 1e9) }) {
  const p = createdIn("issue_comment.created.0.json", { owner, repo, login });
  p.issue.number = number;
  p.issue.pull_request = { url: `https://api.github.com/repos/${owner}/${repo}/pulls/${number}` };
  Object.assign(p.comment, { id: commentId, body, author_association: association, user: { login, type: "User", id: 1 } });
  return JSON.stringify(p);
}

/** A `pull_request_review_comment` (created) webhook body: a comment on a diff line, or a reply in a thread (`inReplyTo`). */
export function reviewCommentEvent({ owner, repo, number, commentId, inReplyTo = null, body, association = "OWNER", login = "octocat", type = "User", path = "README.md", line = 1 }) {
  const p = createdIn("pull_request_review_comment.created.0.json", { owner, repo, login, type });
  p.pull_request.number = number;
  Object.assign(p.comment, { id: commentId, body, author_association: association, user: { login, type, id: 1 }, path, line });
  if (inReplyTo === null) delete p.comment.in_reply_to_id;
  else p.comment.in_reply_to_id = inReplyTo;
  return JSON.stringify(p);
}

export async function sendEvent(stack, event, body, delivery = randomUUID()) {
  const r = await stack.argus.fetch("/webhooks/github", webhookInit(body, { event, delivery }));
  const j = await r.json();
  if (r.status >= 300) throw new Error(`webhook answered ${r.status}: ${JSON.stringify(j)}`);
  return j;
}

export async function status(stack, owner, repo, number) {
  const r = await statusOf(stack.argus, `/status/${owner}/${repo}/${number}`);
  return r.status === 200 ? r.json() : null;
}

/** Waits until the PR's status shows `n` finished reviews in its history. */
export async function waitForHistory(stack, owner, repo, number, n, timeoutMs = 30000) {
  return eventually(
    async () => {
      const s = await status(stack, owner, repo, number);
      return s && s.history && s.history.length >= n && s.state !== "running" && s.state !== "queued" ? s : null;
    },
    { timeoutMs, intervalMs: 200, what: `${n} review(s) on ${owner}/${repo}#${number}` },
  );
}

export { eventually };

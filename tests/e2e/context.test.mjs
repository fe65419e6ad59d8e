// End to end, in workerd against the fakes: the context engine (issue 10).
// The model sees the signature of the function around a hunk 120 lines down,
// the one-line definition of what a changed line calls in another changed
// file, and the repository map; a 50-file PR spends at most 8 GitHub requests
// on contents and stays within the free plan's 50 subrequests; a finding cited
// on a context line never reaches GitHub as an anchor it refuses.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { finding, linesInPrompt } from "../fakes/llm.mjs";
import { startStack, sha, prEvent, sendEvent, waitForHistory } from "./fixtures.mjs";

const OWNER = "ctx-e2e";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => stack?.close());

/** A Rust file whose only change (line 129) sits 120 lines below `rebuild_index`'s signature. */
function deepFile() {
  const lines = ["use std::io;", "", "pub struct Store {", "    items: Vec<u32>,", "}", "", "impl Store {", "    pub fn rebuild_index(&mut self, limit: usize) -> io::Result<usize> {"];
  for (let i = 0; i < 120; i++) lines.push(`        let v${i} = self.items.len() + ${i};`);
  const changed = lines.length + 1;
  lines.push("        let total = self.items.iter().sum::<u32>() as usize / limit;", "        Ok(total)", "    }", "}");
  const head = lines.join("\n") + "\n";
  const base = lines.filter((_, i) => i !== changed - 1).join("\n") + "\n";
  const ctx = (a, b) => lines.slice(a - 1, b).map((l) => ` ${l}`);
  const patch = [`@@ -${changed - 3},5 +${changed - 3},6 @@`, ...ctx(changed - 3, changed - 1), `+${lines[changed - 1]}`, ...ctx(changed + 1, changed + 2)];
  const diff = ["diff --git a/src/store.rs b/src/store.rs", "index 1111111..2222222 100644", "--- a/src/store.rs", "+++ b/src/store.rs", ...patch, ""].join("\n");
  return { head, base, diff, changed };
}

function addedFileDiff(path, lines) {
  return [`diff --git a/${path} b/${path}`, "new file mode 100644", "index 0000000..3333333", "--- /dev/null", `+++ b/${path}`, `@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`), ""].join("\n");
}

const reviewsOf = (repo, number) => stack.github.submittedReviews(OWNER, repo, number);
const contentReads = (repo) =>
  stack.github.state.requests.filter((r) => r.path.includes(`/repos/${OWNER}/${repo}/git/`) || r.path.includes(`/repos/${OWNER}/${repo}/contents/`) || r.path.endsWith("/graphql"));

async function review(repo, number, pr) {
  const head = sha(`${repo}-head`), base = sha(`${repo}-base`);
  stack.github.addPullRequest({ owner: OWNER, repo, number, headSha: head, baseSha: base, ...pr });
  const before = stack.llm.requests.length;
  const graphqlBefore = stack.github.state.requests.filter((r) => r.path.endsWith("/graphql")).length;
  await sendEvent(stack, "pull_request", prEvent({ owner: OWNER, repo, number, head, base }));
  const st = await waitForHistory(stack, OWNER, repo, number, 1);
  return { st, head, prompts: stack.llm.requests.slice(before).map((r) => r.prompt), graphqlBefore };
}

test("a hunk 120 lines below its function's signature: the model sees the signature, the impl around it and the repository map", async () => {
  const f = deepFile();
  stack.llm.reset();
  stack.llm.setDefault({ reply: { findings: [], summary: "ok" } });
  const { st, prompts } = await review("deep", 1, {
    diffText: f.diff,
    headFiles: { "src/store.rs": f.head, "Cargo.toml": '[package]\nname = "store"\nversion = "0.1.0"\n\n[dependencies]\nserde = "1"\n' },
    baseFiles: { "src/store.rs": f.base },
  });
  assert.equal(st.history[0].outcome, "posted", JSON.stringify(st.history[0]));
  assert.equal(prompts.length, 1);
  const p = prompts[0];
  assert.match(p, /^~impl Store \{$/m);
  assert.match(p, /^~ {4}pub fn rebuild_index\(&mut self, limit: usize\) -> io::Result<usize> \{$/m);
  assert.match(p, /^~repository/m, "the map");
  assert.match(p, /store/);
  // The context lines carry no number: only the changed line is citable.
  assert.deepEqual(linesInPrompt(p).filter((l) => l.text.trimStart().startsWith("+")).map((l) => l.line), [f.changed]);
  const summary = stack.github.state.issueComments.filter((c) => c.repo === `${OWNER}/deep`).map((c) => c.body).join("\n");
  assert.match(summary, /context: 1 file, 2 scopes/);
});

test("a definition in another changed file reaches the prompt as one signature line", async () => {
  // src/config.rs changes line 40; `load_config` (line 3) is unchanged there, and
  // the new src/main.rs calls it on a changed line.
  const cfg = ["use std::fs;", "", "pub fn load_config(path: &str) -> Result<String, std::io::Error> {", "    fs::read_to_string(path)", "}", ""];
  for (let i = 0; i < 33; i++) cfg.push(`// note ${i}`);
  cfg.push("pub const RETRIES: u32 = 3;");
  const head = cfg.join("\n") + "\n";
  const base = cfg.map((l, i) => (i === 39 ? "pub const RETRIES: u32 = 2;" : l)).join("\n") + "\n";
  const cfgDiff = ["diff --git a/src/config.rs b/src/config.rs", "index 1111111..2222222 100644", "--- a/src/config.rs", "+++ b/src/config.rs", "@@ -38,3 +38,3 @@", ` ${cfg[37]}`, ` ${cfg[38]}`, "-pub const RETRIES: u32 = 2;", "+pub const RETRIES: u32 = 3;", ""].join("\n");
  const mainDiff = addedFileDiff("src/main.rs", ["fn main() {", '    let text = load_config("app.toml").expect("config");', '    println!("{text}");', "}"]);
  stack.llm.reset();
  stack.llm.setDefault({ reply: { findings: [], summary: "ok" } });
  const { prompts } = await review("defs", 2, { diffText: cfgDiff + mainDiff, headFiles: { "src/config.rs": head }, baseFiles: { "src/config.rs": base }, synthesizeContents: true });
  const all = prompts.join("\n");
  assert.match(all, /^~src\/config\.rs:3: pub fn load_config\(path: &str\) -> Result<String, std::io::Error>/m, all);
});

test("a 50-file PR: at most 8 GitHub requests on contents, at most 50 subrequests in all, recorded", async () => {
  const diffs = [];
  for (let i = 0; i < 50; i++) {
    const lines = [`pub fn handler_${i}(input: &str) -> usize {`, "    let trimmed = input.trim();", `    trimmed.len() + ${i}`, "}"];
    diffs.push(addedFileDiff(`src/h${String(i).padStart(2, "0")}.rs`, lines));
  }
  stack.llm.reset();
  stack.llm.setDefault({ reply: { findings: [], summary: "ok" } });
  const { st, prompts } = await review("fifty", 3, { diffText: diffs.join(""), synthesizeContents: true });
  assert.equal(st.history[0].outcome, "posted", JSON.stringify(st.history[0]));
  const reads = contentReads("fifty");
  // The configuration's batched read, the head tree, the blob batches, the manifests.
  assert.ok(reads.length <= 8, JSON.stringify(reads.map((r) => r.path)));
  const used = st.history[0].subrequests;
  assert.ok(used.github + used.llm <= 50, JSON.stringify(used));
  assert.equal(used.llm, prompts.length);
  // Every file was reviewed: each one's changed lines are in some prompt.
  const all = prompts.join("\n");
  for (let i = 0; i < 50; i++) assert.ok(all.includes(`## src/h${String(i).padStart(2, "0")}.rs`), `file ${i}`);
});

test("a finding cited on a context line never becomes an anchor GitHub refuses: it moves to the function's changed line or stays in the summary", async () => {
  const f = deepFile();
  stack.llm.reset();
  // Line 8 is the signature, shown only as a `~` line; line 1 is outside every function.
  stack.llm.setDefault({
    reply: {
      findings: [finding("src/store.rs", 8, "`limit` can be 0 and divides below", { title: "Division by a caller-chosen limit", severity: "high" }), finding("src/store.rs", 1, "`io` is used only in a type.", { title: "Import only for a type", severity: "low" })],
      summary: "ok",
    },
  });
  const { st } = await review("cited", 4, { diffText: f.diff, headFiles: { "src/store.rs": f.head }, baseFiles: { "src/store.rs": f.base } });
  assert.equal(st.history[0].outcome, "posted", JSON.stringify(st.history[0]));
  assert.equal(stack.github.state.requests.filter((r) => r.status === 422 && r.path.includes(`/${OWNER}/cited/`)).length, 0, "no 422 from GitHub");
  const comments = reviewsOf("cited", 4).flatMap((r) => r.comments);
  assert.equal(comments.length, 1, JSON.stringify(comments));
  assert.equal(comments[0].line, f.changed);
  assert.match(comments[0].body, /outside the diff in `rebuild_index`/);
  const summary = stack.github.state.issueComments.filter((c) => c.repo === `${OWNER}/cited`).map((c) => c.body).join("\n");
  assert.match(summary, /Import only for a type/);
  assert.match(summary, /line 1 is not part of the diff/);
});

test('context = "off" sends exactly the prompt of the diff alone', async () => {
  const f = deepFile();
  stack.llm.reset();
  stack.llm.setDefault({ reply: { findings: [], summary: "ok" } });
  // The same change twice: with its contents readable but context switched off…
  const head = sha("off-head"), base = sha("off-base");
  stack.github.addPullRequest({ owner: OWNER, repo: "off", number: 5, headSha: head, baseSha: base, diffText: f.diff, headFiles: { "src/store.rs": f.head }, baseFiles: { "src/store.rs": f.base } });
  stack.github.setContent({ owner: OWNER, repo: "off", ref: base, path: ".github/argusai.toml", content: 'context = "off"\n' });
  stack.github.setContent({ owner: OWNER, repo: "off", ref: "main", path: ".github/argusai.toml", content: 'context = "off"\n' });
  const before = stack.llm.requests.length;
  await sendEvent(stack, "pull_request", prEvent({ owner: OWNER, repo: "off", number: 5, head, base }));
  await waitForHistory(stack, OWNER, "off", 5, 1);
  const off = stack.llm.requests.slice(before).map((r) => r.prompt);
  // …and with context on but nothing to read (no file at head or base).
  const { prompts: bare } = await review("bare", 6, { diffText: f.diff });
  assert.equal(off.length, 1);
  assert.doesNotMatch(off[0], /^~/m);
  assert.equal(off[0], bare[0]);
  // Nothing was fetched for context: no tree, no blob batch; only the configuration's one read.
  assert.equal(contentReads("off").filter((r) => r.path.includes("/git/trees/")).length, 0);
});

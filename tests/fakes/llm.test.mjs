// Tests of the fake LLM itself (node:test): every route and wire format, streaming and
// not, each scripted fault, the prompt-citing helpers, request recording and the CLI.
// Run: `cd /work/main && npx node --test tests/fakes/llm.test.mjs`
import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { startFakeLlm, steps, linesInPrompt, citeLines, citeWrongLines, routeOf, estimateTokens } from "./llm.mjs";

const PROMPT = [
  "## File: src/lib.rs",
  "10   fn parse(input: &str) -> u32 {",
  "11 + let v = input.parse().unwrap();",
  "12 + v * 2",
  "13   }",
  "## File: src/main.rs",
  "3 + println!(\"{}\", parse(\"x\"));",
].join("\n");

const openAiBody = (extra = {}) => ({ model: "openai/gpt-4o-mini", max_tokens: 500, messages: [{ role: "system", content: "You review code." }, { role: "user", content: PROMPT }], ...extra });
const anthropicBody = (extra = {}) => ({ model: "claude-haiku-4-5", max_tokens: 500, system: "You review code.", messages: [{ role: "user", content: PROMPT }], ...extra });

async function post(url, body, headers = {}) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
}

/** Reads an SSE body into the list of `data:` payloads (and event names). */
async function sse(res) {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((b) => b.trim())
    .map((block) => {
      const event = block.match(/^event: (.*)$/m)?.[1] ?? null;
      const data = block.match(/^data: (.*)$/m)?.[1] ?? null;
      return { event, data };
    });
}

describe("fake LLM", () => {
  let fake;
  before(async () => {
    fake = await startFakeLlm();
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  test("routes every provider path and rejects others", async () => {
    const cases = [
      ["/inference/chat/completions", "github-models"],
      ["/orgs/acme/inference/chat/completions", "github-models"],
      ["/v1/chat/completions", "openai"],
      ["/chat/completions", "openai"],
      ["/openai/deployments/my%20dep/chat/completions?api-version=2024-10-21", "azure"],
    ];
    for (const [p, route] of cases) {
      const res = await post(fake.url + p, openAiBody());
      assert.equal(res.status, 200, p);
      const body = await res.json();
      assert.equal(body.object, "chat.completion");
      assert.deepEqual(JSON.parse(body.choices[0].message.content), { findings: [] });
      assert.equal(fake.requests.at(-1).route, route);
    }
    assert.equal(fake.requests[1].org, "acme");
    assert.equal(fake.requests[4].model, "my dep", "Azure names the deployment in the path");
    assert.equal(fake.requests[4].apiVersion, "2024-10-21");
    assert.equal((await post(fake.url + "/v1/embeddings", {})).status, 404);
    assert.equal(routeOf("GET", "/v1/messages"), null);
  });

  test("fixed and computed replies, usage and finish reason", async () => {
    fake.script({ reply: "plain text", usage: { prompt_tokens: 7, completion_tokens: 3 }, finishReason: "length", model: "gpt-4o-mini-2024-07-18" }, { reply: (req) => ({ echo: req.model, tokens: req.promptTokens }) });
    const a = await (await post(fake.url + "/v1/chat/completions", openAiBody())).json();
    assert.equal(a.choices[0].message.content, "plain text");
    assert.equal(a.choices[0].finish_reason, "length");
    assert.deepEqual(a.usage, { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    assert.equal(a.model, "gpt-4o-mini-2024-07-18");
    const b = await (await post(fake.url + "/v1/chat/completions", openAiBody())).json();
    assert.deepEqual(JSON.parse(b.choices[0].message.content), { echo: "openai/gpt-4o-mini", tokens: estimateTokens("You review code.\n" + PROMPT) });
  });

  test("OpenAI streaming with the usage chunk and [DONE]", async () => {
    fake.script({ reply: { findings: [{ line: 11 }] }, pieces: 4 });
    const res = await post(fake.url + "/inference/chat/completions", openAiBody({ stream: true, stream_options: { include_usage: true } }));
    assert.match(res.headers.get("content-type"), /text\/event-stream/);
    const events = await sse(res);
    assert.equal(events.at(-1).data, "[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    assert.deepEqual(JSON.parse(text), { findings: [{ line: 11 }] });
    assert.equal(chunks.at(-2).choices[0].finish_reason, "stop");
    assert.deepEqual(chunks.at(-1).choices, []);
    assert.ok(chunks.at(-1).usage.prompt_tokens > 0);
  });

  test("Anthropic: text, forced tool use, streaming events, and max_tokens required", async () => {
    const text = await (await post(fake.url + "/v1/messages", anthropicBody())).json();
    assert.equal(text.content[0].type, "text");
    assert.equal(text.stop_reason, "end_turn");

    const tool = { tools: [{ name: "review", input_schema: { type: "object" } }], tool_choice: { type: "tool", name: "review" } };
    const viaTool = await (await post(fake.url + "/v1/messages", anthropicBody(tool))).json();
    assert.deepEqual(viaTool.content, [{ type: "tool_use", id: "toolu_fake_1", name: "review", input: { findings: [] } }]);
    assert.equal(viaTool.stop_reason, "tool_use");

    const events = await sse(await post(fake.url + "/v1/messages", anthropicBody({ ...tool, stream: true })));
    assert.deepEqual(events.map((e) => e.event), ["message_start", "content_block_start", "ping", ...Array(events.length - 6).fill("content_block_delta"), "content_block_stop", "message_delta", "message_stop"]);
    const json = events.filter((e) => e.event === "content_block_delta").map((e) => JSON.parse(e.data).delta.partial_json).join("");
    assert.deepEqual(JSON.parse(json), { findings: [] });

    const { max_tokens, ...noMax } = anthropicBody();
    assert.equal(max_tokens, 500);
    const res = await post(fake.url + "/v1/messages", noMax);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).type, "error");
  });

  test("faults: 429 with Retry-After, 500, bad key, unknown model, in both error shapes", async () => {
    fake.script(steps.rateLimited(7), steps.serverError(503), steps.badKey(), steps.unknownModel(), steps.rateLimited(2));
    const r429 = await post(fake.url + "/inference/chat/completions", openAiBody());
    assert.equal(r429.status, 429);
    assert.equal(r429.headers.get("retry-after"), "7");
    assert.equal((await r429.json()).error.code, "RateLimitReached");
    assert.equal((await post(fake.url + "/v1/chat/completions", openAiBody())).status, 503);
    assert.equal((await post(fake.url + "/v1/chat/completions", openAiBody())).status, 401);
    assert.equal((await (await post(fake.url + "/v1/chat/completions", openAiBody())).json()).error.code, "unknown_model");
    const anth = await post(fake.url + "/v1/messages", anthropicBody());
    assert.equal(anth.status, 429);
    assert.deepEqual(Object.keys(await anth.json()), ["type", "error"]);
  });

  test("a step can be restricted to one model (429 on the primary, the fallback answers)", async () => {
    fake.script({ ...steps.rateLimited(30), match: (r) => r.model === "openai/gpt-4.1" });
    const fallback = await post(fake.url + "/inference/chat/completions", openAiBody({ model: "openai/gpt-4o-mini" }));
    assert.equal(fallback.status, 200, "the queued 429 does not apply to another model");
    assert.equal(fake.pending(), 1);
    assert.equal((await post(fake.url + "/inference/chat/completions", openAiBody({ model: "openai/gpt-4.1" }))).status, 429);
  });

  test("latency and hang past a client deadline", async () => {
    fake.script({ latencyMs: 150 }, steps.hang());
    const t0 = Date.now();
    assert.equal((await post(fake.url + "/v1/chat/completions", openAiBody())).status, 200);
    assert.ok(Date.now() - t0 >= 140, "latency applied");
    const t1 = Date.now();
    await assert.rejects(fetch(fake.url + "/v1/chat/completions", { method: "POST", body: JSON.stringify(openAiBody()), signal: AbortSignal.timeout(200) }), /abort|timeout/i);
    assert.ok(Date.now() - t1 < 1000);
  });

  test("truncated streams stop without a finish reason or [DONE]; truncated JSON bodies are cut", async () => {
    fake.script(steps.truncated({ findings: [{ line: 11, body: "first" }, { line: 12, body: "second" }] }, 3), { reply: "x".repeat(100), truncateAfter: 0 });
    const events = await sse(await post(fake.url + "/v1/chat/completions", openAiBody({ stream: true })));
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.data !== "[DONE]" && JSON.parse(e.data).choices[0].finish_reason === null));
    const res = await post(fake.url + "/v1/chat/completions", openAiBody());
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.throws(() => JSON.parse(body), SyntaxError);
  });

  test("a destroyed stream resets the connection mid-body", async () => {
    fake.script({ reply: "abcdefgh", pieces: 8, truncateAfter: 2, truncateMode: "destroy", pieceDelayMs: 5 });
    const res = await post(fake.url + "/v1/chat/completions", openAiBody({ stream: true }));
    await assert.rejects(res.text());
  });

  test("invalid JSON and empty replies", async () => {
    fake.script(steps.invalidJson(), steps.empty(), steps.invalidJson());
    const bad = await post(fake.url + "/v1/chat/completions", openAiBody());
    assert.equal(bad.status, 200);
    const badText = await bad.text();
    assert.throws(() => JSON.parse(badText), SyntaxError);
    const empty = await (await post(fake.url + "/v1/chat/completions", openAiBody())).json();
    assert.equal(empty.choices[0].message.content, "");
    const events = await sse(await post(fake.url + "/v1/chat/completions", openAiBody({ stream: true })));
    assert.throws(() => JSON.parse(events[0].data));
  });

  test("prompt injection reply carries mentions, links, HTML and approve", async () => {
    fake.script(steps.injection({ line: 11 }));
    const body = await (await post(fake.url + "/v1/chat/completions", openAiBody())).json();
    const text = body.choices[0].message.content;
    for (const needle of ["@octocat", "https://evil.example", "<img", "approve this PR", "APPROVE"]) assert.ok(text.includes(needle), needle);
  });

  test("line citing helpers read ArgusAI's own prompt format", async () => {
    const prompt = "## src/a.rs (new file)\n@@\n1+fn a() {}\n2+\n## src/b.rs\n@@ fn b\n ctx\n-old\n7+new\n8 same\n";
    assert.deepEqual(linesInPrompt(prompt).map((l) => [l.path, l.line, l.text]), [["src/a.rs", 1, "+fn a() {}"], ["src/a.rs", 2, "+"], ["src/b.rs", 7, "+new"], ["src/b.rs", 8, " same"]]);
    const f = citeLines({ max: 1 })({ prompt }).findings[0];
    assert.deepEqual([f.path, f.side, f.end_line, f.start_line], ["src/a.rs", "RIGHT", 1, null]);
  });

  test("line citing helpers read the prompt's new-file line numbers", async () => {
    assert.deepEqual(
      linesInPrompt(PROMPT).map((l) => [l.path, l.line]),
      [["src/lib.rs", 10], ["src/lib.rs", 11], ["src/lib.rs", 12], ["src/lib.rs", 13], ["src/main.rs", 3]],
    );
    const req = { prompt: PROMPT };
    assert.deepEqual(citeLines({ max: 5 })(req).findings.map((f) => [f.path, f.end_line]), [["src/lib.rs", 11], ["src/lib.rs", 12], ["src/main.rs", 3]]);
    assert.deepEqual(citeLines({ max: 1, addedOnly: false, shape: (f) => f.line, wrap: (l) => l })(req), [10]);
    const wrong = citeWrongLines()(req).findings.map((f) => f.end_line);
    assert.deepEqual(wrong, [1013, 0, -3]);
    assert.ok(wrong.every((l) => !linesInPrompt(PROMPT).some((f) => f.line === l)));

    fake.script(steps.citeLines({ max: 2 }));
    const body = await (await post(fake.url + "/v1/chat/completions", openAiBody())).json();
    assert.deepEqual(JSON.parse(body.choices[0].message.content).findings.map((f) => f.end_line), [11, 12]);
  });

  // Regression: SSE replies forced `connection: keep-alive`, so a client that reads to
  // EOF (HTTP/1.1 with `connection: close`) waited for the 5 s keep-alive timeout.
  test("a streamed reply closes a `connection: close` socket at once", async () => {
    const body = JSON.stringify(openAiBody({ stream: true }));
    const { port } = new URL(fake.url);
    const t0 = Date.now();
    const raw = await new Promise((resolve, reject) => {
      const sock = net.connect(Number(port), "127.0.0.1", () => {
        // write, not end: a half-closed socket makes Node close anyway and hides the bug.
        sock.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
      let data = "";
      sock.on("data", (d) => (data += d));
      sock.on("end", () => resolve(data));
      sock.on("error", reject);
    });
    assert.ok(raw.includes("data: [DONE]"));
    assert.ok(Date.now() - t0 < 1000, `closed after ${Date.now() - t0} ms`);
  });

  test("records requests: prompt, token estimate, secrets check", async () => {
    await post(fake.url + "/inference/chat/completions", openAiBody({ stream: true, stream_options: { include_usage: true }, response_format: { type: "json_object" } }), { authorization: "Bearer ghp_token" });
    const [r] = await fake.waitForRequests(1);
    assert.equal(r.model, "openai/gpt-4o-mini");
    assert.equal(r.stream, true);
    assert.equal(r.includeUsage, true);
    assert.equal(r.maxTokens, 500);
    assert.deepEqual(r.responseFormat, { type: "json_object" });
    assert.ok(r.prompt.startsWith("You review code.\n## File: src/lib.rs"));
    assert.equal(r.promptTokens, estimateTokens(r.prompt));
    assert.equal(r.headers.authorization, "Bearer ghp_token");
    assert.equal(fake.promptsContaining("ghp_token").length, 0, "the token is in a header, never in the body");
    assert.equal(fake.promptsContaining("unwrap()").length, 1);
  });
});

describe("fake LLM options", () => {
  test("apiKey is enforced in every header style", async () => {
    const fake = await startFakeLlm({ apiKey: "k1" });
    try {
      assert.equal((await post(fake.url + "/v1/chat/completions", openAiBody())).status, 401);
      assert.equal((await post(fake.url + "/v1/chat/completions", openAiBody(), { authorization: "Bearer k1" })).status, 200);
      assert.equal((await post(fake.url + "/openai/deployments/d/chat/completions", openAiBody(), { "api-key": "k1" })).status, 200);
      assert.equal((await post(fake.url + "/v1/messages", anthropicBody(), { "x-api-key": "k1" })).status, 200);
      assert.equal((await (await post(fake.url + "/v1/messages", anthropicBody(), { "x-api-key": "nope" })).json()).error.type, "authentication_error");
    } finally {
      await fake.close();
    }
  });

  test("maxInputTokens answers 413 tokens_limit_reached like GitHub Models", async () => {
    const fake = await startFakeLlm({ maxInputTokens: 20 });
    try {
      const res = await post(fake.url + "/inference/chat/completions", openAiBody());
      assert.equal(res.status, 413);
      assert.equal((await res.json()).error.code, "tokens_limit_reached");
    } finally {
      await fake.close();
    }
  });

  test("close() ends hanging requests", async () => {
    const fake = await startFakeLlm({ default: { hang: true } });
    const pending = post(fake.url + "/v1/chat/completions", openAiBody()).then(
      () => "answered",
      () => "reset",
    );
    await fake.waitForRequests(1);
    await fake.close();
    assert.equal(await pending, "reset");
  });

  test("CLI mode serves on --port and is scriptable over HTTP", async () => {
    const probe = await startFakeLlm();
    const port = probe.port;
    await probe.close();
    const child = spawn(process.execPath, [fileURLToPath(new URL("./llm.mjs", import.meta.url)), "--port", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise((resolve, reject) => {
        child.stdout.on("data", (d) => String(d).includes("listening") && resolve());
        child.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      await post(url + "/__script", { steps: [{ helper: "rateLimited", retryAfterSecs: 3 }, { helper: "citeLines", max: 1 }] });
      const limited = await post(url + "/v1/chat/completions", openAiBody(), { authorization: "Bearer secret" });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "3");
      const cited = await (await post(url + "/v1/chat/completions", openAiBody())).json();
      assert.deepEqual(JSON.parse(cited.choices[0].message.content).findings.map((f) => f.end_line), [11]);
      const recorded = await (await fetch(url + "/__requests")).json();
      assert.equal(recorded.length, 2);
      assert.equal(recorded[0].headers.authorization, "[redacted]");
    } finally {
      child.kill("SIGTERM");
    }
  });
});

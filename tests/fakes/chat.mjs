// A loopback stand-in for Slack and Discord incoming webhooks: records every
// payload, answers like the real services, and fails on demand. Node >= 22,
// built-ins only.
//
// - Slack (https://api.slack.com/messaging/webhooks): POST JSON with a non-empty
//   `text` (or `blocks`) → 200 `ok` (text/plain); otherwise 400 `invalid_payload`
//   or `no_text`; an unknown hook path → 404 `no_service`.
// - Discord (https://discord.com/developers/docs/resources/webhook#execute-webhook):
//   POST JSON with `content` (≤ 2000 characters) or `embeds` → 204 No Content;
//   an empty message → 400 with code 50006; too long → 400 with code 50035;
//   an unknown webhook → 404 with code 10015.
// Paths: /slack/<anything> and /discord/<anything>. `failNext(target, n, status)`
// makes the next n posts to a target fail (`status` 500 by default, 429 adds
// `retry-after`); `failAlways(target, status)` until `heal(target)`.
import http from "node:http";

export async function startFakeChat({ port = 0 } = {}) {
  const posts = []; // { target, path, body, status, at }
  const faults = { slack: null, discord: null }; // { remaining: n | Infinity, status }

  const answer = (res, status, body, headers = {}) => {
    res.writeHead(status, headers);
    res.end(body);
    return status;
  };

  function slack(res, payload) {
    if (!payload || typeof payload !== "object") return answer(res, 400, "invalid_payload", { "content-type": "text/plain" });
    const hasText = typeof payload.text === "string" && payload.text.trim() !== "";
    if (!hasText && !Array.isArray(payload.blocks)) return answer(res, 400, "no_text", { "content-type": "text/plain" });
    return answer(res, 200, "ok", { "content-type": "text/plain" });
  }

  function discord(res, payload) {
    const err = (code, message) => answer(res, 400, JSON.stringify({ code, message }), { "content-type": "application/json" });
    if (!payload || typeof payload !== "object") return err(50109, "The request body contains invalid JSON.");
    const content = payload.content ?? "";
    if (typeof content !== "string") return err(50035, "Invalid Form Body");
    if (content.length > 2000) return err(50035, "Invalid Form Body: content: Must be 2000 or fewer in length.");
    if (!content.trim() && !(Array.isArray(payload.embeds) && payload.embeds.length)) return err(50006, "Cannot send an empty message");
    return answer(res, 204, "");
  }

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString("utf8");
    const target = req.url.startsWith("/slack/") ? "slack" : req.url.startsWith("/discord/") ? "discord" : null;
    let body = null;
    try { body = JSON.parse(text); } catch {}
    const record = (status) => posts.push({ target, path: req.url, body, raw: text, status, at: Date.now() });
    if (req.method !== "POST" || !target) {
      record(404);
      return target === "discord" ? answer(res, 404, JSON.stringify({ code: 10015, message: "Unknown Webhook" })) : answer(res, 404, "no_service");
    }
    if (!String(req.headers["content-type"] ?? "").includes("application/json")) {
      record(400);
      return answer(res, 400, target === "slack" ? "invalid_payload" : JSON.stringify({ code: 50006, message: "Cannot send an empty message" }));
    }
    const f = faults[target];
    if (f && f.remaining > 0) {
      f.remaining -= 1;
      record(f.status);
      const headers = f.status === 429 ? { "retry-after": "1", "content-type": "application/json" } : { "content-type": "text/plain" };
      return answer(res, f.status, f.status === 429 ? JSON.stringify({ message: "You are being rate limited.", retry_after: 1, global: false }) : "server error", headers);
    }
    const status = target === "slack" ? slack(res, body) : discord(res, body);
    record(status);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    slackUrl: `${url}/slack/T000/B000/XXXX`,
    discordUrl: `${url}/discord/1234/tok`,
    posts,
    /** Successfully delivered payloads for a target. */
    delivered: (target) => posts.filter((p) => p.target === target && p.status >= 200 && p.status < 300),
    attempts: (target) => posts.filter((p) => p.target === target),
    failNext(target, n = 1, status = 500) {
      faults[target] = { remaining: n, status };
    },
    failAlways(target, status = 500) {
      faults[target] = { remaining: Infinity, status };
    },
    heal(target) {
      faults[target] = null;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

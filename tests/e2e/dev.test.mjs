// scripts/dev when a port it needs is taken: it stops at once, before any build,
// with one message naming the port and a free base port to use instead, and no
// Node stack trace. A malformed --port is refused the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function dev(args) {
  return new Promise((resolve) => {
    execFile("bash", [path.join(root, "scripts/dev"), ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error?.code ?? 0, stdout, stderr });
    });
  });
}

/** Holds 127.0.0.1:`port` until closed (0 = any free port). */
function hold(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

// With a real App key in .dev.vars, scripts/dev runs no fakes and needs one port only.
const vars = path.join(root, ".dev.vars");
const credentials = existsSync(vars) && /^GITHUB_APP_PRIVATE_KEY=.+/m.test(readFileSync(vars, "utf8"));

for (const offset of [0, 1, 2]) {
  const skip = credentials ? "this checkout's .dev.vars has App credentials: scripts/dev runs no fakes" : false;
  test(`a taken port (base + ${offset}) is named with a free alternative, not a stack trace`, { skip }, async () => {
    // A base whose three ports are free, then one of them taken.
    let base, blocker;
    for (;;) {
      const probe = await hold(0);
      base = probe.address().port;
      probe.close();
      if (base + 2 > 65535) continue;
      try {
        blocker = await hold(base + offset);
        break;
      } catch {
        // Someone took it in between: try another.
      }
    }
    try {
      const r = await dev(["--port", String(base)]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`port ${base + offset} on 127\\.0\\.0\\.1 is already in use`));
      assert.match(r.stderr, new RegExp(`ports ${base} \\(the Worker\\), ${base + 1} \\(the fake GitHub\\), ${base + 2} \\(the fake model\\)`));
      const suggested = Number(r.stderr.match(/scripts\/dev --port (\d+)/)?.[1]);
      assert.ok(suggested > base + 2 || suggested + 2 < base, `the suggestion avoids the taken ports: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
      assert.doesNotMatch(r.stderr, /building the Worker/, "it stopped before building");
    } finally {
      blocker.close();
    }
  });
}

test("a --port that is not a port number is refused in one sentence", async () => {
  for (const bad of ["abc", "0", "70000"]) {
    const r = await dev(["--port", bad]);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--port must be a whole number/);
  }
  const missing = await dev(["--port"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--port needs a number/);
});

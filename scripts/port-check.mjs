// Checks that local ports are free before scripts/dev starts anything, so a
// taken port is one clear sentence (which port, what uses it, how to choose
// another) instead of a Node stack trace from deep inside wrangler or a fake.
// Usage: node scripts/port-check.mjs BASE COUNT — checks BASE … BASE+COUNT-1 on
// 127.0.0.1; exit 0 when all are free, 2 (with the message on stderr) when not.
import net from "node:net";

const base = Number(process.argv[2]);
const count = Number(process.argv[3] ?? 1);
const roles = ["the Worker", "the fake GitHub", "the fake model"];

/** Whether `port` can be listened on at 127.0.0.1 right now. */
function free(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function allFree(start) {
  for (let p = start; p < start + count; p++) if (!(await free(p))) return p;
  return null;
}

if (!Number.isInteger(base) || base < 1 || base + count - 1 > 65535) {
  console.error(`error: --port must be a whole number from 1 to ${65536 - count}, not "${process.argv[2]}"`);
  process.exit(2);
}
const taken = await allFree(base);
if (taken === null) process.exit(0);

const needs = count === 1
  ? `port ${base}`
  : `ports ${Array.from({ length: count }, (_, i) => `${base + i} (${roles[i] ?? "a helper"})`).join(", ")}`;
let suggestion = null;
for (let p = base + 10; p + count - 1 <= 65535 && p < base + 1000; p += 10) {
  if ((await allFree(p)) === null) { suggestion = p; break; }
}
console.error(`error: port ${taken} on 127.0.0.1 is already in use (another scripts/dev or wrangler dev may still be running).`);
console.error(`  scripts/dev needs ${needs}.`);
console.error(suggestion
  ? `  Stop what holds it, or choose other ports: scripts/dev --port ${suggestion}`
  : "  Stop what holds it, or choose other ports with scripts/dev --port N");
process.exit(2);

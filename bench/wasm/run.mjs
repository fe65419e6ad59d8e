// Runs the argus-diff figures harness (bench/wasm, built for wasm32-wasip1)
// under Node's built-in WASI, with the corpora directory preopened read-only
// as /corpora. Each mode runs in a fresh instance so the reported linear
// memory is that mode's own high-water mark.
// Usage: node bench/wasm/run.mjs <harness.wasm> <corpora dir> [corpus|big|context|all] [rounds]
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";
import { argv, exit } from "node:process";

const [wasmPath, corporaDir, mode = "all", rounds = "20"] = argv.slice(2);
if (!wasmPath || !corporaDir) {
  console.error("usage: node bench/wasm/run.mjs <harness.wasm> <corpora dir> [corpus|big|context|all] [rounds]");
  exit(2);
}

const module = await WebAssembly.compile(await readFile(wasmPath));
const modes = mode === "all" ? ["corpus", "big", "context", "review"] : [mode];
for (const m of modes) {
  const wasi = new WASI({
    version: "preview1",
    args: ["argus-bench-wasm", "/corpora", m, rounds],
    preopens: { "/corpora": corporaDir },
    returnOnExit: true,
  });
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  const code = wasi.start(instance);
  if (code !== 0) {
    console.error(`harness exited with ${code} (mode ${m})`);
    exit(code);
  }
}

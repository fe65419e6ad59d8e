// Runs the redaction throughput harness (this directory) built for wasm32-wasip1 under
// Node's built-in WASI, with the directory given as its second argument preopened as /data.
// Usage: node crates/review/benches/wasm/run-wasi.mjs <harness.wasm> <dir> [args...]
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";
import { argv, exit } from "node:process";

const [wasmPath, dir, ...rest] = argv.slice(2);
if (!wasmPath || !dir) {
  console.error("usage: node run-wasi.mjs <example.wasm> <dir> [args...]");
  exit(2);
}
const wasi = new WASI({ version: "preview1", args: ["example", "/data", ...rest], preopens: { "/data": dir }, returnOnExit: true });
const instance = await WebAssembly.instantiate(await WebAssembly.compile(await readFile(wasmPath)), wasi.getImportObject());
exit(wasi.start(instance));

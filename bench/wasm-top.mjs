// Where the Worker's wasm weight is: code bytes per crate and the largest
// functions, read from a wasm file's name section. The deployed bundle carries
// no names (scripts/lib.sh `optimize_wasm`), so by default this reads rustc's
// output before wasm-bindgen and wasm-opt, whose proportions are the bundle's.
// Prints figures only. Usage: node bench/wasm-top.mjs [file.wasm] [crates] [functions]
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "target/wasm32-unknown-unknown/release/argusai.wasm";
const topCrates = Number(process.argv[3] ?? 20);
const topFunctions = Number(process.argv[4] ?? 10);
const b = readFileSync(file);

function leb(i) {
  let r = 0, s = 0, x;
  do { x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80);
  return [r, i];
}
function skipLimits(i) {
  const flags = b[i++];
  let [, j] = leb(i);
  if (flags & 1) [, j] = leb(j);
  return j;
}

let imported = 0;
const bodies = [], names = new Map(), sections = [];
let i = 8;
while (i < b.length) {
  const id = b[i++];
  let n;
  [n, i] = leb(i);
  const end = i + n;
  let label = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount", "tag"][id] ?? String(id);
  if (id === 0) {
    const [l, j] = leb(i);
    label = `custom "${b.toString("utf8", j, j + l)}"`;
    if (label === 'custom "name"') {
      let k = j + l;
      while (k < end) {
        const sub = b[k++];
        let sl;
        [sl, k] = leb(k);
        if (sub === 1) {
          let [count, m] = leb(k);
          for (let c = 0; c < count; c++) {
            let idx, nl;
            [idx, m] = leb(m);
            [nl, m] = leb(m);
            names.set(idx, b.toString("utf8", m, m + nl));
            m += nl;
          }
        }
        k += sl;
      }
    }
  } else if (id === 2) {
    let [count, j] = leb(i);
    for (let c = 0; c < count; c++) {
      let l;
      [l, j] = leb(j); j += l; // module
      [l, j] = leb(j); j += l; // field
      const kind = b[j++];
      if (kind === 0) { [, j] = leb(j); imported++; }
      else if (kind === 1) { j = skipLimits(j + 1); }
      else if (kind === 2) { j = skipLimits(j); }
      else if (kind === 3) { j += 2; }
      else if (kind === 4) { j += 1; [, j] = leb(j); }
    }
  } else if (id === 10) {
    let [count, j] = leb(i);
    for (let c = 0; c < count; c++) {
      const [l, k] = leb(j);
      bodies.push(k - j + l);
      j = k + l;
    }
  }
  sections.push([label, n]);
  i = end;
}

/** Rust's legacy mangling (`_ZN` + length-prefixed segments + `E`), as rustc leaves it in the name section. */
function demangle(name) {
  if (!name.startsWith("_ZN")) return name;
  const parts = [];
  let k = 3;
  while (k < name.length && name[k] !== "E") {
    const m = name.slice(k).match(/^(\d+)/);
    if (!m) break;
    k += m[1].length;
    parts.push(name.slice(k, k + Number(m[1])));
    k += Number(m[1]);
  }
  return parts
    .join("::")
    .replace(/\$LT\$/g, "<").replace(/\$GT\$/g, ">").replace(/\$u20\$/g, " ").replace(/\$u7b\$/g, "{").replace(/\$u7d\$/g, "}")
    .replace(/\$RF\$/g, "&").replace(/\$C\$/g, ",").replace(/\.\./g, "::").replace(/^_</, "<");
}

/** The crate a (demangled) function name belongs to: the first path segment, or the type's for an impl. */
function crateOf(name) {
  const impl = name.match(/^<(?:&(?:mut )?|\*(?:const|mut) )?([A-Za-z_][A-Za-z0-9_]*)/);
  if (impl) return impl[1];
  const path = name.match(/^([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/);
  return path ? path[1] : "(other)";
}

const perCrate = new Map();
const functions = bodies.map((size, k) => {
  const name = demangle(names.get(imported + k) ?? "?");
  perCrate.set(crateOf(name), (perCrate.get(crateOf(name)) ?? 0) + size);
  return [size, name];
});
const code = bodies.reduce((a, s) => a + s, 0);
const kib = (n) => (n / 1024).toFixed(1).padStart(8);

console.log(`${file}: ${kib(b.length)} KiB, ${bodies.length} functions${names.size ? "" : " (no name section: crates unknown)"}`);
console.log("\nsections (KiB)");
for (const [label, n] of sections.filter(([, n]) => n > 4096).sort((x, y) => y[1] - x[1])) console.log(`${kib(n)}  ${label}`);
console.log(`\ncode by crate (KiB, share of ${kib(code).trim()} KiB of code)`);
for (const [c, s] of [...perCrate].sort((x, y) => y[1] - x[1]).slice(0, topCrates)) {
  console.log(`${kib(s)}  ${((100 * s) / code).toFixed(1).padStart(5)} %  ${c}`);
}
// serde's code is compiled per type and per input or output format, so it
// lands in many crates; this line sums it wherever it landed.
const serdeCode = functions.filter(([, n]) => /serde|Serializ|Deserializ|toml/.test(n)).reduce((a, [s]) => a + s, 0);
console.log(`${kib(serdeCode)}  ${((100 * serdeCode) / code).toFixed(1).padStart(5)} %  of it (de)serialization, in any crate (names with serde, Serialize, Deserialize or toml)`);
console.log("\nlargest functions (KiB)");
for (const [s, n] of functions.sort((x, y) => y[0] - x[0]).slice(0, topFunctions)) console.log(`${kib(s)}  ${n.replace(/::h[0-9a-f]{16}$/, "").slice(0, 110)}`);

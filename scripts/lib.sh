# Shared by the scripts in this folder: paths, logging, and the tool locations
# worker-build must use (it would otherwise try to download them and fail offline).
# Sourced, not run.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/esbuild/bin/esbuild"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Node 22 from the local node_modules (system Node may be older; wrangler needs >= 22).
node22() { (cd "$ROOT" && npx --no-install node "$@"); }
wrangler() { (cd "$ROOT" && npx --no-install wrangler "$@"); }

# Runs wasm-opt on the Worker's wasm in place. Cargo.toml turns worker-build's own
# pass off because it always keeps the names section, which is ≈ 150 KiB of the
# gzipped upload and only serves symbol names in stack traces: set
# ARGUS_WASM_NAMES=1 to keep them while chasing a panic. The features are the
# ones worker-build enables (workerd supports them; nothing newer is emitted).
# `-O` rather than `-Oz`: on this Worker -Oz is 1.5 % smaller raw but 0.3 % larger
# gzipped, and the free plan counts the gzipped size.
optimize_wasm() {
  local wasm="$1" names=(--strip-debug)
  [[ "${ARGUS_WASM_NAMES:-}" == 1 ]] && names=(--debuginfo)
  say "optimizing $(basename "$wasm") (wasm-opt -O${names[*]:+ ${names[*]}})"
  node22 "$WASM_OPT_BIN" "$wasm" -o "$wasm.opt" -O "${names[@]}" \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
  mv "$wasm.opt" "$wasm"
}

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

#!/usr/bin/env bash
# Installs veritrain's dependencies under Node >= 22.13 (Hardhat 3 refuses older Node).
#
# On a machine with only Node 20, the npm package `node` (a real Node binary from the npm registry) is
# installed into .node24/ first, and npm itself then runs under it: npm run by Node 20 would silently
# skip Hardhat's native EDR package (its engines field says node >= 22) and Hardhat would fail later.
# A machine that already has Node >= 22.13 uses it as is. Nothing is downloaded at run time afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PIN=$(sed -n 's/.*"node": "\([0-9][0-9.]*\)".*/\1/p' package.json | head -n 1)
export ONNXRUNTIME_NODE_INSTALL=skip   # its install script would fetch CUDA files; the CPU binaries ship in the package

node_ok() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 13) ? 0 : 1)' 2>/dev/null
}

if node_ok "$(command -v node || echo node)"; then
  NODE_DIR=$(dirname "$(command -v node)")
else
  if ! node_ok .node24/node_modules/.bin/node; then
    echo "setup: Node $(node --version 2>/dev/null || echo missing) is too old for Hardhat 3; installing node@${NODE_PIN} from the npm registry into .node24/" >&2
    npm install --no-save --no-package-lock --no-audit --no-fund --prefix .node24 "node@${NODE_PIN}" >&2
  fi
  NODE_DIR="$PWD/.node24/node_modules/.bin"
fi

# The explorer's browser tests drive Debian's Chromium through playwright-core (which must never fetch a
# browser of its own). Installed once, as root, when apt is there; elsewhere those tests say so and skip.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the explorer's browser tests (about a minute)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
      || echo "setup: chromium could not be installed; the browser tests will skip and say so" >&2
  else
    echo "setup: no /usr/bin/chromium and no root apt-get to install it; the browser tests will skip and say so" >&2
  fi
fi

echo "setup: installing dependencies with Node $("$NODE_DIR/node" --version)" >&2
# `npm install`, not `npm ci`: the lockfile pins every version, but npm ci also insists on optional
# platform packages of other systems (EDR's macOS/Windows builds), some of which this registry lacks.
PATH="$NODE_DIR:$PATH" npm install --no-audit --no-fund >&2
# Hardhat's native engine must be present (see docs/setup.md for why this can go missing).
PATH="$PWD/node_modules/.bin:$PATH" node -e 'require("@nomicfoundation/edr")' 2>/dev/null \
  || { echo "setup: Hardhat's native EDR package is missing; run this script again with Node >= 22.13 first on PATH" >&2; exit 1; }
# Build what the commands need: circuits and their verifiers, the contracts, the typed ABIs (cached: fast when
# nothing changed).
echo "setup: building circuits and contracts" >&2
PATH="$PWD/node_modules/.bin:$PATH" npm run --silent build:contracts >&2
echo "setup: done (Node $(node_modules/.bin/node --version) in node_modules/.bin is used by every npm script)" >&2

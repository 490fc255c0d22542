#!/usr/bin/env bash
# Runs every test of the workspace, on a fresh machine too: installs what the
# interop tests need, checks the layering rule, then runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== installing Node.js and npm (Debian packages)"
  apt-get update -qq
  apt-get install -y -qq nodejs npm
fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Chromium (Debian package), for the browser test"
  apt-get update -qq
  apt-get install -y -qq chromium
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing Redis (Debian package), for the Redis adapter's tests"
  apt-get update -qq
  apt-get install -y -qq redis-server
fi
echo "== npm packages for the interop tests (interop/package-lock.json)"
npm ci --prefix interop --no-audit --no-fund --loglevel=error

echo "== the Sans-IO codecs depend on no async runtime and no HTTP crate"
for crate in engineio-protocol socketio-parser; do
  bad=$(cargo tree -q -e normal -p "$crate" --prefix none --format '{p}' \
    | awk '{print $1}' \
    | grep -xE 'tokio(-.*)?|hyper(-.*)?|http(-.*)?|(tokio-)?tungstenite|futures(-.*)?' \
    | sort -u || true)
  if [ -n "$bad" ]; then
    echo "$crate must not depend on: $bad" >&2
    exit 1
  fi
done

echo "== a third-party adapter needs only socketio-adapter, not the servers"
bad=$(cargo tree -q -e normal -p test-adapter --prefix none --format '{p}' \
  | awk '{print $1}' \
  | grep -xE 'socketio-server|engineio-server' \
  | sort -u || true)
if [ -n "$bad" ]; then
  echo "test-adapter must not depend on: $bad" >&2
  exit 1
fi

echo "== tests (all features, then socketio-parser without msgpack)"
cargo test --workspace --all-features
cargo test -p socketio-parser

echo "== screenshots the browser tests took (the chat demo and the admin UI)"
ls -1 "$PWD"/target/artifacts/*.png

#!/usr/bin/env bash
# The demo: a multi-room chat on http://127.0.0.1:${PORT:-3000} that a
# browser can use, and the official admin UI at /admin-ui/ (user admin,
# password $ADMIN_PASSWORD, or changeit). Installs the pinned
# socket.io-client browser bundle and the admin UI's files that the server
# serves (once, with npm), then runs examples/chat.
set -euo pipefail
cd "$(dirname "$0")/.."

client=target/demo/node_modules/socket.io-client
admin=target/demo/node_modules/@socket.io/admin-ui/ui/dist
if [ ! -f "$client/dist/socket.io.min.js" ] || [ ! -f "$admin/index.html" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "== installing Node.js and npm (Debian packages), for the browser bundle"
    apt-get update -qq
    apt-get install -y -qq nodejs npm
  fi
  echo "== socket.io-client 4.8.1 (the browser bundle) and @socket.io/admin-ui 0.5.1 (the admin UI), served by the demo"
  mkdir -p target/demo
  npm install --prefix target/demo --no-save --no-audit --no-fund --loglevel=error \
    socket.io-client@4.8.1 @socket.io/admin-ui@0.5.1
fi
# One line per connection and per room change (RUST_LOG=socketio_server=trace
# follows every packet).
RUST_LOG="${RUST_LOG:-info}" SIO_CLIENT="$client" ADMIN_UI="$admin" exec cargo run --release -p examples --example chat

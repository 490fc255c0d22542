#!/usr/bin/env bash
# The load benchmark in one command: builds this server's bench_server, the
# bare relay and the load generator; installs Node's socket.io (pinned, in
# bench/node) and builds the socketioxide server (bench/socketioxide); then
# runs every scenario against each, three runs each, every server pinned to
# core 0 and the generator to core 1, and prints the table.
#
#   bench/run.sh                 # everything, three runs
#   bench/run.sh --quick --runs 1
#   bench/run.sh --only echo,ack --hold 60
#
# Options are passed to `loadgen suite` (see bench/src/bin/loadgen.rs).
# Records go to target/bench/results.jsonl; `loadgen report` re-prints them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if ! command -v redis-server >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq redis-server
fi
if ! command -v taskset >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq util-linux
fi
npm ci --prefix bench/node --no-audit --no-fund --loglevel=error
cargo build --release -q -p bench --bins
cargo build --release -q -p examples --example bench_server
CARGO_TARGET_DIR=target/bench-socketioxide \
  cargo build --release -q --manifest-path bench/socketioxide/Cargo.toml

ulimit -n 20000 2>/dev/null || true
if [ "${1:-}" = soak ]; then
  shift
  exec taskset -c 1 target/release/soak --server target/release/examples/bench_server "$@"
fi
if [ "${1:-}" = hostile ]; then
  shift
  exec taskset -c 1 target/release/hostile \
    --server "ours=target/release/examples/bench_server" \
    --server "node=node bench/node/server.js" "$@"
fi
out=target/bench/results-$(date +%Y%m%d-%H%M%S).jsonl
taskset -c 1 target/release/loadgen suite --out "$out" \
  --server "ours=target/release/examples/bench_server" \
  --server "socketioxide=target/bench-socketioxide/release/socketioxide-bench" \
  --server "node=node bench/node/server.js" \
  --server "bare=target/release/relay" \
  "$@"
echo "records: $out"

#!/usr/bin/env bash
# Runs a command on another Node.js line, e.g.
#   scripts/on-node.sh 24 node scripts/run-tests.mjs   (the test suite, as .ci/run does)
#   scripts/on-node.sh 24 npm run bench:dc             (a benchmark)
# It fetches that Node (node-line.sh), builds better-sqlite3 against it, runs
# the command with that Node first in PATH (every process the command starts
# runs on it too), then builds better-sqlite3 for the default node again,
# whether the command passed or not.
set -euo pipefail
major=${1:?usage: scripts/on-node.sh MAJOR COMMAND [ARGS...]}
shift
[ $# -gt 0 ] || { echo "usage: scripts/on-node.sh MAJOR COMMAND [ARGS...]" >&2; exit 2; }
cd "$(dirname "$0")/.."
dir=$(scripts/node-line.sh "$major")
default_node=$(node -v)
restore() {
  npm rebuild better-sqlite3 >/dev/null 2>&1 || echo "could not build better-sqlite3 for $default_node again: run npm rebuild better-sqlite3"
}
# CI's checkout is thrown away after: no need to build it back.
[ "${CI:-}" = true ] || trap restore EXIT
echo "== better-sqlite3 for Node $("$dir/bin/node" -v)"
PATH="$dir/bin:$PATH" npm rebuild better-sqlite3 --nodedir="$dir" >/dev/null
echo "== on Node $("$dir/bin/node" -v): $*"
PATH="$dir/bin:$PATH" "$@"

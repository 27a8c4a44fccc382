#!/usr/bin/env bash
# Checks the node harness's refusals against the node the YAML build is running:
#   test-opensearch-node.sh <node-dir> <its-http-port>
# A second start from the same directory, and a start on a port something already listens on,
# must both fail with a message and leave the running node untouched.
set -uo pipefail
node=$1 port=$2
script="$(dirname "$0")/opensearch-node.sh"
passed=0 failed=0

expect_refusal() {
  local name=$1 expected=$2; shift 2
  local output
  if output=$("$@" 2>&1); then
    echo "FAIL $name: exited 0"; failed=$((failed + 1)); return
  fi
  if [[ "$output" != *"$expected"* ]]; then
    echo "FAIL $name: message was: $output"; failed=$((failed + 1)); return
  fi
  echo "ok   $name"; passed=$((passed + 1))
}

expect_refusal "second start from a running node's directory" "is already running" \
  bash "$script" start "$node" 1 2
copy=$(mktemp -d)
mkdir -p "$copy/bin" && cp "$node/bin/opensearch" "$copy/bin/"
expect_refusal "start on a busy port" "port $port on 127.0.0.1 is already in use" \
  bash "$script" start "$copy" "$port" 1
rm -rf "$copy"
if curl -fsS "http://127.0.0.1:$port/_cluster/health" >/dev/null; then
  echo "ok   running node still answers"; passed=$((passed + 1))
else
  echo "FAIL running node stopped answering"; failed=$((failed + 1))
fi
echo "node harness: $passed passed, $failed failed"
((failed == 0))

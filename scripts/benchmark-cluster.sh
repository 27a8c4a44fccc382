#!/usr/bin/env bash
# Issue-14 figures: a one-node and an N-node loopback cluster (scripts/opensearch-cluster.sh) side
# by side on this machine, with the same model, products and queries.
#
#   scripts/benchmark-cluster.sh <artefact-dir> <dataset-dir> <work-dir> [<nodes> [<docs>]]
#
# For 1 node and then <nodes> nodes (default 3): install the cluster into <work-dir>/nodes-<n>, copy
# the artefact to every node, start it (time until every node has joined), register the model,
# index the first <docs> products (default 5000) through the last node (the ingest-only node when
# n >= 3) with 4 concurrent bulk clients (2 shards; 1 replica on the cluster: two data nodes),
# measure query_text and BM25 latency through every node (training-job.jar benchmark-search), then
# stop the whole cluster and time a restart until a query_text search returns hits through every
# node. Prints a Markdown report, also written to <work-dir>/report.md (logs beside it).
#
# Environment: PROSPER_NODE_HEAP (1g per node here), BENCH_HTTP_BASE / BENCH_TRANSPORT_BASE (9600 /
# 9700: the first ports tried), BENCH_QUERIES (200 per node and system), JAVA_HOME (else found).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: $0 <artefact-dir> <dataset-dir> <work-dir> [<nodes> [<docs>]]" >&2; exit 2; }
[[ $# -ge 3 && $# -le 5 ]] || usage
ARTEFACT=$(cd "$1" && pwd)
DATA=$(cd "$2" && pwd)
mkdir -p "$3" && WORK=$(cd "$3" && pwd)
NODES=${4:-3} DOCS=${5:-5000}
[[ $NODES =~ ^[2-9]$ ]] || { echo "<nodes> must be 2-9, got [$NODES]" >&2; exit 2; }
[[ $DOCS =~ ^[1-9][0-9]*$ ]] || { echo "<docs> must be a positive integer, got [$DOCS]" >&2; exit 2; }
[[ -f "$ARTEFACT/prosper.json" ]] || { echo "$ARTEFACT is not a PROSPER artefact (no prosper.json)" >&2; exit 2; }
[[ -f "$DATA/products.tsv" || -f "$DATA/corpus.tsv" ]] || { echo "$DATA holds no dataset (products.tsv)" >&2; exit 2; }
ARTIFACTS="$ROOT/yaml-rest-test/target/opensearch-artifacts"
JAR="$ROOT/training-job/target/training-job.jar"
[[ -f "$JAR" ]] && ls "$ARTIFACTS"/prosper-opensearch-*.zip >/dev/null 2>&1 ||
  { echo "build first: mvn -B -DskipTests package" >&2; exit 2; }
[[ -n "${JAVA_HOME:-}" ]] || source "$ROOT/scripts/find-jdk.sh"
export PROSPER_NODE_HEAP=${PROSPER_NODE_HEAP:-1g}
CLUSTER_SCRIPT="$ROOT/scripts/opensearch-cluster.sh"
JOB=("$JAVA_HOME/bin/java" -Xmx2g -Dai.djl.offline=true -jar "$JAR")
MODEL=bench
# Whatever happens, no node of this benchmark is left running.
stop_all() {
  for dir in "$WORK"/nodes-*; do
    [[ -d "$dir/node-1" ]] && bash "$CLUSTER_SCRIPT" stop "$dir" >/dev/null 2>&1
  done
  return 0
}
trap stop_all EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
json() { curl -fsS --max-time 60 -H 'Content-Type: application/json' "$@"; }

# Polls until a query_text search through every URL given returns at least one hit.
first_search_everywhere() {
  local url body='{"size":1,"query":{"prosper_sparse":{"title_sparse":{"query_text":"cordless drill","model_id":"'$MODEL'"}}}}'
  for url in "$@"; do
    local deadline=$((SECONDS + 120))
    while ((SECONDS < deadline)); do
      # The later --max-time wins: each attempt gives up after 5 s.
      if json --max-time 5 "$url/products/_search" -d "$body" 2>/dev/null | grep -q '"hits":\[{'; then
        continue 2
      fi
      sleep 0.2
    done
    echo "no query_text search succeeded through $url within 2 minutes" >&2
    return 1
  done
}

REPORT="$WORK/report.md"
{
  echo "# Cluster benchmark ($(date -u +%Y-%m-%d), $(nproc) cores, ${PROSPER_NODE_HEAP} heap per node)"
  echo
  echo "Model $(basename "$ARTEFACT"), $DOCS products of $(basename "$DATA"), 4 bulk clients, 2 shards."
  echo
} >"$REPORT"
SUMMARY=()
for n in 1 "$NODES"; do
  CLUSTER="$WORK/nodes-$n"
  [[ -d "$CLUSTER/node-1" ]] && bash "$CLUSTER_SCRIPT" stop "$CLUSTER" >/dev/null 2>&1 || true
  echo "==> $n node(s): installing into $CLUSTER" >&2
  bash "$CLUSTER_SCRIPT" install "$ARTIFACTS" "$CLUSTER" "$n" >"$WORK/install-$n.log"
  bash "$CLUSTER_SCRIPT" copy-model "$CLUSTER" "$ARTEFACT" "$MODEL" >/dev/null
  t0=$(now)
  bash "$CLUSTER_SCRIPT" start "$CLUSTER" "${BENCH_HTTP_BASE:-9600}" "${BENCH_TRANSPORT_BASE:-9700}" >"$WORK/start-$n.log"
  formed=$(since "$t0")
  mapfile -t URLS < <(bash "$CLUSTER_SCRIPT" status "$CLUSTER" | awk '{ print $2 }')
  json -XPUT "${URLS[0]}/_plugins/prosper/models/$MODEL" -d "{\"path\":\"$MODEL\"}" >/dev/null
  replicas=0
  ((n >= 2)) && replicas=1
  ingest=${URLS[${#URLS[@]} - 1]}
  echo "==> $n node(s): indexing $DOCS products through $ingest" >&2
  "${JOB[@]}" load-products --url "$ingest" --model-id "$MODEL" --data "$DATA" --limit "$DOCS" \
    --clients 4 --shards 2 --replicas "$replicas" 2>"$WORK/load-$n.log" >/dev/null ||
    { tail -5 "$WORK/load-$n.log" >&2; exit 1; }
  rate=$(grep -o '([0-9.]* docs/s)' "$WORK/load-$n.log" | tail -1 | tr -d '()' | cut -d' ' -f1)
  json -XPOST "${URLS[0]}/products/_refresh" >/dev/null
  echo "==> $n node(s): search latency through each node" >&2
  args=()
  for url in "${URLS[@]}"; do args+=(--url "$url"); done
  "${JOB[@]}" benchmark-search "${args[@]}" --model-id "$MODEL" --data "$DATA" \
    --queries "${BENCH_QUERIES:-200}" >"$WORK/search-$n.md" 2>"$WORK/search-$n.log"
  echo "==> $n node(s): restarting the whole cluster" >&2
  bash "$CLUSTER_SCRIPT" stop "$CLUSTER" >/dev/null
  t0=$(now)
  bash "$CLUSTER_SCRIPT" start "$CLUSTER" >>"$WORK/start-$n.log"
  rejoined=$(since "$t0")
  first_search_everywhere "${URLS[@]}"
  searched=$(since "$t0")
  bash "$CLUSTER_SCRIPT" stop "$CLUSTER" >/dev/null
  SUMMARY+=("| $n | $rate | $formed | $rejoined | $searched |")
  {
    echo "## $n node(s): search latency through each node (distinct queries, one at a time)"
    echo
    cat "$WORK/search-$n.md"
    echo
  } >>"$REPORT"
done
{
  echo "## Ingest and start"
  echo
  echo "| nodes | ingest docs/s | fresh start → all joined s | restart → all joined s | restart → query_text hits on every node s |"
  echo "|---:|---:|---:|---:|---:|"
  printf '%s\n' "${SUMMARY[@]}"
  r1=$(cut -d'|' -f3 <<<"${SUMMARY[0]}") rn=$(cut -d'|' -f3 <<<"${SUMMARY[1]}")
  echo
  awk -v a="$r1" -v b="$rn" -v n="$NODES" 'BEGIN { printf "Ingest throughput, %d nodes / 1 node: %.2fx\n", n, b / a }'
} >>"$REPORT"
cat "$REPORT"

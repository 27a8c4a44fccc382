#!/usr/bin/env bash
# Checks the node harness against the node the YAML build is running, that a registered model,
# a pipeline and indexed documents survive a node restart, and that the training job's node
# commands (load-products, search, benchmark-node) work against it:
#   test-opensearch-node.sh <node-dir> <http-port> <transport-port> <training-job.jar> [<watch-pid>]
# A second start from the same directory, and a start on a port something already listens on,
# must both fail with a message and leave the running node untouched.
set -uo pipefail
node=$1 port=$2 transport=$3 jar=$4 watch=${5:-}
url="http://127.0.0.1:$port"
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

check() {
  local name=$1; shift
  if "$@"; then echo "ok   $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}

json() { curl -sS -H 'Content-Type: application/json' "$@"; }

expect_refusal "second start from a running node's directory" "is already running" \
  bash "$script" start "$node" 1 2
copy=$(mktemp -d)
mkdir -p "$copy/bin" && cp "$node/bin/opensearch" "$copy/bin/"
expect_refusal "start on a busy port" "port $port on 127.0.0.1 is already in use" \
  bash "$script" start "$copy" "$port" 1
rm -rf "$copy"
check "running node still answers" curl -fsS -o /dev/null "$url/_cluster/health"

# Restart: registered models (cluster metadata) and indexed documents survive.
json -XPUT "$url/_plugins/prosper/models/restart-model" -d '{"path":"test-model"}' >/dev/null
json -XPUT "$url/_ingest/pipeline/restart-pipeline" \
  -d '{"processors":[{"prosper":{"model_id":"restart-model","field_map":{"title":"title_sparse"}}}]}' >/dev/null
json -XPUT "$url/restart-index" -d '{"settings":{"number_of_replicas":0,"index.default_pipeline":"restart-pipeline"},
  "mappings":{"properties":{"title":{"type":"text"},"title_sparse":{"type":"rank_features"}}}}' >/dev/null
printf '%s\n' '{"index":{"_id":"1"}}' '{"title":"9 ft. patio umbrella"}' \
  '{"index":{"_id":"2"}}' '{"title":"cordless drill 20V"}' |
  curl -sS -H 'Content-Type: application/x-ndjson' -XPOST "$url/restart-index/_bulk?refresh=true" --data-binary @- >/dev/null
restart() {
  bash "$script" stop "$node" >/dev/null
  # shellcheck disable=SC2086
  bash "$script" start "$node" "$port" "$transport" $watch >/dev/null || echo "FAIL restart: node did not come back"
  curl -fsS -o /dev/null "$url/_cluster/health?wait_for_status=green&timeout=60s"
}
query_runtime_is() {
  curl -fsS "$url/_plugins/prosper/models/restart-model" | grep -q "\"query_runtime\":\"$1\",\"query_precision\":\"$2\""
}
json "$url/_plugins/prosper/models/restart-model/_encode" -d '{"texts":["load me"]}' >/dev/null
check "queries run in ONNX Runtime with int8 weights by default (the model's status)" query_runtime_is onnx int8
# This restart also shrinks the encode queue to one task, for the 429 check further down, and
# sets the query path to PyTorch in float32.
PROSPER_NODE_SETTINGS="thread_pool.prosper_encode.queue_size: 1
prosper.query.runtime: pytorch
prosper.query.precision: float32" restart
# The query's terms as the node serves them, and as the training job's encode prints them with
# the same runtime and precision.
query="husky 25 ft. tape measure"
node_terms() {
  json "$url/_plugins/prosper/models/restart-model/_encode" \
    -d "{\"mode\":\"query\",\"top_k\":8,\"texts\":[\"$query\"]}" | grep -o '"term":"[^"]*"'
}
encode_terms() {
  "$JAVA_HOME/bin/java" -Dai.djl.offline=true -jar "$jar" encode --mode query --normalize --json \
    --top-k 8 --query-runtime pytorch --query-precision float32 \
    --model "$node/config/prosper/models/test-model" "$query" 2>/dev/null | grep -o '"term":"[^"]*"'
}
same_terms_in_pytorch() {
  local served; served=$(node_terms)
  [[ -n "$served" && "$served" == "$(encode_terms)" ]] && query_runtime_is pytorch float32
}
check "prosper.query.runtime: pytorch, precision float32 serve what encode prints with those options" same_terms_in_pytorch

model_survives() { curl -fsS "$url/_plugins/prosper/models/restart-model" | grep -q '"path":"test-model"'; }
documents_survive() { curl -fsS "$url/restart-index/_count" | grep -q '"count":2'; }
search_works() {
  json "$url/restart-index/_search" -d '{"query":{"prosper_sparse":{"title_sparse":{
    "query_text":"patio umbrella","model_id":"restart-model"}}}}' |
    grep -q '"hits":\[{"_index":"restart-index","_id":"1"'
}
check "model registered before the restart is still registered" model_survives
check "documents indexed before the restart are still there" documents_survive
check "query_text search after the restart loads the model again and ranks" search_works
curl -sS -o /dev/null -XDELETE "$url/restart-index"
curl -sS -o /dev/null -XDELETE "$url/_ingest/pipeline/restart-pipeline"

# A node whose copy of a registered artefact has other weights refuses to load it (409).
models="$node/config/prosper/models"
rm -rf "$models/swap-model" && cp -r "$models/test-model" "$models/swap-model"
json -XPUT "$url/_plugins/prosper/models/swap-model" -d '{"path":"swap-model"}' >/dev/null
old=$(sha256sum "$models/swap-model/model.safetensors" | cut -d' ' -f1)
cp "$models/corrupted-model/model.safetensors" "$models/swap-model/model.safetensors"
new=$(sha256sum "$models/swap-model/model.safetensors" | cut -d' ' -f1)
sed -i "s/$old/$new/" "$models/swap-model/prosper.json"
swapped_copy_is_refused() {
  local answer
  answer=$(curl -sS -w ' %{http_code}' -H 'Content-Type: application/json' \
    "$url/_plugins/prosper/models/swap-model/_encode" -d '{"texts":["umbrella"]}')
  [[ "$answer" == *"copy the registered artefact to every node"* && "$answer" == *" 409" ]]
}
check "a node's copy with other weights than registered is refused with 409" swapped_copy_is_refused
curl -sS -o /dev/null -XDELETE "$url/_plugins/prosper/models/swap-model"
rm -rf "$models/swap-model"

# A full encode queue answers 429 (one encoding thread, a queue of one task): 12 concurrent
# _encode requests of 400 texts each; the ones that find the queue full are rejected with
# rejected_execution_exception, the others succeed, the node counts the rejections and stays up.
full_queue_answers_429() {
  local dir; dir=$(mktemp -d)
  { printf '{"texts":["cordless drill 0 volt"'; for i in $(seq 1 399); do printf ',"cordless drill %d volt"' "$i"; done; printf ']}'; } >"$dir/body.json"
  for i in $(seq 1 12); do
    curl -sS -o "$dir/$i.json" -w '%{http_code}' -H 'Content-Type: application/json' \
      "$url/_plugins/prosper/models/restart-model/_encode" --data-binary @"$dir/body.json" >"$dir/$i.code" &
  done
  wait
  echo "     _encode status codes under a full queue: $(cat "$dir"/*.code | tr '\n' ' ' | sed 's/\(...\)/\1 /g')"
  local rejected=0 ok=0 other=0 f
  for f in "$dir"/*.code; do
    case $(cat "$f") in
      429) grep -q '"type":"rejected_execution_exception"' "${f%.code}.json" &&
             grep -q 'thread_pool.prosper_encode.queue_size' "${f%.code}.json" && rejected=$((rejected + 1)) ;;
      200) ok=$((ok + 1)) ;;
      *) other=$((other + 1)) ;;
    esac
  done
  rm -rf "$dir"
  local counted
  counted=$(curl -fsS "$url/_plugins/prosper/stats" | grep -o '"rejections":[0-9]*' | awk -F: '{s += $2} END {print s + 0}')
  ((rejected >= 1 && ok >= 1 && other == 0 && counted >= rejected)) &&
    curl -fsS -o /dev/null "$url/_cluster/health"
}
check "a full encode queue answers 429 rejected_execution_exception and counts it" full_queue_answers_429
restart

# The node commands of the training job, on a small generated catalogue.
work=$(mktemp -d)
job=("$JAVA_HOME/bin/java" -Xmx2g -Dai.djl.offline=true -jar "$jar")
"${job[@]}" sample-data --output "$work/data" --products 300 --queries 80 --seed 3 >/dev/null 2>&1
load_products() {
  "${job[@]}" load-products --url "$url" --model-id restart-model --data "$work/data" \
    --index harness-products --pipeline harness-pipeline --clients 2 --shards 2 >"$work/load.log" 2>&1 &&
    curl -fsS "$url/harness-products/_count" | grep -q '"count":300' &&
    curl -fsS "$url/harness-products/_settings" | grep -q '"number_of_shards":"2"'
}
benchmark_search_prints_latencies() {
  "${job[@]}" benchmark-search --url "$url" --model-id restart-model --index harness-products \
    --data "$work/data" --queries 20 --warmup 5 >"$work/latency.md" 2>/dev/null &&
    grep -qE '^\| prosper-node-1 \(http://127\.0\.0\.1:[0-9]+\) \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+x \|$' "$work/latency.md"
}
search_prints_terms_and_hits() {
  "${job[@]}" search --url "$url" --model-id restart-model --index harness-products \
    "$(sed -n 1p "$work/data/queries.tsv" | cut -f2)" >"$work/search.out" 2>/dev/null &&
    grep -q '^  terms: ' "$work/search.out" && grep -qE '^ +[0-9]+\.[0-9]{3}  ' "$work/search.out"
}
benchmark_writes_its_report() {
  "${job[@]}" benchmark-node --url "$url" --model-id restart-model --data "$work/data" \
    --split train --min-grade 2 --max-queries 20 --index harness-bench \
    --artefact "$node/config/prosper/models/test-model" --raw-sample 64 \
    --output "$work/report" >"$work/bench.log" 2>&1 &&
    grep -q '^| PROSPER (prosper_sparse, query_text) | 0\.' "$work/report/report.md" &&
    grep -q '^| BM25 (match, english analyzer) | ' "$work/report/report.md" &&
    grep -q '^| prosper_sparse query_tokens | ' "$work/report/report.md" &&
    grep -q 'ratio' "$work/report/report.md" &&
    [[ -s "$work/report/latency.png" && -s "$work/report/quality.png" ]] &&
    grep -q '"title_sparse"' "$work/report/report.json" &&
    sizes_are_measured "$work/report/report.json"
}
# The index sizes are what each field adds to one merged segment (not a stale store size, not
# the recovery source); benchmark-node itself checks that each copy held every document.
sizes_are_measured() {
  local json=$1 name value
  declare -A size
  for name in title title_sparse ids_baseline whole_index whole_index_searchable; do
    value=$(grep -oE "\"$name\" *: *[0-9-]+" "$json" | tail -1 | grep -oE '[0-9-]+$')
    size[$name]=${value:-0}
  done
  echo "index sizes: title ${size[title]}, title_sparse ${size[title_sparse]}," \
    "ids_baseline ${size[ids_baseline]}, whole_index ${size[whole_index]}," \
    "whole_index_searchable ${size[whole_index_searchable]}"
  # The two fields measured apart are the same structures as in the whole index without its
  # stored fields (up to each copy's small overheads, hence the 1.2): a copy that counted its
  # recovery source (the JSON of the weights) would be several times larger, a stale size 0.
  ((size[title] > 0 && size[title_sparse] > 0 && size[ids_baseline] > 0 &&
    5 * (size[title] + size[title_sparse] + size[ids_baseline]) <= 6 * size[whole_index_searchable] &&
    size[whole_index_searchable] < size[whole_index]))
}
check "load-products indexes a catalogue through a prosper pipeline" load_products
check "search prints the query's terms and scored hits" search_prints_terms_and_hits
check "benchmark-search prints query_text and BM25 latency through the node" benchmark_search_prints_latencies
check "benchmark-node writes report.md, report.json and charts" benchmark_writes_its_report
for f in load.log bench.log; do [[ -f "$work/$f" ]] && grep -q -i "error" "$work/$f" && tail -5 "$work/$f"; done
rm -rf "$work"
for index in harness-products harness-bench; do curl -sS -o /dev/null -XDELETE "$url/$index"; done
curl -sS -o /dev/null -XDELETE "$url/_ingest/pipeline/harness-pipeline"
curl -sS -o /dev/null -XDELETE "$url/_ingest/pipeline/harness-bench-pipeline"
curl -sS -o /dev/null -XDELETE "$url/_plugins/prosper/models/restart-model"

echo "node harness: $passed passed, $failed failed"
((failed == 0))

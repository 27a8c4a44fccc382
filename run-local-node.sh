#!/usr/bin/env bash
# Builds PROSPER, installs it into a local OpenSearch 3.4.0 node under ./local-node and starts
# the node on http://127.0.0.1:${PROSPER_HTTP_PORT:-9200}. Safe to run again: it reuses the
# install while the plugin is unchanged, and keeps the node's data across reinstalls.
#
#   ./run-local-node.sh          build, (re)install if needed, start, load the demo index
#   ./run-local-node.sh stop     stop the node
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
NODE="$ROOT/local-node/opensearch"
export PROSPER_NODE_DATA_DIR="$ROOT/local-node/data"
HTTP_PORT=${PROSPER_HTTP_PORT:-9200}
TRANSPORT_PORT=${PROSPER_TRANSPORT_PORT:-9300}
URL="http://127.0.0.1:$HTTP_PORT"
NODE_SCRIPT="$ROOT/scripts/opensearch-node.sh"

if [[ "${1:-}" == "stop" ]]; then
  exec bash "$NODE_SCRIPT" stop "$NODE"
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [stop]" >&2; exit 2; }

source scripts/find-jdk.sh

echo "==> Building the plugin (mvn package, tests skipped)"
mvn -B -ntp -q -DskipTests package
ARTIFACTS="$ROOT/yaml-rest-test/target/opensearch-artifacts"
PLUGIN_ZIP=$(ls "$ARTIFACTS"/prosper-opensearch-*.zip)
PLUGIN_SUM=$(sha256sum "$PLUGIN_ZIP" | cut -d' ' -f1)

if [[ -f "$NODE/.prosper-plugin.sha256" && "$(cat "$NODE/.prosper-plugin.sha256")" == "$PLUGIN_SUM" ]]; then
  echo "==> Node install in $NODE is up to date"
else
  echo "==> Installing OpenSearch with the PROSPER plugin into $NODE"
  bash "$NODE_SCRIPT" stop "$NODE" >/dev/null
  bash "$NODE_SCRIPT" install "$ARTIFACTS" "$NODE"
  echo "$PLUGIN_SUM" >"$NODE/.prosper-plugin.sha256"
fi

if bash "$NODE_SCRIPT" status "$NODE" >/dev/null; then
  echo "==> Node already running at $URL"
else
  echo "==> Starting the node"
  bash "$NODE_SCRIPT" start "$NODE" "$HTTP_PORT" "$TRANSPORT_PORT"
fi

if ! curl -fs -o /dev/null "$URL/products"; then
  echo "==> Creating the demo index 'products' (explicit term weights; model-encoded titles come with the encoder)"
  curl -fsS -o /dev/null -XPUT "$URL/products" -H 'Content-Type: application/json' -d '{
    "mappings": { "properties": {
      "title": { "type": "text", "analyzer": "english" },
      "title_sparse": { "type": "rank_features" } } } }'
  curl -fsS -o /dev/null -XPOST "$URL/_bulk?refresh=true" -H 'Content-Type: application/x-ndjson' --data-binary @- <<'NDJSON'
{"index":{"_index":"products","_id":"1"}}
{"title":"9 ft. patio umbrella, navy","title_sparse":{"patio":1.5,"umbrella":2.0,"ft.":0.5,"9":0.75,"navy":1.0}}
{"index":{"_index":"products","_id":"2"}}
{"title":"Umbrella base stand","title_sparse":{"umbrella":1.0,"base":1.75,"stand":2.0}}
{"index":{"_index":"products","_id":"3"}}
{"title":"50 ft. garden hose","title_sparse":{"garden":2.0,"hose":2.5,"ft.":1.0,"50":0.75}}
NDJSON
fi

QUERY='{ "query": { "prosper_sparse": { "title_sparse": {
    "query_tokens": { "patio": 1.8, "umbrella": 2.1, "ft.": 0.4 }, "top_k": 16 } } },
  "_source": ["title"] }'
echo "==> Example search:"
echo "curl -s '$URL/products/_search?pretty' -H 'Content-Type: application/json' -d '$QUERY'"
curl -fsS "$URL/products/_search?filter_path=hits.hits._id,hits.hits._score,hits.hits._source&pretty" \
  -H 'Content-Type: application/json' -d "$QUERY"
cat <<MSG

PROSPER is serving at $URL (logs: $NODE/logs, data: $PROSPER_NODE_DATA_DIR).
Stop it with: ./run-local-node.sh stop
MSG

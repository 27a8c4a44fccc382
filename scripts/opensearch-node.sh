#!/usr/bin/env bash
# Installs, starts and stops a single local OpenSearch node with the PROSPER plugin.
# Used by the YAML REST test build (yaml-rest-test/pom.xml) and by run-local-node.sh.
#
#   opensearch-node.sh install <artifacts-dir> <node-dir>
#       Unpacks the OpenSearch integ-test distribution from <artifacts-dir>, adds the
#       mapper-extras (rank_features) and analysis-common (english analyzer) modules and
#       installs the plugin zip found there. Replaces any previous install in <node-dir>.
#   opensearch-node.sh start <node-dir> <http-port> <transport-port> [<watch-pid>]
#       Starts the node on 127.0.0.1 and waits until it answers. Data goes to
#       $PROSPER_NODE_DATA_DIR (default <node-dir>/data), so a reinstall can keep it. With <watch-pid>, a
#       watchdog stops the node as soon as that process (the Maven build) is gone, so an
#       interrupted build never leaves a node behind. $PROSPER_NODE_SETTINGS, when set, is
#       appended to the node's opensearch.yml (extra settings, one "key: value" per line).
#   opensearch-node.sh stop <node-dir>
#   opensearch-node.sh status <node-dir>
#       Prints the pid and exits 0 when a node from <node-dir> is running; exits 1 otherwise.
#
# Sourced (by opensearch-cluster.sh), it only defines the functions.
#
# Needs JAVA_HOME pointing at a JDK 21+. Works as root (see OPENSEARCH_JAVA_OPTS below).
set -euo pipefail

die() { echo "opensearch-node: $*" >&2; exit 1; }
log() { echo "opensearch-node: $*"; }

require_java() {
  [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] || die "JAVA_HOME must point at a JDK 21+"
}

port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid_file() { echo "$1/opensearch.pid"; }

running_pid() {
  local file; file=$(pid_file "$1")
  [[ -f "$file" ]] || return 1
  local pid; pid=$(cat "$file")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_node() {
  local artifacts=$1 node=$2
  require_java
  local dist=("$artifacts"/opensearch-*.zip) plugin=("$artifacts"/prosper-opensearch-*.zip)
  [[ -f "${dist[0]}" ]] || die "no OpenSearch distribution zip in $artifacts (run mvn package first)"
  [[ -f "${plugin[0]}" ]] || die "no PROSPER plugin zip in $artifacts (run mvn package first)"
  if pid=$(running_pid "$node"); then
    die "a node from $node is still running (pid $pid); stop it first: $0 stop $node"
  fi
  rm -rf "$node"
  local unpack; unpack=$(mktemp -d)
  unzip -q "${dist[0]}" -d "$unpack"
  mkdir -p "$(dirname "$node")"
  mv "$unpack"/opensearch-* "$node"
  rmdir "$unpack"
  add_module "$node" mapper-extras "$artifacts"/mapper-extras-client-*.jar \
    org.opensearch.index.mapper.MapperExtrasModulePlugin "Adds rank_feature(s), scaled_float and search_as_you_type fields."
  add_module "$node" analysis-common "$artifacts"/analysis-common-*.jar \
    org.opensearch.analysis.common.CommonAnalysisModulePlugin "Adds language analyzers such as english."
  log "installing plugin $(basename "${plugin[0]}")"
  OPENSEARCH_JAVA_OPTS="-Djna.nounpack=true -Djna.nosys=true" \
    "$node/bin/opensearch-plugin" install --batch "file://$(cd "$(dirname "${plugin[0]}")" && pwd)/$(basename "${plugin[0]}")" >/dev/null
  log "installed OpenSearch with PROSPER in $node"
}

add_module() {
  local node=$1 name=$2 jar=$3 classname=$4 description=$5
  [[ -f "$jar" ]] || die "module jar for $name not found"
  local version; version=$(basename "$jar" .jar | sed -E 's/.*-([0-9]+\.[0-9]+\.[0-9]+)$/\1/')
  mkdir -p "$node/modules/$name"
  cp "$jar" "$node/modules/$name/"
  cat >"$node/modules/$name/plugin-descriptor.properties" <<PROPS
name=$name
description=$description
version=$version
classname=$classname
java.version=21
opensearch.version=$version
PROPS
}

start_node() {
  local node=$1 http_port=$2 transport_port=$3 watch_pid=${4:-}
  require_java
  [[ -x "$node/bin/opensearch" ]] || die "no node installed in $node"
  check_free "$node" "$http_port" "$transport_port"
  write_config "$node/config/opensearch.yml" <<YML
cluster.name: prosper-local
node.name: prosper-node-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $http_port
transport.port: $transport_port
path.data: ${PROSPER_NODE_DATA_DIR:-$node/data}
path.logs: $node/logs
YML
  launch "$node" "$node" "${PROSPER_NODE_HEAP:-1g}"
  wait_until_up "$node" "http://127.0.0.1:$http_port/_cluster/health?wait_for_status=yellow&timeout=1s" prosper-local
  watch "$node" "$watch_pid"
}

# Refuses to start a node whose directory already runs one or whose ports are taken.
check_free() {
  local node=$1 http_port=$2 transport_port=$3
  if pid=$(running_pid "$node"); then
    die "a node from $node is already running (pid $pid); stop it with: $0 stop $node"
  fi
  if [[ -f "$(pid_file "$node")" ]]; then
    log "removing stale pid file $(pid_file "$node") (process $(cat "$(pid_file "$node")") is gone)"
    rm -f "$(pid_file "$node")"
  fi
  port_busy "$http_port" && die "port $http_port on 127.0.0.1 is already in use; refusing to reuse whatever listens there"
  port_busy "$transport_port" && die "port $transport_port on 127.0.0.1 is already in use"
  return 0
}

# Writes opensearch.yml from stdin, then $PROSPER_NODE_SETTINGS (extra "key: value" lines).
write_config() {
  { cat; printf '%s\n' "${PROSPER_NODE_SETTINGS:-}"; } >"$1"
}

# Starts <home>/bin/opensearch as a daemon with the configuration in <node>/config, its pid in
# <node>/opensearch.pid and its console output in <node>/logs/console.log.
launch() {
  local home=$1 node=$2 heap=$3
  # JNA cannot load with these flags, which skips OpenSearch's refusal to run as root;
  # native memory locking and seccomp are not needed for a local node.
  log "starting $(basename "$node") (logs: $node/logs)"
  mkdir -p "$node/logs"
  # Detach the daemon from our stdout/stderr: a caller that waits for them to close (Maven's
  # exec plugin) would otherwise wait for the node to stop.
  OPENSEARCH_PATH_CONF="$node/config" \
    OPENSEARCH_JAVA_OPTS="-Xms$heap -Xmx$heap -Djna.nounpack=true -Djna.nosys=true ${PROSPER_NODE_JAVA_OPTS:-}" \
    "$home/bin/opensearch" -d -p "$(pid_file "$node")" </dev/null >>"$node/logs/console.log" 2>&1 ||
    die "opensearch -d failed (exit $?); see $node/logs/console.log"
}

# Waits until <url> answers, failing early (with the log's tail) when the node's process dies.
wait_until_up() {
  local node=$1 url=$2 cluster=$3
  local deadline=$((SECONDS + ${PROSPER_NODE_START_TIMEOUT:-120}))
  until curl -fsS "$url" >/dev/null 2>&1; do
    # The pid file appears a moment after `opensearch -d` returns; a pid file whose process is
    # gone means the node died.
    if [[ -f "$(pid_file "$node")" ]] && ! running_pid "$node" >/dev/null; then
      tail -n 40 "$node/logs/$cluster.log" >&2 || true
      rm -f "$(pid_file "$node")"
      die "node exited during start-up (log above)"
    fi
    ((SECONDS < deadline)) || { stop_node "$node"; die "node did not answer within ${PROSPER_NODE_START_TIMEOUT:-120}s"; }
    sleep 1
  done
  log "$(basename "$node") is up (pid $(cat "$(pid_file "$node")"))"
}

# With <watch-pid>, a watchdog stops the node as soon as that process is gone.
watch() {
  local node=$1 watch_pid=$2
  [[ -n "$watch_pid" ]] || return 0
  local node_pid; node_pid=$(cat "$(pid_file "$node")")
  nohup setsid bash -c "
    while kill -0 $watch_pid 2>/dev/null && kill -0 $node_pid 2>/dev/null; do sleep 2; done
    if kill -0 $node_pid 2>/dev/null; then kill $node_pid; fi" >/dev/null 2>&1 &
}

stop_node() {
  local node=$1
  local pid
  if ! pid=$(running_pid "$node"); then
    rm -f "$(pid_file "$node")"
    log "no node running from $node"
    return 0
  fi
  log "stopping node (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$(pid_file "$node")"; log "stopped"; return 0; }
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$(pid_file "$node")"
  log "killed after 60 s"
}

# Node directories are used in the node's own config: make them absolute.
abs() { realpath -m "$1"; }

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    install) [[ $# -eq 3 ]] || die "usage: $0 install <artifacts-dir> <node-dir>"; install_node "$(abs "$2")" "$(abs "$3")" ;;
    start) [[ $# -ge 4 ]] || die "usage: $0 start <node-dir> <http-port> <transport-port> [<watch-pid>]"; start_node "$(abs "$2")" "$3" "$4" "${5:-}" ;;
    status) [[ $# -eq 2 ]] || die "usage: $0 status <node-dir>"; running_pid "$(abs "$2")" ;;
    stop) [[ $# -eq 2 ]] || die "usage: $0 stop <node-dir>"; stop_node "$(abs "$2")" ;;
    *) die "usage: $0 install|start|stop|status ... (see the comment at the top of this script)" ;;
  esac
fi

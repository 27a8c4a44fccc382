#!/usr/bin/env bash
# A local OpenSearch cluster of N nodes with the PROSPER plugin, on loopback ports: one install,
# one config, data and log directory per node. Used by the cluster tests (ClusterIT) and by
# `run-local-node.sh --nodes N`.
#
#   opensearch-cluster.sh install <artifacts-dir> <cluster-dir> [<nodes>]
#       Installs OpenSearch with the plugin once into <cluster-dir>/opensearch (as
#       opensearch-node.sh install does) and makes <cluster-dir>/node-1 ... node-N (default 3),
#       each with its own config/ (a copy of the install's, with config/prosper/models/ for the
#       artefacts), data/ and logs/. Roles: node-1 is the cluster manager and a data and ingest
#       node; with 3 or more nodes the last is ingest-only (the GPU role of docker-compose);
#       the others are data nodes. Replaces any previous cluster in <cluster-dir>.
#   opensearch-cluster.sh start <cluster-dir> [<http-base> <transport-base> [<watch-pid>]]
#       Starts every node that is not running and waits until all N have joined (status yellow
#       or better). The first start picks free loopback ports from the bases upwards (default
#       9200 and 9300) and records them in <cluster-dir>/ports; later starts reuse them. With
#       <watch-pid>, each node stops as soon as that process is gone.
#   opensearch-cluster.sh start-node <cluster-dir> <i> [<watch-pid>]
#       Starts node i alone (after stop-node) and waits until it has joined.
#   opensearch-cluster.sh stop <cluster-dir> [<i>]
#       Stops every node, or node i.
#   opensearch-cluster.sh status <cluster-dir>
#       One line per node: "node-<i> <http-url> <transport-port> <roles> <pid|stopped>"; exits 0
#       when every node is running.
#   opensearch-cluster.sh copy-model <cluster-dir> <artefact-dir> <model-path> [<i> ...]
#       Copies an artefact to config/prosper/models/<model-path> of every node (or of nodes i).
#
# Environment: PROSPER_NODE_HEAP (512m per node), PROSPER_NODE_SETTINGS (extra opensearch.yml
# lines for every node), JAVA_HOME (a JDK 21+).
set -euo pipefail
# shellcheck source=opensearch-node.sh
source "$(dirname "${BASH_SOURCE[0]}")/opensearch-node.sh"

CLUSTER_NAME=prosper-cluster

node_dir() { echo "$1/node-$2"; }
node_count() {
  local n=0
  while [[ -d "$1/node-$((n + 1))" ]]; do n=$((n + 1)); done
  ((n > 0)) || die "no cluster installed in $1 (run: $0 install <artifacts-dir> $1 [<nodes>])"
  echo "$n"
}

roles_of() {
  local i=$1 n=$2
  if ((i == 1)); then
    echo "cluster_manager,data,ingest"
  elif ((n >= 3 && i == n)); then
    echo "ingest"
  else
    echo "data"
  fi
}

install_cluster() {
  local artifacts=$1 cluster=$2 n=$3
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "the number of nodes must be a positive integer, got [$n]"
  if [[ -d "$cluster" ]]; then
    for dir in "$cluster"/node-*; do
      [[ -d "$dir" ]] || continue
      if pid=$(running_pid "$dir"); then
        die "$(basename "$dir") of $cluster is still running (pid $pid); stop it first: $0 stop $cluster"
      fi
    done
  fi
  rm -rf "$cluster"
  mkdir -p "$cluster"
  install_node "$artifacts" "$cluster/opensearch"
  for ((i = 1; i <= n; i++)); do
    local dir; dir=$(node_dir "$cluster" "$i")
    mkdir -p "$dir/data" "$dir/logs"
    cp -r "$cluster/opensearch/config" "$dir/config"
    mkdir -p "$dir/config/prosper/models"
    roles_of "$i" "$n" >"$dir/roles"
  done
  log "installed a $n-node cluster in $cluster"
}

# Picks the next port from $1 upwards that nothing listens on and that is not in the list $2.
free_port() {
  local port=$1 taken=" $2 "
  while port_busy "$port" || [[ $taken == *" $port "* ]]; do port=$((port + 1)); done
  echo "$port"
}

assign_ports() {
  local cluster=$1 http=$2 transport=$3 n=$4
  [[ -f "$cluster/ports" ]] && return 0
  local taken="" line=""
  for ((i = 1; i <= n; i++)); do
    http=$(free_port "$http" "$taken")
    taken+=" $http"
    transport=$(free_port "$transport" "$taken")
    taken+=" $transport"
    line+="$i $http $transport"$'\n'
    http=$((http + 1)) transport=$((transport + 1))
  done
  printf '%s' "$line" >"$cluster/ports"
}

port_of() { awk -v i="$2" -v f="$3" '$1 == i { print $f }' "$1/ports"; }

write_node_config() {
  local cluster=$1 i=$2 n=$3
  local dir seeds=""
  dir=$(node_dir "$cluster" "$i")
  for ((j = 1; j <= n; j++)); do seeds+="${seeds:+, }\"127.0.0.1:$(port_of "$cluster" "$j" 3)\""; done
  write_config "$dir/config/opensearch.yml" <<YML
cluster.name: $CLUSTER_NAME
node.name: prosper-node-$i
node.roles: [$(cat "$dir/roles")]
network.host: 127.0.0.1
http.port: $(port_of "$cluster" "$i" 2)
transport.port: $(port_of "$cluster" "$i" 3)
discovery.seed_hosts: [$seeds]
cluster.initial_cluster_manager_nodes: [prosper-node-1]
path.data: $dir/data
path.logs: $dir/logs
# Every node of this cluster shares one disk, so per-node disk watermarks cannot balance
# anything; on a machine whose disk is 85 % full they would only leave replicas unassigned.
cluster.routing.allocation.disk.threshold_enabled: false
YML
}

# Launches node i (its opensearch.yml rewritten from the recorded ports) without waiting.
launch_node() {
  local cluster=$1 i=$2 n=$3
  local dir; dir=$(node_dir "$cluster" "$i")
  check_free "$dir" "$(port_of "$cluster" "$i" 2)" "$(port_of "$cluster" "$i" 3)"
  write_node_config "$cluster" "$i" "$n"
  launch "$cluster/opensearch" "$dir" "${PROSPER_NODE_HEAP:-512m}"
}

# Waits until node i answers and the cluster it sees has all n nodes.
wait_joined() {
  local cluster=$1 i=$2 n=$3 watch_pid=$4
  local dir; dir=$(node_dir "$cluster" "$i")
  wait_until_up "$dir" \
    "http://127.0.0.1:$(port_of "$cluster" "$i" 2)/_cluster/health?wait_for_nodes=$n&wait_for_status=yellow&timeout=1s" \
    "$CLUSTER_NAME"
  watch "$dir" "$watch_pid"
}

start_cluster() {
  local cluster=$1 http=$2 transport=$3 watch_pid=$4
  require_java
  local n; n=$(node_count "$cluster")
  assign_ports "$cluster" "$http" "$transport" "$n"
  local started=()
  for ((i = 1; i <= n; i++)); do
    running_pid "$(node_dir "$cluster" "$i")" >/dev/null && continue
    launch_node "$cluster" "$i" "$n"
    started+=("$i")
  done
  for i in "${started[@]}"; do wait_joined "$cluster" "$i" "$n" "$watch_pid"; done
  log "cluster of $n nodes is up: $(port_of "$cluster" 1 2 | sed 's|^|http://127.0.0.1:|') (node-1)"
}

start_one() {
  local cluster=$1 i=$2 watch_pid=$3
  require_java
  local n; n=$(node_count "$cluster")
  [[ -f "$cluster/ports" ]] || die "the cluster in $cluster was never started; run: $0 start $cluster"
  ((i >= 1 && i <= n)) || die "no node-$i in $cluster (it has $n nodes)"
  launch_node "$cluster" "$i" "$n"
  wait_joined "$cluster" "$i" "$n" "$watch_pid"
}

stop_cluster() {
  local cluster=$1 only=${2:-}
  local n; n=$(node_count "$cluster")
  if [[ -n "$only" ]]; then
    ((only >= 1 && only <= n)) || die "no node-$only in $cluster (it has $n nodes)"
    stop_node "$(node_dir "$cluster" "$only")"
    return
  fi
  # The ingest-only and data nodes first, the cluster manager last: no needless re-election.
  for ((i = n; i >= 1; i--)); do stop_node "$(node_dir "$cluster" "$i")"; done
}

status_cluster() {
  local cluster=$1 all=0
  local n; n=$(node_count "$cluster")
  for ((i = 1; i <= n; i++)); do
    local dir pid http transport
    dir=$(node_dir "$cluster" "$i")
    http=$( [[ -f "$cluster/ports" ]] && port_of "$cluster" "$i" 2 || echo "-")
    transport=$( [[ -f "$cluster/ports" ]] && port_of "$cluster" "$i" 3 || echo "-")
    if pid=$(running_pid "$dir"); then :; else pid=stopped all=1; fi
    echo "node-$i http://127.0.0.1:$http $transport $(cat "$dir/roles") $pid"
  done
  return "$all"
}

copy_model() {
  local cluster=$1 artefact=$2 name=$3; shift 3
  [[ -f "$artefact/prosper.json" ]] || die "$artefact is not a PROSPER artefact (no prosper.json)"
  local n; n=$(node_count "$cluster")
  local nodes=("$@")
  ((${#nodes[@]} > 0)) || mapfile -t nodes < <(seq 1 "$n")
  for i in "${nodes[@]}"; do
    local target; target="$(node_dir "$cluster" "$i")/config/prosper/models/$name"
    [[ -d "$(node_dir "$cluster" "$i")" ]] || die "no node-$i in $cluster"
    rm -rf "$target.tmp" && cp -r "$artefact" "$target.tmp" && rm -rf "$target" && mv "$target.tmp" "$target"
  done
  log "copied $(basename "$artefact") to $name on node(s) ${nodes[*]}"
}

case "${1:-}" in
  install) [[ $# -eq 3 || $# -eq 4 ]] || die "usage: $0 install <artifacts-dir> <cluster-dir> [<nodes>]"
    install_cluster "$(abs "$2")" "$(abs "$3")" "${4:-3}" ;;
  start) [[ $# -eq 2 || $# -eq 4 || $# -eq 5 ]] || die "usage: $0 start <cluster-dir> [<http-base> <transport-base> [<watch-pid>]]"
    start_cluster "$(abs "$2")" "${3:-9200}" "${4:-9300}" "${5:-}" ;;
  start-node) [[ $# -eq 3 || $# -eq 4 ]] || die "usage: $0 start-node <cluster-dir> <i> [<watch-pid>]"
    start_one "$(abs "$2")" "$3" "${4:-}" ;;
  stop) [[ $# -eq 2 || $# -eq 3 ]] || die "usage: $0 stop <cluster-dir> [<i>]"; stop_cluster "$(abs "$2")" "${3:-}" ;;
  status) [[ $# -eq 2 ]] || die "usage: $0 status <cluster-dir>"; status_cluster "$(abs "$2")" ;;
  copy-model) [[ $# -ge 4 ]] || die "usage: $0 copy-model <cluster-dir> <artefact-dir> <model-path> [<i> ...]"
    copy_model "$(abs "$2")" "$(abs "$3")" "${@:4}" ;;
  *) die "usage: $0 install|start|start-node|stop|status|copy-model ... (see the comment at the top of this script)" ;;
esac

#!/usr/bin/env bash
# A real two-node Ray cluster on this host, for queue-ray's tests, benchmarks and for trying the
# ray backend by hand. Ray's raylet and GCS come from the Python wheel (Maven Central has no
# runtime that can start a cluster), installed into a virtualenv beside the repository.
#
#   scripts/ray-cluster.sh install   virtualenv + pip install ray==$RAY_VERSION (idempotent)
#   scripts/ray-cluster.sh up        head node + a second node on this host; prints the address
#   scripts/ray-cluster.sh status    the nodes Ray sees
#   scripts/ray-cluster.sh down      ray stop --force and cleanup; always succeeds
#   scripts/ray-cluster.sh jar       path of ray_dist.jar (the Java runtime of the same version)
#   scripts/ray-cluster.sh env       the JVM flags a Java driver needs, one per line
#   scripts/ray-cluster.sh test      install + up + queue-ray's cluster tests + down (even on failure)
#   scripts/ray-cluster.sh verify    queue-ray's cluster tests against the running cluster (no up/down)
#   scripts/ray-cluster.sh run-bench the benchmark against the running cluster (no up/down)
#   scripts/ray-cluster.sh bench     install + up + the benchmark harness + down
#                                    (results JSON: --results FILE, for docs/benchmarks.md's section "ray")
#   scripts/ray-cluster.sh faults [--trials N] [--actor-only]
#                                    install + up + the long fault loop (default 50 trials; the queue's
#                                    actor killed, or every third trial its node) + down
#   scripts/ray-cluster.sh soak [--seconds N] [--interval N] [--producers N] [--consumers N]
#                                    install + up + the soak (default 600 s: scripts/soak.sh's mixed
#                                    workload on a ray queue on the second node; items/s, heap after GC
#                                    and RSS over time, lost/duplicated, memory verdict) + down
#   scripts/ray-cluster.sh run-soak [...] the soak against the running cluster (no up/down)
#
# Settings (environment): RAY_VENV (default <repo>/.venv-ray), RAY_VERSION (2.58.0),
# RAY_PORT (GCS port of the head, 6390), RAY_TEMP_DIR (/tmp/ray-conduit),
# RAY_OBJECT_STORE_BYTES (per node, 200000000), RAY_NODE_CPUS (logical CPUs per node, 4),
# RAY_WORKER_XMX (heap of each Java worker JVM, 256m).
#
# Node resources tests target: the head has {"conduit_node_a": 1000}, the second node
# {"conduit_node_b": 1000}.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
RAY_VENV=${RAY_VENV:-$REPO/.venv-ray}
RAY_VERSION=${RAY_VERSION:-2.58.0}
RAY_PORT=${RAY_PORT:-6390}
RAY_TEMP_DIR=${RAY_TEMP_DIR:-/tmp/ray-conduit}
RAY_OBJECT_STORE_BYTES=${RAY_OBJECT_STORE_BYTES:-200000000}
RAY_NODE_CPUS=${RAY_NODE_CPUS:-4}
RAY_WORKER_XMX=${RAY_WORKER_XMX:-256m}
ADDRESS=127.0.0.1:$RAY_PORT
RAY=$RAY_VENV/bin/ray
PY=$RAY_VENV/bin/python

log() { printf '[ray-cluster] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

installed() {
  [ -x "$RAY" ] && [ "$("$PY" -c 'import ray; print(ray.__version__)' 2>/dev/null)" = "$RAY_VERSION" ]
}

cmd_install() {
  if installed; then
    log "ray $RAY_VERSION already installed in $RAY_VENV"
    return 0
  fi
  command -v python3 >/dev/null || die "python3 is not installed"
  local t0=$SECONDS
  if [ ! -x "$PY" ]; then
    log "creating virtualenv $RAY_VENV"
    python3 -m venv "$RAY_VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  fi
  log "pip install ray==$RAY_VERSION (a few minutes)"
  "$RAY_VENV/bin/pip" install -q --disable-pip-version-check "ray==$RAY_VERSION" \
    || die "pip install ray==$RAY_VERSION failed (see pip's output above)"
  installed || die "ray $RAY_VERSION is not importable from $RAY_VENV after pip install"
  log "installed ray $RAY_VERSION in $((SECONDS - t0)) s"
}

cmd_jar() {
  installed || die "ray is not installed; run: $0 install"
  local jar
  jar=$("$PY" -c 'import os, ray; print(os.path.join(os.path.dirname(ray.__file__), "jars", "ray_dist.jar"))')
  [ -f "$jar" ] || die "the ray wheel has no $jar"
  printf '%s\n' "$jar"
}

# Opens Ray's Java serializer needs, in the driver and in every worker JVM.
OPENS=(java.base/java.lang java.base/java.math java.base/java.util java.base/java.util.concurrent
       java.base/java.net java.base/java.text java.base/java.nio java.base/sun.nio.ch)

# The JVM flags of a driver, one per line. $1: the code search path (the classes and jars every
# worker JVM loads user code from; ':'-separated); "-" leaves that flag out (queue-ray's -Pray
# profile adds its own, with its dependencies). Default: queue-ray's classes and test classes.
cmd_env() {
  local search=${1:-$REPO/queue-ray/target/classes:$REPO/queue-ray/target/test-classes}
  local i=0 o
  for o in "${OPENS[@]}"; do
    printf -- '--add-opens=%s=ALL-UNNAMED\n' "$o"
  done
  printf -- '-Dray.address=%s\n' "$ADDRESS"
  if [ "$search" != - ]; then
    printf -- '-Dray.job.code-search-path=%s\n' "$search"
  fi
  for o in "${OPENS[@]}"; do
    printf -- '-Dray.job.jvm-options.%d=--add-opens=%s=ALL-UNNAMED\n' "$i" "$o"
    i=$((i + 1))
  done
  printf -- '-Dray.job.jvm-options.%d=-Xmx%s\n' "$i" "$RAY_WORKER_XMX"
}

# Whether a cluster answers at $ADDRESS. The port check first: `ray status` against a GCS that is
# not there retries for about 40 s before it gives up.
gcs_up() {
  (exec 3<>"/dev/tcp/127.0.0.1/$RAY_PORT") 2>/dev/null || return 1
  "$RAY" status --address "$ADDRESS" >/dev/null 2>&1
}

wait_for_nodes() {
  local want=$1 deadline=$((SECONDS + 90)) n=0
  while [ $SECONDS -lt $deadline ]; do
    n=$("$RAY" status --address "$ADDRESS" 2>/dev/null | grep -c '^ *1 node_' || true)
    if [ "$n" -ge "$want" ]; then
      return 0
    fi
    sleep 1
  done
  die "only $n of $want nodes came up within 90 s; logs: $RAY_TEMP_DIR/session_latest/logs"
}

cmd_up() {
  installed || cmd_install
  export PATH=$RAY_VENV/bin:$PATH RAY_USAGE_STATS_ENABLED=0
  local t0=$SECONDS
  if gcs_up; then
    log "a cluster already answers at $ADDRESS"
  else
    log "starting the head node (GCS $ADDRESS)"
    "$RAY" start --head --node-ip-address=127.0.0.1 --port="$RAY_PORT" \
      --temp-dir="$RAY_TEMP_DIR" --include-dashboard=false --disable-usage-stats \
      --num-cpus="$RAY_NODE_CPUS" --num-gpus=0 --object-store-memory="$RAY_OBJECT_STORE_BYTES" \
      --resources='{"conduit_node_a": 1000}' \
      --node-manager-port=6391 --object-manager-port=6392 --runtime-env-agent-port=6393 \
      --dashboard-agent-grpc-port=6394 --dashboard-agent-listen-port=6395 --metrics-export-port=6396 \
      --min-worker-port=20000 --max-worker-port=20999 >"$RAY_TEMP_DIR.head.log" 2>&1 \
      || { cat "$RAY_TEMP_DIR.head.log" >&2; die "ray start --head failed"; }
    log "head node started after $((SECONDS - t0)) s"
  fi
  if ! "$RAY" status --address "$ADDRESS" 2>/dev/null | grep -q conduit_node_b; then
    log "starting the second node"
    "$RAY" start --address="$ADDRESS" --node-ip-address=127.0.0.1 \
      --num-cpus="$RAY_NODE_CPUS" --num-gpus=0 --object-store-memory="$RAY_OBJECT_STORE_BYTES" \
      --resources='{"conduit_node_b": 1000}' \
      --node-manager-port=6401 --object-manager-port=6402 --runtime-env-agent-port=6403 \
      --dashboard-agent-grpc-port=6404 --dashboard-agent-listen-port=6405 --metrics-export-port=6406 \
      --min-worker-port=21000 --max-worker-port=21999 >"$RAY_TEMP_DIR.node-b.log" 2>&1 \
      || { cat "$RAY_TEMP_DIR.node-b.log" >&2; die "ray start --address $ADDRESS failed"; }
    log "second node started after $((SECONDS - t0)) s"
  fi
  wait_for_nodes 2
  log "cluster of 2 nodes up in $((SECONDS - t0)) s"
  printf '%s\n' "$ADDRESS"
}

cmd_status() {
  installed || die "ray is not installed; run: $0 install"
  "$RAY" status --address "$ADDRESS"
}

cmd_down() {
  if [ -x "$RAY" ]; then
    "$RAY" stop --force >/dev/null 2>&1 || true
  fi
  # Java workers of a dead raylet exit on their own; remove the session files and native copies.
  rm -rf "$RAY_TEMP_DIR" "$RAY_TEMP_DIR".*.log 2>/dev/null || true
  log "cluster stopped"
  return 0
}

# Runs Maven on queue-ray with the -Pray profile: the wheel's ray_dist.jar on the test class path,
# the driver flags in the surefire argLine, the cluster address for the tests.
run_maven_in_cluster() {
  local goals=$1; shift
  local jar flags
  jar=$(cmd_jar)
  flags=$(cmd_env - | tr '\n' ' ')
  # shellcheck disable=SC2086
  (cd "$REPO" && PATH=$RAY_VENV/bin:$PATH mvn -B -ntp -pl queue-ray -Pray $goals \
     -Dray.dist.jar="$jar" -Dray.jvm.flags="$flags" -Dconduit.ray.address="$ADDRESS" \
     -Dconduit.ray.bin="$RAY_VENV/bin" "$@")
}

cmd_test() {
  local t0=$SECONDS
  cmd_install
  trap cmd_down EXIT
  cmd_up >/dev/null
  log "cluster ready after $((SECONDS - t0)) s; running queue-ray's cluster tests"
  run_maven_in_cluster verify "$@"
  log "ray tests passed; total $((SECONDS - t0)) s"
}

# The benchmark's Maven goals; --results FILE makes the harness write its results JSON there.
run_bench() {
  local via=$1 args=() results=""
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --results) results=$(realpath -m "$2"); shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  # The harness names the command in its results: scripts/ray-cluster.sh <via> --results <file>.
  local jvm="-Dconduit.bench.via=$via"
  if [ -n "$results" ]; then
    jvm="$jvm -Dconduit.bench.results=$results"
  fi
  run_maven_in_cluster "process-test-classes exec:exec@ray-bench" "-Dconduit.bench.jvm=$jvm" "${args[@]}"
}

cmd_bench() {
  cmd_install
  trap cmd_down EXIT
  cmd_up >/dev/null
  run_bench bench "$@"
}

# The fault loop of issue #6, long: N trials (default 50) of killing a queue's actor during traffic,
# every third trial the node hosting it; prints trials=.. faults=.. lost=.. duplicated=.. at the end.
# The test JVM's ceiling grows with N: surefire's 900 s would cut off a long loop (a trial takes 10-60 s).
cmd_faults() {
  local trials=50 nodes=true args=()
  while [ $# -gt 0 ]; do
    case $1 in
      --trials) trials=$2; shift 2 ;;
      --actor-only) nodes=false; shift ;;
      *) args+=("$1"); shift ;;
    esac
  done
  local t0=$SECONDS
  cmd_install
  trap cmd_down EXIT
  cmd_up >/dev/null
  run_maven_in_cluster verify -Dtest=QueueFaultLoopTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dconduit.ray.faults.trials="$trials" -Dconduit.ray.faults.nodes="$nodes" \
    -Dconduit.ray.fork.timeout.seconds=$((600 + trials * 150)) "${args[@]}"
  log "fault loop of $trials trials passed in $((SECONDS - t0)) s"
}

# The soak (issue: reliability), RaySoak on the cluster: --seconds N (default 600), --interval N (10),
# --producers N (2), --consumers N (2), as system properties of its JVM.
run_soak() {
  local jvm="" args=()
  while [ $# -gt 0 ]; do
    case $1 in
      --seconds) jvm="$jvm -Dconduit.soak.seconds=$2"; shift 2 ;;
      --interval) jvm="$jvm -Dconduit.soak.interval=$2"; shift 2 ;;
      --producers) jvm="$jvm -Dconduit.soak.producers=$2"; shift 2 ;;
      --consumers) jvm="$jvm -Dconduit.soak.consumers=$2"; shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  run_maven_in_cluster "process-test-classes exec:exec@ray-soak" "-Dconduit.soak.jvm=$jvm" "${args[@]}"
}

cmd_soak() {
  local t0=$SECONDS
  cmd_install
  trap cmd_down EXIT
  cmd_up >/dev/null
  run_soak "$@"
  log "soak passed; total $((SECONDS - t0)) s"
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  jar) cmd_jar ;;
  env) shift; cmd_env "${1:-}" ;;
  test) shift; cmd_test "$@" ;;
  run-bench) shift; gcs_up || die "no cluster at $ADDRESS; run: $0 up"; run_bench run-bench "$@" ;;
  verify) shift; gcs_up || die "no cluster at $ADDRESS; run: $0 up"; run_maven_in_cluster verify "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  faults) shift; cmd_faults "$@" ;;
  soak) shift; cmd_soak "$@" ;;
  run-soak) shift; gcs_up || die "no cluster at $ADDRESS; run: $0 up"; run_soak "$@" ;;
  *) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

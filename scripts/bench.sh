#!/usr/bin/env bash
# Runs every benchmark that needs no cluster, one after the other, and rewrites their sections of
# docs/benchmarks.md and their charts (docs/img/):
#   - the in-JVM suite (JMH, dev.conduit.queue.bench.BenchmarkReport): section "inproc";
#   - the shm multi-process harness (dev.conduit.queue.bench.ShmBench): section "shm";
#   - the rpc harness, a server and plain grpc-java on loopback (dev.conduit.queue.bench.RpcBench):
#     section "rpc".
#
#   scripts/bench.sh                 all three, full size: about 25 minutes + a few for shm + a few for rpc
#   scripts/bench.sh --quick         all three, smoke size for CI: about 2 + 2 minutes + under one
#   scripts/bench.sh --inproc ...    the in-JVM suite only
#   scripts/bench.sh --shm ...       shm only;  scripts/bench.sh --rpc ...  rpc only
#
# --quick, --docs DIR and --no-docs go to every harness; any other option goes to BenchmarkReport
# (--help lists them) and then only the in-JVM suite runs. Each harness also writes its figures as a
# results file in target/bench-results/ (NAME.json; format: docs/benchmarks.md, "How this page is made").
# The in-JVM suite runs in rounds of one fork per benchmark (--rounds N, default 5), the contenders of
# a scenario back to back, and judges each target on the median of its per-round paired ratios: this
# VM's cache-line floor moves by 5x within minutes, and forks minutes apart were not comparable. A
# target with fewer than 3 rounds measured in one host state then gets up to 3 repair rounds of its
# two forks (--repairs N).
#
# The ray harness needs a Ray cluster and runs from its own module (see docs/benchmarks.md); it
# writes a results file with -Dconduit.bench.results=FILE, which goes into the page with:
#   java -jar queue-cli/target/conduit.jar bench --results FILE
# CONDUIT_BENCH_PROJECTS chooses what Maven builds first; the default builds queue-tests and the
# modules it needs, from a fresh clone. "-pl queue-tests" builds only the benchmarks, against
# modules already installed in the local repository.
set -euo pipefail
cd "$(dirname "$0")/.."

run_inproc=true
run_shm=true
run_rpc=true
section=""
case "${1:-}" in
    --inproc) section="$1"; run_shm=false; run_rpc=false; shift ;;
    --shm) section="$1"; run_inproc=false; run_rpc=false; shift ;;
    --rpc) section="$1"; run_inproc=false; run_shm=false; shift ;;
esac
harness_args=()  # what ShmBench and RpcBench take
for arg in "$@"; do
    case "$arg" in
        --quick|--no-docs) harness_args+=("$arg") ;;
        --docs) ;;
        *)
            if [[ "${previous:-}" == "--docs" ]]; then
                harness_args+=(--docs "$arg")
            elif [[ "$section" == --shm || "$section" == --rpc ]]; then
                echo "bench.sh: $section takes --quick, --docs DIR and --no-docs, not '$arg'" >&2
                exit 2
            else
                run_shm=false  # a JMH option (--include, --param, ...): a run of the in-JVM suite only
                run_rpc=false
            fi
            ;;
    esac
    previous="$arg"
done

projects="${CONDUIT_BENCH_PROJECTS:--pl queue-tests -am}"
# shellcheck disable=SC2086  # $projects is a list of Maven options
mvn -B -q $projects -Dmaven.test.skip=true package dependency:build-classpath \
    -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=runtime

# JMH forks a JVM per benchmark from this class path for several minutes: run from a private copy,
# so that a rebuild of the tree meanwhile cannot change classes under a running benchmark.
workdir="$(mktemp -d "${TMPDIR:-/tmp}/conduit-bench.XXXXXX")"
trap 'rm -rf "$workdir"' EXIT
cp -r queue-tests/target/classes "$workdir/classes"
classpath="$workdir/classes"
i=0
IFS=: read -r -a entries < queue-tests/target/bench.classpath || true  # no newline at its end
for entry in "${entries[@]}"; do
    i=$((i + 1))
    if [[ -d "$entry" ]]; then
        cp -r "$entry" "$workdir/dep$i"
    else
        cp "$entry" "$workdir/dep$i.jar"
    fi
    classpath="$classpath:$workdir/dep$i$([[ -d "$entry" ]] || echo .jar)"
done

results="$PWD/target/bench-results"
mkdir -p "$results"
command="scripts/bench.sh${section:+ $section}${*:+ $*}"
status=0
if $run_inproc; then
    java -Djava.awt.headless=true -Dconduit.bench.command="$command" \
        -Dconduit.bench.results="$results/inproc.json" -cp "$classpath" \
        dev.conduit.queue.bench.BenchmarkReport --json queue-tests/target/jmh-result.json "$@" || status=$?
fi
if $run_shm; then
    java -Djava.awt.headless=true \
        -Dconduit.bench.command="scripts/bench.sh --shm${harness_args[*]:+ ${harness_args[*]}}" \
        -Dconduit.bench.results="$results/shm.json" -cp "$classpath" \
        dev.conduit.queue.bench.ShmBench ${harness_args[@]+"${harness_args[@]}"} || status=$?
fi
if $run_rpc; then
    java -Djava.awt.headless=true \
        -Dconduit.bench.command="scripts/bench.sh --rpc${harness_args[*]:+ ${harness_args[*]}}" \
        -Dconduit.bench.results="$results/rpc.json" -cp "$classpath" \
        dev.conduit.queue.bench.RpcBench ${harness_args[@]+"${harness_args[@]}"} || status=$?
fi
exit "$status"

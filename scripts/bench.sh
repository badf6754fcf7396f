#!/usr/bin/env bash
# Runs every benchmark that needs no server or cluster, and rewrites their sections of
# docs/benchmarks.md and their charts (docs/img/):
#   - the in-JVM suite (JMH, dev.conduit.queue.bench.BenchmarkReport): section "inproc";
#   - the shm multi-process harness (dev.conduit.queue.bench.ShmBench): section "shm".
#
#   scripts/bench.sh                 both, full size: about 12 minutes + a few for shm
#   scripts/bench.sh --quick         both, smoke size for CI: about 2 + 2 minutes
#   scripts/bench.sh --inproc ...    the in-JVM suite only;  scripts/bench.sh --shm ...  shm only
#
# --quick, --docs DIR and --no-docs go to both harnesses; any other option goes to BenchmarkReport
# (--help lists them) and then the shm harness is not run. Each harness also writes its figures as a
# results file in target/bench-results/ (NAME.json; format: docs/benchmarks.md, "How this page is made").
#
# The rpc and ray harnesses need a server or a Ray cluster and run from their own modules (see
# docs/benchmarks.md); they write a results file with -Dconduit.bench.results=FILE, which goes into
# the page with:  java -jar queue-cli/target/conduit.jar bench --results FILE
# CONDUIT_BENCH_PROJECTS chooses what Maven builds first; the default builds queue-tests and the
# modules it needs, from a fresh clone. "-pl queue-tests" builds only the benchmarks, against
# modules already installed in the local repository.
set -euo pipefail
cd "$(dirname "$0")/.."

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

run_inproc=true
run_shm=true
case "${1:-}" in
    --inproc) run_shm=false; shift ;;
    --shm) run_inproc=false; shift ;;
esac
shm_args=()
for arg in "$@"; do
    case "$arg" in
        --quick|--no-docs) shm_args+=("$arg") ;;
        --docs) ;;
        *)
            if [[ "${previous:-}" == "--docs" ]]; then
                shm_args+=(--docs "$arg")
            else
                run_shm=false  # a JMH option (--include, --param, ...): a run of the in-JVM suite only
            fi
            ;;
    esac
    previous="$arg"
done

results="$PWD/target/bench-results"
mkdir -p "$results"
command="scripts/bench.sh${*:+ $*}"
status=0
if $run_inproc; then
    java -Djava.awt.headless=true -Dconduit.bench.command="$command" \
        -Dconduit.bench.results="$results/inproc.json" -cp "$classpath" \
        dev.conduit.queue.bench.BenchmarkReport --json queue-tests/target/jmh-result.json "$@" || status=$?
fi
if $run_shm; then
    java -Djava.awt.headless=true -Dconduit.bench.command="scripts/bench.sh --shm${shm_args[*]:+ ${shm_args[*]}}" \
        -Dconduit.bench.results="$results/shm.json" -cp "$classpath" \
        dev.conduit.queue.bench.ShmBench ${shm_args[@]+"${shm_args[@]}"} || status=$?
fi
exit "$status"

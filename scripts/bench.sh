#!/usr/bin/env bash
# Runs the in-JVM benchmark suite (JMH, queue-tests) and rewrites docs/benchmarks.md and its charts.
#
#   scripts/bench.sh            full run, about 12 minutes
#   scripts/bench.sh --quick    smoke run for CI, under 2 minutes
#
# Any other option goes to dev.conduit.queue.bench.BenchmarkReport (--help lists them).
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

command="scripts/bench.sh${*:+ $*}"
java -Djava.awt.headless=true -Dconduit.bench.command="$command" -cp "$classpath" \
    dev.conduit.queue.bench.BenchmarkReport --json queue-tests/target/jmh-result.json "$@"

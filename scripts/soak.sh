#!/usr/bin/env bash
# The soak run (issue: reliability): every backend for 10 minutes under a mixed workload, with
# throughput, heap after GC and RSS over time, and a pass/fail verdict on loss and flat memory.
#
#   bash scripts/soak.sh                          10 minutes per backend: local, priority, shm, rpc
#   bash scripts/soak.sh --seconds 60 --interval 5 --backends local,shm
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -DskipTests install -pl queue-reliability -am >/dev/null
cp_file=$(mktemp)
mvn -B -q -ntp -pl queue-reliability dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
exec java -Xmx512m -cp "queue-reliability/target/classes:$(cat "$cp_file")" \
  dev.conduit.queue.reliability.SoakRunner "$@"

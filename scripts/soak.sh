#!/usr/bin/env bash
# The soak run (issue: reliability): every backend for 10 minutes under a mixed workload, with
# throughput, heap after GC and RSS over time, and a pass/fail verdict on loss and flat memory.
#
#   bash scripts/soak.sh                          10 minutes per backend: local, priority, shm, rpc
#   bash scripts/soak.sh --seconds 60 --interval 5 --backends local,shm
#   RELIABILITY_BUILD=0 bash scripts/soak.sh ...  use the modules already installed in ~/.m2 (no rebuild)
set -euo pipefail
exec bash "$(dirname "$0")/reliability-run.sh" dev.conduit.queue.reliability.SoakRunner "$@"

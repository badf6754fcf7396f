#!/usr/bin/env bash
# The fault loops (issue: reliability), each printing one line
#   loop=.. trials=.. faults=.. lost=.. duplicated=.. acknowledged=.. ... guarantee=held|BROKEN
# and exiting non-zero when the backend's documented guarantee was broken.
#
#   bash scripts/faults.sh shm --trials 100             kill -9 of shm producer and consumer processes
#   bash scripts/faults.sh rpc --trials 100             kill -9 and restart of the rpc server, durable queue
#   bash scripts/faults.sh rpc-in-memory --trials 100   the same with an in-memory queue
#   options: --seed S (replay a run), --dir D (keep the logs); RELIABILITY_BUILD=0: no rebuild
set -euo pipefail
here=$(dirname "$0")
loop=${1:-}
[ $# -gt 0 ] && shift
case "$loop" in
  shm) exec bash "$here/reliability-run.sh" dev.conduit.queue.reliability.ShmFaultLoop "$@" ;;
  rpc) exec bash "$here/reliability-run.sh" dev.conduit.queue.reliability.RpcFaultLoop "$@" ;;
  rpc-in-memory) exec bash "$here/reliability-run.sh" dev.conduit.queue.reliability.RpcFaultLoop --in-memory "$@" ;;
  *) echo "usage: $0 shm|rpc|rpc-in-memory [--trials N] [--seed S] [--dir D]" >&2; exit 2 ;;
esac

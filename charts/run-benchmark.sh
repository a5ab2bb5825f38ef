#!/bin/sh
# Run the scheduled benchmark now (the Tilt UI's "benchmark" button runs this): a Job from the CronJob, unless a
# benchmark is already running. A Job made from a CronJob is not counted by its concurrencyPolicy: Forbid, so this
# checks the pods of every benchmark (scheduled, manual or one-off) first. One benchmark at a time: two would
# share the services' and the load node's CPUs, and each would measure the other.
#   CONTEXT=kind-observatory NAMESPACE=default [JOB=name] sh charts/run-benchmark.sh
set -eu
context="${CONTEXT:-kind-observatory}"
namespace="${NAMESPACE:-default}"
cronjob="${CRONJOB:-observatory-load-scheduled}"
k() { kubectl --context "$context" --namespace "$namespace" "$@"; }

running="$(k get pods -l observatory.dev/benchmark=scheduled \
  --field-selector=status.phase!=Succeeded,status.phase!=Failed \
  -o jsonpath='{range .items[*]}{.metadata.labels.job-name}{" "}{end}')" \
  || { echo "benchmark: cannot list the benchmark pods in $context/$namespace (is the cluster up?)" >&2; exit 1; }
if [ -n "$running" ]; then
  echo "benchmark: job $running is running already; one benchmark at a time: wait for it, or stop it with" >&2
  echo "  kubectl --context $context --namespace $namespace delete job $running" >&2
  exit 1
fi
job="${JOB:-observatory-load-manual-$(date +%s)}"
k create job --from="cronjob/$cronjob" "$job"
echo "benchmark: $job started; follow it with"
echo "  kubectl --context $context get pod -l job-name=$job -w          # which step (init container) runs"
echo "  kubectl --context $context logs -f job/$job --all-containers --prefix"

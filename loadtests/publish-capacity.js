// Publishes capacities as k6 gauges, so that remote write puts them in Prometheus for the trends dashboard.
//
// Two inputs, one output (observatory_capacity_rps, observatory_capacity_p99_seconds and the counts
// observatory_capacity_replicas and observatory_capacity_workers, tagged run, framework, profile, workload, workers and
// replicas; a local run is one replica):
// - local runs: CAPACITY_JSON, [{"framework", "profile", "workload", "workers", "capacity_rps", "p99_seconds"}, ...],
//   the capacities `observatory run` judged; RUN_ID: the run.
// - the cluster's scheduled benchmark, after each ladder: SUMMARIES, the comma-separated paths of the ladder's k6
//   summaries (loadtests/lib/summary.js), and REPLICAS, the service's replica count during the ladder. The capacity
//   is the highest constant rate whose thresholds (the SLO, no dropped iteration, checks) all passed, by k6's own
//   verdict in each summary; `observatory import-k6` re-judges the same summaries with local mode's rules and is the
//   reference. REPLICAS also goes into each summary's `observatory` block (the file is rewritten in place), so
//   `import-k6` knows the scaling unit, with HOST_CPUS (the CPUs the pod saw: the report says what bounds the curve). A summary that is missing (k6 crashed before writing it) is reported and
//   skipped.
import { Gauge } from 'k6/metrics';

const capacity = new Gauge('observatory_capacity_rps');
const p99 = new Gauge('observatory_capacity_p99_seconds');
// the counts as values too (PromQL cannot divide by a label): capacity per replica or worker, scaling efficiency
const replicaCount = new Gauge('observatory_capacity_replicas');
const workerCount = new Gauge('observatory_capacity_workers');
const run = __ENV.RUN_ID || 'unknown';
const replicas = __ENV.REPLICAS ? Number(__ENV.REPLICAS) : null;
const hostCpus = Number(__ENV.HOST_CPUS || 0) > 0 ? Number(__ENV.HOST_CPUS) : null;
if (replicas !== null && !(Number.isInteger(replicas) && replicas >= 1)) {
  throw new Error(`REPLICAS must be a whole number of at least 1, not ${JSON.stringify(__ENV.REPLICAS)}`);
}

// open() works only here, in the init context.
const paths = (__ENV.SUMMARIES || '').split(',').map((path) => path.trim()).filter(Boolean);
const summaries = [];
const missing = [];
for (const path of paths) {
  let data;
  try {
    data = JSON.parse(open(path));
  } catch (error) {
    missing.push(`${path} (${String(error).split('\n')[0]})`);
    continue;
  }
  if (data && typeof data.observatory === 'object' && data.metrics) {
    summaries.push({ path, data });
  } else {
    missing.push(`${path} (not a benchmark summary)`);
  }
}

// k6's verdict on one run: every threshold of every metric passed.
function passed(data) {
  return Object.values(data.metrics).every((metric) =>
    Object.values(metric.thresholds || {}).every((threshold) => threshold.ok === true));
}

function p99Seconds(data) {
  const asked = data.observatory;
  // the measured window's sub-metric (after a warm-up: phase:measured), as loadtests/lib/summary.js names it
  const duration = (asked.measured && data.metrics[`http_req_duration{${asked.measured}}`])
    || data.metrics[`http_req_duration{scenario:${asked.scenario}}`] || data.metrics.http_req_duration;
  const value = duration && duration.values ? duration.values['p(99)'] : undefined;
  return value === undefined || value === null ? null : value / 1000;
}

// The capacities of the ladders in SUMMARIES: per configuration, the highest constant rate that passed.
function fromSummaries(items, replicasDuring) {
  const byKey = new Map();
  for (const { data } of items) {
    const asked = data.observatory;
    if (asked.scenario !== 'constant' || asked.rate === null || asked.rate === undefined) {
      continue;
    }
    const row = {
      framework: asked.framework,
      profile: asked.profile,
      workload: asked.workload,
      workers: asked.workers || 1,
      replicas: replicasDuring,
      tried: [],
      capacity_rps: null,
      p99_seconds: null,
    };
    const key = [row.framework, row.profile, row.workload, row.workers].join('/');
    const current = byKey.get(key) || row;
    const rate = Number(asked.rate);
    current.tried.push(rate);
    if (passed(data) && (current.capacity_rps === null || rate > current.capacity_rps)) {
      current.capacity_rps = rate;
      current.p99_seconds = p99Seconds(data);
    }
    byKey.set(key, current);
  }
  return [...byKey.values()];
}

const rows = paths.length ? fromSummaries(summaries, replicas) : JSON.parse(__ENV.CAPACITY_JSON || '[]');

export const options = { iterations: 1, vus: 1, summaryTrendStats: [] };

export default function () {
  for (const row of rows) {
    if (row.capacity_rps === null || row.capacity_rps === undefined) {
      continue;
    }
    const tags = { run, framework: row.framework, profile: row.profile, workload: row.workload, workers: String(row.workers) };
    // one label set for local and cluster runs: a local run is one replica
    const replicasHere = row.replicas !== null && row.replicas !== undefined ? Number(row.replicas) : 1;
    tags.replicas = String(replicasHere);
    capacity.add(row.capacity_rps, tags);
    replicaCount.add(replicasHere, tags);
    workerCount.add(Number(row.workers), tags);
    if (row.p99_seconds !== null && row.p99_seconds !== undefined) {
      p99.add(row.p99_seconds, tags);
    }
  }
}

function describe(row) {
  const at = row.replicas ? ` at ${row.replicas} replica(s)` : '';
  const name = `${row.framework}/${row.profile} ${row.workload}${at}`;
  if (row.capacity_rps === null || row.capacity_rps === undefined) {
    return `${name}: no rate met the SLO${row.tried ? ` (tried ${row.tried.join(', ')} req/s)` : ''}`;
  }
  const bound = row.tried && row.capacity_rps >= Math.max(...row.tried) ? '≥ ' : '';
  return `${name}: capacity ${bound}${row.capacity_rps} req/s`;
}

export function handleSummary() {
  const published = rows.filter((row) => row.capacity_rps !== null && row.capacity_rps !== undefined).length;
  const lines = [`published ${published} capacities for run ${run}`, ...rows.map(describe)];
  for (const entry of missing) {
    lines.push(`missing summary: ${entry}`);
  }
  const out = { stdout: `${lines.join('\n')}\n` };
  if (replicas !== null) {
    // HOST_CPUS: the CPUs the publish step's pod saw (nproc); on kind, every node's, since all share the host's
    const extra = hostCpus ? { replicas, hostCpus } : { replicas };
    for (const { path, data } of summaries) {
      out[path] = JSON.stringify({ ...data, observatory: { ...data.observatory, ...extra } }, null, 2);
    }
  }
  return out;
}

// Publishes a run's capacities as k6 gauges, so that remote write puts them in Prometheus for the trends dashboard.
// CAPACITY_JSON: [{"framework", "profile", "workload", "workers", "capacity_rps", "p99_seconds"}, ...]; RUN_ID: the run.
import { Gauge } from 'k6/metrics';

const capacity = new Gauge('observatory_capacity_rps');
const p99 = new Gauge('observatory_capacity_p99_seconds');
const rows = JSON.parse(__ENV.CAPACITY_JSON || '[]');
const run = __ENV.RUN_ID || 'unknown';

export const options = { iterations: 1, vus: 1, summaryTrendStats: [] };

export default function () {
  for (const row of rows) {
    const tags = { run, framework: row.framework, profile: row.profile, workload: row.workload, workers: String(row.workers) };
    capacity.add(row.capacity_rps, tags);
    if (row.p99_seconds !== null && row.p99_seconds !== undefined) {
      p99.add(row.p99_seconds, tags);
    }
  }
}

export function handleSummary() {
  return { stdout: `published ${rows.length} capacities for run ${run}\n` };
}

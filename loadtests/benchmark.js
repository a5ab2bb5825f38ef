// The benchmark: one workload of the contract under one load shape, the same script locally and in the cluster.
// Every setting comes from the environment (see README.md); results go to the summary JSON and, with
// `-o experimental-prometheus-rw`, to Prometheus, tagged with testid, framework, profile and workload.
import http from 'k6/http';
import { config } from './lib/config.js';
import { isOpenModel, scenario } from './lib/scenarios.js';
import { summary } from './lib/summary.js';
import { workloads } from './lib/workloads.js';

// Thresholds on the scenario's sub-metrics, so that setup()'s readiness request is not measured.
const measured = `{scenario:${config.scenario}}`;
const thresholds = {
  [`http_req_failed${measured}`]: [`rate<=${config.sloErrorRate}`],
  [`http_req_duration${measured}`]: [`p(99)<${config.sloP99Ms}`],
  [`http_reqs${measured}`]: ['count>0'],
  checks: ['rate>0.99'],
};
if (isOpenModel(config)) {
  thresholds.dropped_iterations = ['count==0'];
}

export const options = {
  scenarios: { [config.scenario]: scenario(config) },
  thresholds,
  tags: { testid: config.testid, run: config.run, framework: config.framework, profile: config.profile, workload: config.workload },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'count'],
  discardResponseBodies: false,
  noConnectionReuse: false,
  setupTimeout: '30s',
};

export function setup() {
  // Fail fast, with one line, when the target is not ready; untracked so it stays out of the measurements.
  const response = http.get(`${config.baseUrl}/health/ready`, { tags: { phase: 'setup' }, responseCallback: http.expectedStatuses(200) });
  if (response.status !== 200) {
    throw new Error(`${config.baseUrl}/health/ready answered ${response.status || response.error}: the service is not ready`);
  }
}

export function run() {
  workloads[config.workload](config);
}

export const handleSummary = summary(config);

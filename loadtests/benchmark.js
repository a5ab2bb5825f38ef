// The benchmark: one workload of the contract under one load shape, the same script locally and in the cluster.
// Every setting comes from the environment (see README.md); results go to the summary JSON and, with
// `-o experimental-prometheus-rw`, to Prometheus, tagged with testid, framework, profile and workload.
import http from 'k6/http';
import { config } from './lib/config.js';
import { hasWarmup, isOpenModel, scenarios, WARMUP_SCENARIO } from './lib/scenarios.js';
import { summary } from './lib/summary.js';
import { perform, warm as warmRequest } from './lib/workloads.js';

// Thresholds on the measured scenario's sub-metrics: setup()'s readiness request and the warm-up stay out.
const measured = `{scenario:${config.scenario}}`;
const thresholds = {
  [`http_req_failed${measured}`]: [`rate<=${config.sloErrorRate}`],
  [`http_req_duration${measured}`]: [`p(99)<${config.sloP99Ms}`],
  [`http_reqs${measured}`]: ['count>0'],
};
if (config.checks !== 'none') {
  thresholds[`checks${measured}`] = ['rate>0.99'];
}
if (isOpenModel(config)) {
  thresholds[`dropped_iterations${measured}`] = ['count==0'];
}
if (hasWarmup(config)) {
  // Listed (never failing) so the summary reports the warm-up's requests apart: the service counts them too.
  const warmup = `{scenario:${WARMUP_SCENARIO}}`;
  thresholds[`http_reqs${warmup}`] = ['count>=0'];
  thresholds[`dropped_iterations${warmup}`] = ['count>=0'];
}

export const options = {
  scenarios: scenarios(config),
  thresholds,
  tags: { testid: config.testid, run: config.run, framework: config.framework, profile: config.profile, workload: config.workload },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'count'],
  // Bodies are kept only when a check reads them.
  discardResponseBodies: config.checks !== 'body',
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

export const run = perform(config);
export const warm = warmRequest(config);

export const handleSummary = summary(config);

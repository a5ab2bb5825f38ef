// The benchmark: one workload of the contract under one load shape, the same script locally and in the cluster.
// Every setting comes from the environment (see README.md); results go to the summary JSON and, with
// `-o experimental-prometheus-rw`, to Prometheus, tagged with testid, framework, profile and workload.
import http from 'k6/http';
import { config } from './lib/config.js';
import exec from 'k6/execution';
import { hasWarmup, isOpenModel, scenarios, warmupMs } from './lib/scenarios.js';
import { summary } from './lib/summary.js';
import { expectedStatus, perform, warm as warmRequest } from './lib/workload_requests.js';

// Thresholds on the measured window's sub-metrics, so setup()'s readiness request and the warm-up stay out: the
// scenario's, or with a warm-up its `phase:measured` samples. The summary reports what thresholds name.
const measured = hasWarmup(config) ? '{phase:measured}' : `{scenario:${config.scenario}}`;
const thresholds = {
  [`http_req_failed${measured}`]: [`rate<=${config.sloErrorRate}`],
  [`http_req_duration${measured}`]: [`p(99)<${config.sloP99Ms}`],
  [`http_reqs${measured}`]: ['count>0'],
  // Listed (never failing) so the summary tells whether the measured window opened connections: after a warm-up
  // over keep-alive connections its max is 0.
  [`http_req_connecting${measured}`]: ['max>=0'],
};
if (config.checks !== 'none') {
  thresholds[`checks${measured}`] = ['rate>0.99'];
}
if (isOpenModel(config)) {
  // Dropped iterations carry no VU tags: these are the whole scenario's, warm-up included (same rate, same VUs).
  thresholds[`dropped_iterations{scenario:${config.scenario}}`] = ['count==0'];
}
if (hasWarmup(config)) {
  // Listed (never failing) so the summary reports the warm-up's requests apart: the service counts them too.
  thresholds['http_reqs{phase:warmup}'] = ['count>=0'];
}

// A response with another status than the workload's is a failed request (http_req_failed), checked or not.
http.setResponseCallback(http.expectedStatuses(expectedStatus(config)));

export const options = {
  scenarios: scenarios(config),
  thresholds,
  tags: { testid: config.testid, run: config.run, framework: config.framework, profile: config.profile, workload: config.workload },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'count'],
  // Bodies are kept only when a check reads them (`sampled` keeps them per request, for the checked ones).
  discardResponseBodies: config.checks === 'status' || config.checks === 'none',
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

const measure = perform(config);
const warm = warmRequest(config);
const warmupFor = warmupMs(config);

// Each iteration is tagged with its phase when it starts: unchecked warm-up, then the measured requests.
export function run() {
  if (warmupFor > 0) {
    const warming = Date.now() < exec.scenario.startTime + warmupFor;
    exec.vu.metrics.tags.phase = warming ? 'warmup' : 'measured';
    if (warming) return warm();
  }
  return measure();
}

export const handleSummary = summary(config);

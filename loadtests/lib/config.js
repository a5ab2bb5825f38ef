// Every setting of the benchmark, read once from the environment, with its default and a clear error.

function text(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

function number(name, fallback, { min = 0, integer = false } = {}) {
  const raw = text(name, undefined);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${raw}"`);
  }
  return value;
}

function duration(name, fallback) {
  const raw = text(name, fallback);
  if (!/^\d+(\.\d+)?(ms|s|m|h)$/.test(raw)) {
    throw new Error(`${name} must be a duration such as 30s or 2m, got "${raw}"`);
  }
  return raw;
}

function oneOf(name, fallback, allowed) {
  const value = text(name, fallback);
  if (!allowed.includes(value)) {
    throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value;
}

export const WORKLOADS = ['json', 'plaintext', 'db', 'queries', 'updates', 'fortunes', 'users-get', 'users-post', 'io', 'cpu'];
export const SCENARIOS = ['smoke', 'constant', 'step', 'sweep'];
// body: status and body of every response (the default); sampled: of one iteration in CHECK_EVERY; status: the
// status only; none: no check() at all.
export const CHECKS = ['body', 'sampled', 'status', 'none'];

export const config = {
  baseUrl: text('BASE_URL', 'http://127.0.0.1:8000').replace(/\/$/, ''),
  workload: oneOf('WORKLOAD', 'json', WORKLOADS),
  scenario: oneOf('SCENARIO', 'smoke', SCENARIOS),
  rate: number('RATE', 100, { min: 1 }),
  duration: duration('DURATION', '30s'),
  warmup: duration('WARMUP', '0s'),
  preVus: number('PRE_VUS', 10, { min: 1, integer: true }),
  maxVus: number('MAX_VUS', 200, { min: 1, integer: true }),
  startRate: number('START_RATE', 50, { min: 1 }),
  stepRate: number('STEP_RATE', 50, { min: 1 }),
  steps: number('STEPS', 5, { min: 1, integer: true }),
  stepDuration: duration('STEP_DURATION', '30s'),
  vus: number('VUS', 16, { min: 1, integer: true }),
  queries: number('QUERIES', 20, { min: 1, integer: true }),
  ioMs: number('IO_MS', 10, { min: 0, integer: true }),
  cpuN: number('CPU_N', 10000, { min: 1, integer: true }),
  sloP99Ms: number('SLO_P99_MS', 100, { min: 0 }),
  sloErrorRate: number('SLO_ERROR_RATE', 0.01, { min: 0 }),
  testid: text('TESTID', `adhoc-${Date.now()}`),
  run: text('RUN_ID', text('TESTID', 'adhoc')),
  framework: text('FRAMEWORK', 'unknown'),
  profile: text('PROFILE', 'unknown'),
  workers: number('WORKERS', 1, { min: 1, integer: true }),
  summaryPath: text('SUMMARY_PATH', 'summary.json'),
  checks: oneOf('CHECKS', 'body', CHECKS),
  checkEvery: number('CHECK_EVERY', 10, { min: 1, integer: true }),
};

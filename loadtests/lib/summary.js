// The end-of-test summary: the whole data as JSON at SUMMARY_PATH, and a few lines on stdout.
import { hasWarmup } from './scenarios.js';

function ms(value) {
  return value === undefined ? 'n/a' : `${value.toFixed(2)} ms`;
}

export function summary(config) {
  return (data) => {
    const m = data.metrics;
    const window = hasWarmup(config) ? 'phase:measured' : `scenario:${config.scenario}`;
    const measured = (name) => m[`${name}{${window}}`] || m[`${name}{scenario:${config.scenario}}`] || m[name];
    const duration = measured('http_req_duration') ? measured('http_req_duration').values : {};
    const requests = measured('http_reqs') ? measured('http_reqs').values.count : 0;
    const failed = measured('http_req_failed') ? measured('http_req_failed').values.rate : 0;
    const dropped = measured('dropped_iterations') ? measured('dropped_iterations').values.count : 0;
    const text =
      `${config.framework}/${config.profile} ${config.workload} (${config.scenario}, testid ${config.testid}): ` +
      `${requests} requests, failed ${(failed * 100).toFixed(2)}%, dropped ${dropped}, ` +
      `p50 ${ms(duration['p(50)'])}, p95 ${ms(duration['p(95)'])}, p99 ${ms(duration['p(99)'])}\n`;
    // What was asked, beside what was measured: `observatory import-k6` rebuilds trials from summaries alone.
    const observatory = {
      testid: config.testid,
      run: config.run,
      framework: config.framework,
      profile: config.profile,
      workload: config.workload,
      workers: config.workers,
      scenario: config.scenario,
      rate: config.scenario === 'constant' ? config.rate : null,
      vus: config.scenario === 'sweep' ? config.vus : null,
      maxVus: config.maxVus,
      duration: config.duration,
      warmup: hasWarmup(config) ? config.warmup : null,
      // The sub-metric selector of the measured window (observatory.k6_summaries reads it).
      measured: window,
      checks: config.checks,
      sloP99Ms: config.sloP99Ms,
      sloErrorRate: config.sloErrorRate,
      baseUrl: config.baseUrl,
    };
    return { [config.summaryPath]: JSON.stringify({ ...data, observatory }, null, 2), stdout: text };
  };
}

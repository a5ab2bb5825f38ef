// The four load shapes: smoke, constant arrival rate (open model), stepped arrival rate, closed-model sweep.
// `constant` may start with an unmeasured warm-up at the same rate (WARMUP), in the same scenario.

function seconds(duration) {
  const value = parseFloat(duration);
  const unit = duration.replace(/^[\d.]+/, '');
  return value * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit];
}

export function scenario(config) {
  const exec = 'run';
  switch (config.scenario) {
    case 'smoke':
      return { executor: 'shared-iterations', vus: 1, iterations: 5, maxDuration: '30s', exec };
    case 'constant':
      return {
        executor: 'constant-arrival-rate',
        rate: config.rate,
        timeUnit: '1s',
        duration: config.duration,
        preAllocatedVUs: Math.min(config.preVus, config.maxVus),
        maxVUs: config.maxVus,
        exec,
      };
    case 'step':
      return {
        executor: 'ramping-arrival-rate',
        startRate: config.startRate,
        timeUnit: '1s',
        preAllocatedVUs: Math.min(config.preVus, config.maxVus),
        maxVUs: config.maxVus,
        stages: Array.from({ length: config.steps }, (_, i) => [
          { target: config.startRate + config.stepRate * i, duration: '1s' },
          { target: config.startRate + config.stepRate * i, duration: config.stepDuration },
        ]).flat(),
        exec,
      };
    case 'sweep':
      return { executor: 'constant-vus', vus: config.vus, duration: config.duration, exec };
    default:
      throw new Error(`unknown scenario ${config.scenario}`);
  }
}

export function hasWarmup(config) {
  return config.scenario === 'constant' && seconds(config.warmup) > 0;
}

export function warmupMs(config) {
  return hasWarmup(config) ? Math.round(seconds(config.warmup) * 1000) : 0;
}

// The run's one scenario. With a warm-up, `constant` runs WARMUP + DURATION without a break: the first WARMUP is
// tagged `phase:warmup` and left out of every figure (see benchmark.js), the rest `phase:measured`. One scenario,
// not two, so no request is cut at the boundary, no VU sits idle, and the connections the warm-up opened serve
// the measured window.
export function scenarios(config) {
  const measured = scenario(config);
  if (!hasWarmup(config)) {
    return { [config.scenario]: measured };
  }
  const total = Math.round((seconds(config.warmup) + seconds(config.duration)) * 1000);
  return { [config.scenario]: { ...measured, duration: `${total}ms` } };
}

export function isOpenModel(config) {
  return config.scenario === 'constant' || config.scenario === 'step';
}

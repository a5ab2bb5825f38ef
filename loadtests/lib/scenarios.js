// The four load shapes: smoke, constant arrival rate (open model), stepped arrival rate, closed-model sweep.
// `constant` may be preceded by an unmeasured warm-up at the same rate (WARMUP), in the same k6 process.

export const WARMUP_SCENARIO = 'warmup';

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

// Every scenario of the run. With a warm-up, the same executor runs first for WARMUP with the same VUs, which
// open their connections (and the service's pools fill); it stops at once (gracefulStop 0s) so its VUs, their
// connections kept, serve the measured scenario, which starts when the warm-up ends.
export function scenarios(config) {
  const measured = scenario(config);
  if (!hasWarmup(config)) {
    return { [config.scenario]: measured };
  }
  const warmup = { ...measured, duration: config.warmup, gracefulStop: '0s', exec: 'warm', tags: { phase: 'warmup' } };
  return {
    [WARMUP_SCENARIO]: warmup,
    [config.scenario]: { ...measured, startTime: config.warmup, tags: { phase: 'measured' } },
  };
}

export function isOpenModel(config) {
  return config.scenario === 'constant' || config.scenario === 'step';
}

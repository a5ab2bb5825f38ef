// The four load shapes: smoke, constant arrival rate (open model), stepped arrival rate, closed-model sweep.

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

export function isOpenModel(config) {
  return config.scenario === 'constant' || config.scenario === 'step';
}

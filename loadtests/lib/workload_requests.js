// One entry per workload of the contract: how to send its request (with its tags), the status it answers and the
// body it must carry. `perform` sends and checks as CHECKS says; `warm` only sends (the unmeasured warm-up).
import http from 'k6/http';
import { check } from 'k6';

const SEEDED_USERS = 100;

function json(test) {
  return (r) => {
    try {
      return test(r.json());
    } catch (error) {
      return false;
    }
  };
}

function rows(expected) {
  return json((body) => Array.isArray(body) && body.length === expected && body.every((row) => row.id >= 1 && row.randomNumber >= 1));
}

function get(c, path, params, name) {
  return http.get(`${c.baseUrl}${path}`, name ? { ...params, tags: { ...(params.tags || {}), name } } : params);
}

export const workloads = {
  json: (c) => ({
    send: (params) => get(c, '/json', params),
    body: json((b) => b.message === 'Hello, World!'),
  }),
  plaintext: (c) => ({
    send: (params) => get(c, '/plaintext', params),
    body: (r) => r.body === 'Hello, World!',
  }),
  db: (c) => ({
    send: (params) => get(c, '/db', params),
    body: json((b) => b.id >= 1 && b.randomNumber >= 1),
  }),
  queries: (c) => ({
    send: (params) => get(c, `/queries?queries=${c.queries}`, params, '/queries'),
    body: rows(Math.min(c.queries, 500)),
  }),
  updates: (c) => ({
    send: (params) => get(c, `/updates?queries=${c.queries}`, params, '/updates'),
    body: rows(Math.min(c.queries, 500)),
  }),
  fortunes: (c) => ({
    send: (params) => get(c, '/fortunes', params),
    body: (r) => typeof r.body === 'string' && r.body.includes('&lt;script&gt;') && r.body.includes('フレームワークのベンチマーク'),
  }),
  'users-get': (c) => ({
    send: (params) => get(c, `/api/users/${1 + Math.floor(Math.random() * SEEDED_USERS)}`, params, '/api/users/{user_id}'),
    body: (r) => json((b) => b.id === Number(r.url.split('/').pop()))(r),
  }),
  'users-post': (c) => ({
    send: (params) => {
      const unique = `${__VU}-${__ITER}-${Date.now()}`;
      const body = JSON.stringify({ name: `Load ${unique}`, email: `load-${unique}@example.com` });
      return http.post(`${c.baseUrl}/api/users`, body, { ...params, headers: { 'Content-Type': 'application/json' } });
    },
    status: 201,
    body: null,
  }),
  io: (c) => ({
    send: (params) => get(c, `/io?ms=${c.ioMs}`, params, '/io'),
    body: json((b) => b.waited_ms === c.ioMs),
  }),
  cpu: (c) => ({
    send: (params) => get(c, `/cpu?n=${c.cpuN}`, params, '/cpu'),
    body: json((b) => b.n === c.cpuN),
  }),
};

// The measured request: sent, then checked as CHECKS asks. `body`: status and body of every response; `sampled`:
// status and body of one iteration in CHECK_EVERY, the others sent with their body discarded and unchecked (a
// status other than the expected one still counts in http_req_failed: see `expectedStatus`); `status`: the status
// of every response; `none`: nothing. Checking bodies costs k6 about a fifth of its CPU (benchmarks/k6_options.py).
export function perform(config) {
  const workload = workloads[config.workload](config);
  const status = workload.status || 200;
  return () => {
    if (config.checks === 'none') return workload.send({ responseType: 'none' });
    if (config.checks === 'sampled' && (__VU + __ITER) % config.checkEvery !== 0) return workload.send({ responseType: 'none' });
    const response = workload.send({ responseType: config.checks === 'status' ? 'none' : 'text' });
    const checks = { [`status is ${status}`]: (r) => r.status === status };
    if (config.checks !== 'status' && workload.body) checks['body as expected'] = workload.body;
    return check(response, checks);
  };
}

// The status a workload's responses must have: anything else is a failed request (k6's default also accepts 3xx).
export function expectedStatus(config) {
  return workloads[config.workload](config).status || 200;
}

// The warm-up request: the same request, its body not kept, nothing checked (warm-up is never measured).
export function warm(config) {
  const workload = workloads[config.workload](config);
  return () => workload.send({ responseType: 'none' });
}

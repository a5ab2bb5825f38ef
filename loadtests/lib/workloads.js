// One function per workload of the contract: the request, its tags and its checks.
import http from 'k6/http';
import { check } from 'k6';

const SEEDED_USERS = 100;

function okJson(response, test) {
  return check(response, {
    'status is 200': (r) => r.status === 200,
    'body as expected': (r) => {
      try {
        return test(r.json());
      } catch (error) {
        return false;
      }
    },
  });
}

function rows(expected) {
  return (body) => Array.isArray(body) && body.length === expected && body.every((row) => row.id >= 1 && row.randomNumber >= 1);
}

export const workloads = {
  json: (c) => okJson(http.get(`${c.baseUrl}/json`), (b) => b.message === 'Hello, World!'),
  plaintext: (c) =>
    check(http.get(`${c.baseUrl}/plaintext`), {
      'status is 200': (r) => r.status === 200,
      'body as expected': (r) => r.body === 'Hello, World!',
    }),
  db: (c) => okJson(http.get(`${c.baseUrl}/db`), (b) => b.id >= 1 && b.randomNumber >= 1),
  queries: (c) => okJson(http.get(`${c.baseUrl}/queries?queries=${c.queries}`, { tags: { name: '/queries' } }), rows(Math.min(c.queries, 500))),
  updates: (c) => okJson(http.get(`${c.baseUrl}/updates?queries=${c.queries}`, { tags: { name: '/updates' } }), rows(Math.min(c.queries, 500))),
  fortunes: (c) =>
    check(http.get(`${c.baseUrl}/fortunes`), {
      'status is 200': (r) => r.status === 200,
      'body as expected': (r) => r.body.includes('&lt;script&gt;') && r.body.includes('フレームワークのベンチマーク'),
    }),
  'users-get': (c) => {
    const id = 1 + Math.floor(Math.random() * SEEDED_USERS);
    return okJson(http.get(`${c.baseUrl}/api/users/${id}`, { tags: { name: '/api/users/{user_id}' } }), (b) => b.id === id);
  },
  'users-post': (c) => {
    const unique = `${__VU}-${__ITER}-${Date.now()}`;
    const response = http.post(
      `${c.baseUrl}/api/users`,
      JSON.stringify({ name: `Load ${unique}`, email: `load-${unique}@example.com` }),
      { headers: { 'Content-Type': 'application/json' } },
    );
    return check(response, { 'status is 201': (r) => r.status === 201 });
  },
  io: (c) => okJson(http.get(`${c.baseUrl}/io?ms=${c.ioMs}`, { tags: { name: '/io' } }), (b) => b.waited_ms === c.ioMs),
  cpu: (c) => okJson(http.get(`${c.baseUrl}/cpu?n=${c.cpuN}`, { tags: { name: '/cpu' } }), (b) => b.n === c.cpuN),
};

import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, PASSWORDS, type TestApi } from '../helpers/api.js';

describeEachBackend('auth, roles and audit', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
  });
  afterEach(() => api.close());

  test('every /api/v1 route declares roles, and readers are refused every mutating one', async () => {
    assert.ok(api.routes.length >= 20);
    for (const route of api.routes) {
      assert.ok(route.roles === 'public' || route.roles.length > 0, `${route.method} ${route.url}`);
      if (route.roles === 'public' || route.method === 'GET') continue;
      // PATCH /users/:name is open to every role for one's own password; the service guards the rest.
      if (route.url === '/api/v1/users/:name' && route.method === 'PATCH') continue;
      // Every role may log out, and doing so would end the reader's session for the routes after it.
      if (route.url === '/api/v1/auth/logout') continue;
      const url = route.url.replace(':uuid', '00000000-0000-4000-8000-000000000000').replace(':name', 'someone').replace(':id', '00000000-0000-4000-8000-000000000000');
      const res = await api.request('reader', route.method as 'POST', url, {});
      if (route.roles.includes('reader')) assert.notEqual(res.status, 403, `${route.method} ${route.url} allows readers`);
      else assert.equal(res.status, 403, `${route.method} ${route.url} must refuse a reader (got ${res.status})`);
    }
  });

  test('no token is 401; a bad token is 401; a wrong role is 403 naming the allowed roles', async () => {
    assert.equal((await api.request(null, 'GET', '/api/v1/alarms')).status, 401);
    const bad = await api.request(null, 'GET', '/api/v1/alarms', undefined, { authorization: 'Bearer not-a-token' });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.code, 'unauthenticated');
    const forbidden = await api.request('operator', 'POST', '/api/v1/users', { name: 'x', role: 'reader' });
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.body.message, /allowed: admin/);
  });

  test('failed logins lock that user from that address, with Retry-After; the user from elsewhere gets in', async () => {
    const login = (password: string, remoteAddress: string) =>
      api.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { username: 'admin', password } });
    for (let i = 0; i < 5; i++) assert.equal((await login('wrong-password', '203.0.113.1')).statusCode, 401);
    for (let i = 0; i < 45; i++) await login('wrong-password', '203.0.113.1');
    const limited = await login(PASSWORDS.admin, '203.0.113.1');
    assert.equal(limited.statusCode, 429, 'even the right password is refused from the guessing address');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    const elsewhere = await login(PASSWORDS.admin, '198.51.100.2');
    assert.equal(elsewhere.statusCode, 200, 'one attacker does not lock the admin out for everyone');
    api.clock.advance(5 * 60 * 1000 + 1000);
    assert.equal((await login(PASSWORDS.admin, '203.0.113.1')).statusCode, 200);
  });

  test('failed logins are rate limited per address across user names', async () => {
    for (let i = 0; i < 20; i++) await api.request(null, 'POST', '/api/v1/auth/login', { username: `nobody${i}`, password: 'x' });
    const limited = await api.request(null, 'POST', '/api/v1/auth/login', { username: 'admin', password: PASSWORDS.admin });
    assert.equal(limited.status, 429);
  });

  test('session tokens expire', async () => {
    assert.equal((await api.request('reader', 'GET', '/api/v1/auth/whoami')).status, 200);
    api.clock.advance(12 * 3600 * 1000 + 1000);
    const expired = await api.request('reader', 'GET', '/api/v1/auth/whoami');
    assert.equal(expired.status, 401);
    assert.match(expired.body.message, /expired/);
  });

  test('API tokens act with the user role, are listed without secrets, and can be revoked', async () => {
    const created = await api.request('operator', 'POST', '/api/v1/auth/tokens', { name: 'ci-script', expires_in_days: 7 });
    assert.equal(created.status, 201, created.text);
    const token = created.body.token as string;
    assert.match(token, /^stk_/);
    const who = await api.request(null, 'GET', '/api/v1/auth/whoami', undefined, { authorization: `Bearer ${token}` });
    assert.deepEqual(who.body, { name: 'operator', role: 'operator', via: 'api-token' });
    const listed = await api.request('operator', 'GET', '/api/v1/auth/tokens');
    assert.equal(listed.body.items.length, 1);
    assert.ok(!JSON.stringify(listed.body).includes(token));
    assert.equal((await api.request('operator', 'DELETE', `/api/v1/auth/tokens/${created.body.id}`)).status, 204);
    const revoked = await api.request(null, 'GET', '/api/v1/auth/whoami', undefined, { authorization: `Bearer ${token}` });
    assert.equal(revoked.status, 401);
    const expiring = await api.request('operator', 'POST', '/api/v1/auth/tokens', { name: 'short', expires_in_days: 1 });
    api.clock.advance(86_400_000 + 1);
    assert.equal((await api.request(null, 'GET', '/api/v1/auth/whoami', undefined, { authorization: `Bearer ${expiring.body.token}` })).status, 401);
  });

  test('users: create, guards for last admin and self, password change ends sessions', async () => {
    const created = await api.request('admin', 'POST', '/api/v1/users', { name: 'alice', role: 'operator' });
    assert.equal(created.status, 201, created.text);
    assert.ok(created.body.generated_password.length >= 12);
    assert.equal((await api.request('admin', 'POST', '/api/v1/users', { name: 'alice', role: 'reader' })).status, 409);

    const selfDelete = await api.request('admin', 'DELETE', '/api/v1/users/admin');
    assert.equal(selfDelete.status, 403);
    const demote = await api.request('admin', 'PATCH', '/api/v1/users/admin', { role: 'operator' });
    assert.equal(demote.status, 409);
    assert.match(demote.body.message, /last admin/);

    // With a second admin, the first can be demoted; the second cannot then delete... the last admin.
    await api.request('admin', 'POST', '/api/v1/users', { name: 'root2', role: 'admin', password: 'root2-password' });
    const login2 = await api.request(null, 'POST', '/api/v1/auth/login', { username: 'root2', password: 'root2-password' });
    const asRoot2 = { authorization: `Bearer ${login2.body.token}` };
    assert.equal((await api.request(null, 'PATCH', '/api/v1/users/admin', { role: 'reader' }, asRoot2)).status, 200);
    assert.equal((await api.request('admin', 'GET', '/api/v1/auth/whoami')).status, 401, "a role change ends the user's sessions");
    const lastDelete = await api.request(null, 'DELETE', '/api/v1/users/root2', undefined, asRoot2);
    assert.equal(lastDelete.status, 403, 'cannot delete yourself');

    // A reader may change their own password but not their role, nor anyone else's.
    const own = await api.request('reader', 'PATCH', '/api/v1/users/reader', { password: 'a-new-password' });
    assert.equal(own.status, 200, own.text);
    assert.equal((await api.request('reader', 'GET', '/api/v1/users')).status, 401, 'password change ended the session');
    const relog = await api.request(null, 'POST', '/api/v1/auth/login', { username: 'reader', password: 'a-new-password' });
    const asReader = { authorization: `Bearer ${relog.body.token}` };
    assert.equal((await api.request(null, 'PATCH', '/api/v1/users/reader', { role: 'admin' }, asReader)).status, 403);
    assert.equal((await api.request(null, 'PATCH', '/api/v1/users/operator', { password: 'hijacked-pw' }, asReader)).status, 403);
  });

  test('the audit log records mutating requests with outcome, for admins only, without secrets', async () => {
    await api.request(null, 'POST', '/api/v1/auth/login', { username: 'admin', password: 'definitely-wrong' });
    await api.request('operator', 'POST', '/api/v1/alarms', { alarm_id: '200.001', entity_instance_id: 'host=c-0', severity: 'warning', reason_text: 'locked' });
    await api.request('reader', 'POST', '/api/v1/alarms', { alarm_id: '200.001', entity_instance_id: 'host=c-0', severity: 'warning', reason_text: 'locked' });
    await api.request('admin', 'POST', '/api/v1/users', { name: 'bob', role: 'reader', password: 'bob-secret-pw' });
    const token = (await api.request('operator', 'POST', '/api/v1/auth/tokens', { name: 't' })).body.token as string;

    assert.equal((await api.request('operator', 'GET', '/api/v1/audit')).status, 403);
    const audit = await api.request('admin', 'GET', '/api/v1/audit?limit=50');
    assert.equal(audit.status, 200);
    const rows = audit.body.items as Array<Record<string, unknown>>;
    const find = (pred: (r: Record<string, unknown>) => boolean) => rows.find(pred);
    assert.ok(find((r) => r.route === '/api/v1/auth/login' && r.user === 'admin' && r.outcome === 'denied'));
    assert.ok(find((r) => r.route === '/api/v1/alarms' && r.user === 'operator' && r.outcome === 'success' && r.target_id === '200.001:host=c-0'));
    assert.ok(find((r) => r.route === '/api/v1/alarms' && r.user === 'reader' && r.outcome === 'denied' && r.status === 403));
    assert.ok(find((r) => r.route === '/api/v1/users' && r.target_id === 'bob' && r.role === 'admin'));
    assert.ok(rows.every((r) => typeof r.source === 'string' && r.source.length > 0));
    const filtered = await api.request('admin', 'GET', '/api/v1/audit?user=reader');
    assert.ok(filtered.body.items.every((r: { user: string }) => r.user === 'reader'));

    const everything = JSON.stringify(rows) + api.logLines.join('');
    for (const secret of ['definitely-wrong', 'bob-secret-pw', PASSWORDS.operator, token, api.tokens.admin]) {
      assert.ok(!everything.includes(secret), `a secret leaked into the audit log or server log`);
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

describe('OpenAPI document and docs page', () => {
  let database: TestDatabase;
  let api: TestApi;
  before(async () => {
    database = await createTestDatabase('sqlite');
    api = await createTestApi(database);
  });
  after(async () => {
    await api.close();
    await database.dispose();
  });

  test('every declared route is documented with its roles and security', async () => {
    const res = await api.request(null, 'GET', '/api/openapi.json');
    assert.equal(res.status, 200);
    const doc = res.body;
    assert.equal(doc.openapi, '3.0.3');
    for (const route of api.routes) {
      const path = route.url.replace(/:([a-z0-9_]+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      assert.ok(op, `${route.method} ${path} is documented`);
      if (route.roles === 'public') {
        assert.deepEqual(op.security, []);
      } else {
        assert.deepEqual(op.security, [{ bearer: [] }]);
        assert.match(op.description, new RegExp(`Roles: ${route.roles.join(', ')}\\.`));
      }
    }
    assert.ok(doc.paths['/api/v1/alarms'].get.parameters.some((p: { name: string }) => p.name === 'severity'));
  });

  test('the docs page is served', async () => {
    const res = await api.request(null, 'GET', '/api/docs/');
    assert.equal(res.status, 200);
    assert.match(res.text, /swagger-ui/i);
  });
});

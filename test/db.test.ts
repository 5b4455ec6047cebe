import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest } from '../src/db/migrate.js';
import { describeEachBackend } from './helpers/backends.js';

describeEachBackend('database', (ctx, dialect) => {
  test('migrations are applied and re-running them is a no-op', async () => {
    const again = await migrateToLatest(ctx.database);
    assert.deepEqual(again, []);
    const tables = await ctx.database.db.introspection.getTables();
    const names = tables.map((t) => t.name).sort();
    for (const expected of ['alarms', 'api_tokens', 'audit_log', 'event_log', 'settings', 'suppressions', 'users']) {
      assert.ok(names.includes(expected), `${expected} exists on ${dialect}`);
    }
  });

  test('bigint columns come back as numbers', async () => {
    const { db } = ctx.database;
    await db.insertInto('settings').values({ key: 'k', value: 'v' }).execute();
    const row = await db
      .selectFrom('settings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(row.n, 1);
    assert.equal(typeof row.n, 'number');
    const big = await sql<{ v: number }>`select ${1767225600000} as v`.execute(db);
    assert.equal(Number(big.rows[0]!.v), 1767225600000);
  });
});

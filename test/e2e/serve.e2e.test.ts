import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { TEST_PG_URL } from '../helpers/backends.js';
import { runBin, startServe, type Served } from '../helpers/processes.js';
import { testFetch } from '../helpers/tls.js';

const pgReachable = await (async () => {
  const probe = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await probe.connect();
    return true;
  } catch {
    return false;
  } finally {
    await probe.end().catch(() => undefined);
  }
})();

async function withSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `e2e_${process.pid}_${Date.now().toString(36)}`;
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  const url = `${TEST_PG_URL}${TEST_PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    drop: async () => {
      const d = new pg.Client({ connectionString: TEST_PG_URL });
      await d.connect();
      await d.query(`drop schema if exists ${schema} cascade`);
      await d.end();
    },
  };
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`starling serve + CLI as real processes [${backend}]`, { skip: backend === 'postgres' && !pgReachable ? `SKIPPED: PostgreSQL unreachable at ${TEST_PG_URL}` : false }, () => {
    const home = mkdtempSync(join(tmpdir(), 'starling-e2e-'));
    const dataDir = join(home, 'data');
    const cliEnv = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg') };
    let dropSchema: (() => Promise<void>) | undefined;
    // A failed assertion must not leave a controller running (it would hold the test file open).
    const started: Served[] = [];
    const serve = async (args: string[]) => {
      const served = await startServe(args, {});
      started.push(served);
      return served;
    };
    after(async () => {
      for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await dropSchema?.();
      rmSync(home, { recursive: true, force: true });
    });

    test('first start prints a generated admin password once; work survives kill -9; SIGTERM exits cleanly', async () => {
      const dbArgs: string[] = ['--data-dir', dataDir];
      if (backend === 'postgres') {
        const s = await withSchema();
        dropSchema = s.drop;
        dbArgs.push('--database-url', s.url);
      }
      const first = await serve(dbArgs);
      const password = /with password: (\S+)/.exec(first.output())?.[1];
      assert.ok(password, `password printed:\n${first.output()}`);

      const login = await runBin(['login', '--url', first.url, '--username', 'admin', '--password', password, '--ca-file', first.caFile!], cliEnv);
      assert.equal(login.code, 0, login.err);
      const raised = await runBin(['alarm', 'raise', '--alarm-id', '100.101', '--entity', 'host=controller-0', '--severity', 'critical', '--reason', 'CPU 97%', '-o', 'json'], cliEnv);
      assert.equal(raised.code, 0, raised.err);

      // The metrics, health and docs endpoints answer on the real server.
      assert.equal((await testFetch(`${first.url}/healthz`)).status, 200);
      const ready = await (await testFetch(`${first.url}/readyz`)).json();
      assert.deepEqual(ready, { status: 'ready', database: backend, tls: true });
      const metrics = await (await testFetch(`${first.url}/metrics`)).text();
      assert.match(metrics, /starling_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/alarms"/);
      assert.match(metrics, /starling_db_query_duration_seconds_count\{kind="insert"/);
      assert.match(metrics, /starling_fault_events_total\{state="set"\} 1/);

      first.child.kill('SIGKILL');
      await first.exited;

      const second = await serve(dbArgs);
      assert.doesNotMatch(second.output(), /with password/, 'the admin exists; no new password');
      const env = { ...cliEnv, STARLING_URL: second.url };
      const listed = await runBin(['alarm', 'list', '-o', 'json'], env);
      assert.equal(listed.code, 0, listed.err);
      assert.equal(JSON.parse(listed.out)[0].reason_text, 'CPU 97%', 'the accepted alarm survived kill -9');
      const whoami = await runBin(['whoami', '-o', 'json'], env);
      assert.equal(JSON.parse(whoami.out).name, 'admin', 'the session survives a restart (signing key is stored)');

      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    });
  });
}

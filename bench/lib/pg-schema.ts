/** A throw-away PostgreSQL schema for a benchmark's controller process, dropped at cleanup; returns the URL that selects it. */
import pg from 'pg';
import { onCleanup } from './site-procs.js';

export const BENCH_PG_URL = process.env.STARLING_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export async function benchSchema(label: string): Promise<string> {
  const schema = `bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: BENCH_PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  onCleanup(`drop schema ${schema}`, async () => {
    const c = new pg.Client({ connectionString: BENCH_PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  });
  return `${BENCH_PG_URL}${BENCH_PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/**
 * Bulk row sources. SQLite takes a multi-row VALUES list. PostgreSQL takes
 * one array per column through `unnest`: 15 parameters instead of 15,000,
 * which measured 18 ms against 27 ms per 1,000-row upsert here (less to
 * parse, plan and serialize).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from './database.js';

export type SqlColumnType = 'text' | 'integer' | 'bigint';

/** `select * from unnest($1::text[], $2::bigint[], ...)` over `rows`, columns in `types` order. */
export function unnestRows<K extends string>(rows: ReadonlyArray<Partial<Record<K, unknown>>>, types: Record<K, SqlColumnType>): RawBuilder<unknown> {
  const columns = Object.keys(types) as K[];
  const arrays = columns.map((c) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(types[c])}[]`);
  return sql`select * from unnest(${sql.join(arrays)})`;
}

export const columnsOf = <K extends string>(types: Record<K, SqlColumnType>) => Object.keys(types) as K[];

export const usesUnnest = (dialect: Dialect): boolean => dialect === 'postgres';

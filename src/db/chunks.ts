/**
 * Splits a list into slices small enough for one statement: SQLite allows
 * 32,766 bound parameters and PostgreSQL 65,535; at 1,000 rows of <= 16
 * columns we stay under both while keeping round trips few (a 1,000-alarm
 * batch is one upsert and one event insert).
 */
export const ROWS_PER_STATEMENT = 1000;

export function chunk<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

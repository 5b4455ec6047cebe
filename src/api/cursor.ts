/**
 * Opaque keyset cursors: the sort key of the last row of a page, as
 * base64url JSON. Anything that does not decode to the expected shape is an
 * InputError naming the `cursor` field.
 */
import { InputError } from '../core/errors.js';

export function encodeCursor(key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends ReadonlyArray<'string' | 'number'>>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== shape.length || value.some((v, i) => typeof v !== shape[i])) {
    throw new InputError('cursor: is not a cursor this server issued (use next_cursor from the previous page)', 'cursor');
  }
  return value as never;
}

/**
 * The tail of every keyset-paginated query: it fetched `limit + 1` rows; the
 * extra one only says there is a next page, whose cursor is the last kept
 * row's sort key.
 */
export function keysetPage<T>(rows: T[], limit: number, keyOf: (row: T) => ReadonlyArray<string | number>): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const kept = rows.slice(0, limit);
  return { rows: kept, nextCursor: encodeCursor(keyOf(kept[kept.length - 1]!)) };
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` to get the next page; null on the last page. */
  next_cursor: string | null;
}

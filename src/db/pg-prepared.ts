/**
 * A pg client that prepares the statements it runs again and again: a
 * system controller on PostgreSQL sends the same few dozen texts (a report,
 * an enrollment, a heartbeat batch) thousands of times a second, and an
 * unnamed statement is parsed and planned by the server every time. Named,
 * each connection prepares a text once and then only binds and executes it.
 *
 * Bounded: texts that vary (an IN list of any length) would prepare without
 * end, so only the first PREPARED_TEXTS distinct texts get a name; the rest
 * run unnamed as before. Only plain data statements are named (transaction
 * control and DDL are sent as they are).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

const PREPARED_TEXTS = 1000;
const names = new Map<string, string>();
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\b/i;

function nameFor(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < PREPARED_TEXTS && DATA_STATEMENT.test(text)) {
    name = `s_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

export class PreparingClient extends pg.Client {
  // Kysely calls query(text, values); everything else (cursors, config objects) passes through.
  override query(...args: unknown[]): never {
    const [text, values] = args;
    const name = typeof text === 'string' && Array.isArray(values) && args.length === 2 ? nameFor(text) : undefined;
    const call = super.query as (...a: unknown[]) => never;
    return name ? call.call(this, { name, text, values }) : call.apply(this, args);
  }
}

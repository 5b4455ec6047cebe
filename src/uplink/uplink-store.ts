/**
 * Where a subcloud keeps its link to its system controller: the address, its
 * name there and its credential. A real subcloud keeps it in its own
 * database (so it survives restarts and needs no flags after enrolling);
 * simulated ones in memory.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { ClientTls } from '../pki/client-tls.js';
import type { PendingRenewal } from '../pki/client-renewal.js';

export interface UplinkRecord {
  controller: string;
  name: string;
  id: number;
  credential: string;
  /** The system controller's CA pinned at enrollment, this subcloud's client certificate and key (mutual TLS); absent over plain HTTP. */
  tls?: ClientTls;
  /** A client certificate renewal request sent and not yet answered (its new key stays here). */
  renewal?: PendingRenewal;
}

export interface UplinkStore {
  read(): Promise<UplinkRecord | undefined>;
  write(record: UplinkRecord): Promise<void>;
}

const KEY = 'uplink';

export function databaseUplinkStore(db: Kysely<Schema>): UplinkStore {
  return {
    async read() {
      const row = await db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
      return row ? (JSON.parse(row.value) as UplinkRecord) : undefined;
    },
    async write(record) {
      const value = JSON.stringify(record);
      await db
        .insertInto('settings')
        .values({ key: KEY, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },
  };
}

export function memoryUplinkStore(): UplinkStore & { record: UplinkRecord | undefined } {
  const store = {
    record: undefined as UplinkRecord | undefined,
    read: async () => store.record,
    write: async (record: UplinkRecord) => void (store.record = record),
  };
  return store;
}

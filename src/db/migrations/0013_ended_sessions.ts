import type { Kysely } from 'kysely';

/**
 * Sessions ended by logout before their expiry. A session token is a signed
 * JWT that no row stands behind, so ending one means remembering it (by its
 * sha256) until it would have expired anyway; rows past their expiry are
 * deleted as new ones are written.
 */
export function endedSessions() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ended_sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ended_sessions_expires_at').on('ended_sessions').column('expires_at').execute();
    },
  };
}

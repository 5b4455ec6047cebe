import type { Kysely } from 'kysely';

/**
 * Software management:
 * - release_keys: the ed25519 public keys whose signatures this system
 *   accepts (`software trust add`);
 * - releases: each uploaded release with its state, the exact signed
 *   metadata text and its signature (so any site can check it again); the
 *   content itself is in the blob store on disk, by digest.
 */
export function software() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('release_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('added_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('releases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('requires', 'text', (c) => c.notNull())
        .addColumn('reboot_required', 'integer', (c) => c.notNull())
        .addColumn('unremovable', 'integer', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('uploaded_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}

import type { Kysely } from 'kysely';

/**
 * Certificates (TLS everywhere): every certificate a controller holds or has
 * issued, with the fields `certificate list` shows. `key_pem` is set only for
 * the ones whose private key lives here (its CA, its API server
 * certificate); what was issued to a child keeps only the certificate.
 * Hosts record the fingerprint of their agent's current client certificate.
 */
export function certificates() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('certificates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('renewal', 'text', (c) => c.notNull())
        .addColumn('pem', 'text', (c) => c.notNull())
        .addColumn('key_pem', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('sans', 'text', (c) => c.notNull())
        .addColumn('not_before', 'bigint', (c) => c.notNull())
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('certificates_not_after').on('certificates').column('not_after').execute();
    },
  };
}

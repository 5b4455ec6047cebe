import type { Kysely } from 'kysely';

/**
 * The fleet's certificate expiry: each subcloud reports its soonest-expiring
 * certificate in its status; the system controller keeps that expiry in a
 * column so "the subclouds whose certificates expire soonest" is an index
 * read at 10,000 subclouds.
 */
export function subcloudCertificates() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('subclouds').addColumn('certificate_expires_at', 'bigint').execute();
      await db.schema.createIndex('subclouds_certificate_expires_at').on('subclouds').columns(['certificate_expires_at', 'name']).execute();
    },
  };
}

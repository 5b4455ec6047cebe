/** The certificates table: one row per certificate held or issued here. */
import type { Kysely } from 'kysely';
import { newUuid } from '../../core/ids.js';
import type { CertificateRow, Schema } from '../../db/schema.js';
import { describeCertificate, splitPemChain } from '../../pki/certificate.js';
import type { CertificateType, RenewalMode } from './certificate.types.js';

export interface CertificateWrite {
  name: string;
  type: CertificateType;
  renewal: RenewalMode;
  /** The certificate first, then its chain. */
  pem: string;
  keyPem: string | null;
  owner?: string | null;
}

/** Inserts or replaces the row of that name, with the fields read from the certificate itself; returns it. */
export async function putCertificate(db: Kysely<Schema>, now: number, write: CertificateWrite): Promise<CertificateRow> {
  await writeCertificate(db, now, write);
  return db.selectFrom('certificates').selectAll().where('name', '=', write.name).executeTakeFirstOrThrow();
}

/** The same, without reading the row back (one statement: what enrollment uses, once per child). */
export async function writeCertificate(db: Kysely<Schema>, now: number, write: CertificateWrite): Promise<void> {
  const leaf = splitPemChain(write.pem)[0];
  if (!leaf) throw new Error(`certificate ${write.name}: no PEM certificate`);
  const info = describeCertificate(leaf);
  const fields = {
    type: write.type,
    renewal: write.renewal,
    pem: write.pem,
    key_pem: write.keyPem,
    subject: info.subject,
    issuer: info.issuer,
    sans: JSON.stringify(info.sans),
    not_before: info.not_before,
    not_after: info.not_after,
    fingerprint: info.fingerprint,
    owner: write.owner ?? null,
    updated_at: now,
  };
  await db
    .insertInto('certificates')
    .values({ id: newUuid(now), name: write.name, created_at: now, ...fields })
    .onConflict((oc) => oc.column('name').doUpdateSet(fields))
    .execute();
}

export const getCertificateByName = (db: Kysely<Schema>, name: string): Promise<CertificateRow | undefined> =>
  db.selectFrom('certificates').selectAll().where('name', '=', name).executeTakeFirst();

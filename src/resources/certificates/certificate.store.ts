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

/** The row of that name, inserted or replaced with the fields read from the certificate itself. */
export const writeCertificate = (db: Kysely<Schema>, now: number, write: CertificateWrite): Promise<void> => writeCertificates(db, now, [write]);

/** Several at once, without reading them back: one statement (an enrollment records a child's certificate and its CA together). */
export async function writeCertificates(db: Kysely<Schema>, now: number, writes: CertificateWrite[]): Promise<void> {
  if (!writes.length) return;
  const rows = writes.map((write) => {
    const leaf = splitPemChain(write.pem)[0];
    if (!leaf) throw new Error(`certificate ${write.name}: no PEM certificate`);
    const info = describeCertificate(leaf);
    return {
      id: newUuid(now),
      name: write.name,
      created_at: now,
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
  });
  await db
    .insertInto('certificates')
    .values(rows)
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        type: eb.ref('excluded.type'),
        renewal: eb.ref('excluded.renewal'),
        pem: eb.ref('excluded.pem'),
        key_pem: eb.ref('excluded.key_pem'),
        subject: eb.ref('excluded.subject'),
        issuer: eb.ref('excluded.issuer'),
        sans: eb.ref('excluded.sans'),
        not_before: eb.ref('excluded.not_before'),
        not_after: eb.ref('excluded.not_after'),
        fingerprint: eb.ref('excluded.fingerprint'),
        owner: eb.ref('excluded.owner'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

export const getCertificateByName = (db: Kysely<Schema>, name: string): Promise<CertificateRow | undefined> =>
  db.selectFrom('certificates').selectAll().where('name', '=', name).executeTakeFirst();

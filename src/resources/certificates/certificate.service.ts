/**
 * Certificates as a resource (StarlingX `system certificate-list | -show |
 * -install`, and renew): what this controller holds and what it issued, by
 * expiry; an operator's server certificate or trusted CA installed live; a
 * certificate Starling issued here renewed on demand.
 */
import { X509Certificate } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import type { CertificateRow, Schema } from '../../db/schema.js';
import { splitPemChain } from '../../pki/pem.js';
import { fingerprintOf } from '../../pki/fingerprint.js';
import { putCertificate } from './certificate.store.js';
import { CA_TYPES, type CertificateType } from './certificate.types.js';
import type { CertificateMonitor } from './certificate.monitor.js';
import { toCertificateView, type AlarmWindows, type CertificateDetail, type CertificateView } from './certificate.views.js';
import { decodeCursor, keysetPage } from '../../api/cursor.js';
import { renewAt, type PlatformPki } from './platform-pki.js';

export interface CertificateFilter {
  type?: CertificateType;
  /** Only those expired (StarlingX `--expired`). */
  expired?: boolean;
  /** Only those expiring within this many days (StarlingX `--soon_to_expiry N`). */
  soonToExpiryDays?: number;
}

/** What can be installed: the API server certificate (with its key), or a trusted CA. */
export const INSTALLABLE_TYPES = ['platform', 'ssl-ca'] as const;

export interface CertificateServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  pki: PlatformPki;
  monitor: CertificateMonitor;
  windows: AlarmWindows;
  /** Puts the PKI's current server certificate on the listener (no restart). */
  useServerTls: () => void;
}

const DAY = 86_400_000;

export class CertificateService {
  constructor(private readonly deps: CertificateServiceDeps) {}

  /** Soonest expiry first, as an operator reads the list; a page at a time. */
  async list(filter: CertificateFilter, page: { limit: number; cursor?: string | undefined }): Promise<{ items: CertificateView[]; next_cursor: string | null }> {
    const now = this.deps.clock.now();
    let q = this.deps.db.selectFrom('certificates').selectAll();
    if (filter.type) q = q.where('type', '=', filter.type);
    if (filter.expired) q = q.where('not_after', '<=', now);
    if (filter.soonToExpiryDays !== undefined) q = q.where('not_after', '<=', now + filter.soonToExpiryDays * DAY);
    if (page.cursor) {
      const [after, name] = decodeCursor(page.cursor, ['number', 'string'] as const);
      q = q.where((eb) => eb.or([eb('not_after', '>', after), eb.and([eb('not_after', '=', after), eb('name', '>', name)])]));
    }
    const { rows, nextCursor } = keysetPage(await q.orderBy('not_after').orderBy('name').limit(page.limit + 1).execute(), page.limit, (r) => [r.not_after, r.name]);
    return { items: rows.map((r) => toCertificateView(r, now, this.deps.windows)), next_cursor: nextCursor };
  }

  private async row(ref: string): Promise<CertificateRow> {
    const row = await this.deps.db.selectFrom('certificates').selectAll().where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)])).executeTakeFirst();
    if (!row) throw new NotFoundError(`certificate ${ref} not found`, 'certificate');
    return row;
  }

  async show(ref: string): Promise<CertificateDetail> {
    const row = await this.row(ref);
    return { ...toCertificateView(row, this.deps.clock.now(), this.deps.windows), pem: row.pem };
  }

  /**
   * Installs an operator's certificate. `platform`: the API server
   * certificate and its key, put on the listener at once; `ssl-ca`: a CA
   * bundle to trust. A refusal names the field, and the running certificate
   * stays.
   */
  async install(input: { type: (typeof INSTALLABLE_TYPES)[number]; certificate: string; key?: string | undefined }): Promise<CertificateDetail[]> {
    if (input.type === 'platform') {
      if (!this.deps.pki.mtls) throw new ConflictError('this controller serves plain HTTP (--insecure-http): its certificate is the TLS-terminating proxy\'s', 'type');
      if (!input.key) throw new InputError('required for a platform certificate (the private key of the server certificate, PEM)', 'key');
      await this.deps.pki.installServerCertificate({ certPem: input.certificate, keyPem: input.key });
      this.deps.useServerTls();
      await this.deps.monitor.tick();
      return [await this.show('platform')];
    }
    if (input.key) throw new InputError('a trusted CA is installed without a private key', 'key');
    const certs = splitPemChain(input.certificate);
    if (!certs.length) throw new InputError('no PEM certificate in it', 'certificate');
    const now = this.deps.clock.now();
    for (const [i, pem] of certs.entries()) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(pem);
      } catch (err) {
        throw new InputError(`certificate ${i + 1}: not a valid X.509 certificate: ${(err as Error).message}`, 'certificate');
      }
      if (!cert.ca) throw new InputError(`certificate ${i + 1} (${cert.subject.replace(/\n/g, ', ')}) is not a CA: an ssl-ca bundle holds CA certificates only`, 'certificate');
      if (Date.parse(cert.validTo) <= now) throw new InputError(`certificate ${i + 1} (${cert.subject.replace(/\n/g, ', ')}) expired on ${new Date(cert.validTo).toISOString()}`, 'certificate');
    }
    const installed: CertificateDetail[] = [];
    for (const pem of certs) {
      const row = await putCertificate(this.deps.db, now, { name: `ssl-ca/${fingerprintOf(pem).slice(0, 16)}`, type: 'ssl-ca', renewal: 'manual', pem, keyPem: null });
      installed.push(await this.show(row.id));
    }
    await this.deps.monitor.tick();
    return installed;
  }

  /** Renews a certificate Starling issued and holds here: the API server certificate, reissued from this controller's CA and put on the listener. */
  async renew(ref: string): Promise<CertificateDetail> {
    const row = await this.row(ref);
    if (row.renewal === 'manual') throw new ConflictError(`certificate ${row.name} was installed by an operator (renewal manual): install its replacement with "starling certificate install"`, 'certificate');
    if ((CA_TYPES as readonly string[]).includes(row.type)) throw new ConflictError(`certificate ${row.name} is a CA (${row.type}): a CA is replaced by rotating it, not renewed in place`, 'certificate');
    if (row.type !== 'platform') {
      throw new ConflictError(
        `certificate ${row.name} (${row.type}) belongs to ${row.owner ?? 'a child'}, whose private key never leaves it: it renews itself over its report channel from ${new Date(renewAt(row)).toISOString().slice(0, 10)}; ` +
          `to replace it at once, enroll it again with a new token (${row.type === 'host-client' ? `starling host enroll-token ${row.owner}` : `starling subcloud add ${row.owner} --migrate`})`,
        'certificate',
      );
    }
    await this.deps.pki.renewServerCertificate();
    this.deps.useServerTls();
    await this.deps.monitor.tick();
    return this.show('platform');
  }
}

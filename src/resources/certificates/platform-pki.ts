/**
 * A controller's PKI: its CA (a standalone site's platform CA, a system
 * controller's fleet root CA, or a subcloud's intermediate CA issued by its
 * system controller at enrollment), its API server certificate, and the
 * client certificates and intermediate CAs it issues to its children.
 *
 * Private keys live in the certificates table (key_pem) and never leave the
 * process; a child's private key never reaches the parent (it sends a CSR).
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { SiteRole } from '../../core/config.js';
import { durations } from '../../core/durations.js';
import { InputError } from '../../core/errors.js';
import type { Logger } from '../../core/logging.js';
import type { CertificateRow, Schema } from '../../db/schema.js';
import { splitPemChain } from '../../pki/certificate.js';
import { readCsr } from '../../pki/csr.js';
import { certificateRequest } from '../../pki/csr-writer.js';
import { fingerprintOf } from '../../pki/fingerprint.js';
import { issueCertificate, loadIssuer, type CertificateUsage, type LoadedIssuer, type SubjectPublicKey } from '../../pki/issue.js';
import { generateKeyPair, importSigningKey, type KeyPair } from '../../pki/keys.js';
import type { CryptoKey } from '../../pki/x509.js';
import { getCertificateByName, putCertificate, writeCertificates } from './certificate.store.js';
import { caTypeFor, type CertificateType } from './certificate.types.js';

export interface PlatformPkiDeps {
  db: Kysely<Schema>;
  clock: Clock;
  role: SiteRole;
  systemName: string;
  log: Logger;
  /** The API is served over TLS and children must prove themselves with client certificates. */
  mtls: boolean;
}

/** What node's tls server takes: our key and chain, and the CAs client certificates are checked against. */
export interface ServerTlsMaterial {
  key: string;
  cert: string;
  ca: string[];
}

/** An operator's own server certificate (`--tls-cert`, `--tls-key`, `certificate install`). */
export interface OperatorCertificate {
  certPem: string;
  keyPem: string;
}

const SERVER = 'platform';
/** During a fleet root CA rotation: the new root, and the new root signed by the old one (for children that trust only the old). */
const NEXT_ROOT = 'fleet-root-ca-next';
const CROSS_ROOT = 'fleet-root-ca-cross';
const ROTATION_SETTING = 'ca_rotation';

/**
 * A fleet root CA rotation's phases (after StarlingX kube-rootca-update):
 * - `trust-both`: children are handed both roots; everything is still signed by the old one;
 * - `update-certs`: the new root signs (children renew under it); the API presents its new
 *   certificate with the new root cross-signed by the old, so a child that trusts only the
 *   old (offline during trust-both) still connects and catches up;
 * - `trust-new`: children are handed the new root alone; the old is no longer accepted.
 */
export const ROTATION_PHASES = ['trust-both', 'update-certs', 'trust-new'] as const;
export type RotationPhase = (typeof ROTATION_PHASES)[number];

type LoadedCa = { row: CertificateRow; key: CryptoKey; issuer: LoadedIssuer };

export class PlatformPki {
  /** The CA that signs (during a rotation's update-certs and trust-new phases: the new root). */
  private ca: LoadedCa | undefined;
  private server: CertificateRow | undefined;
  /** A fleet root CA rotation under way. */
  private rotation: { phase: RotationPhase; old: LoadedCa; next: LoadedCa; cross: CertificateRow } | undefined;
  /** A subcloud's ICA key between its CSR and the signed ICA (enrollment). */
  private pendingCaKey: KeyPair | undefined;
  /** A subcloud's request to renew its intermediate CA, until answered. */
  private pendingCaRenewal: string | undefined;
  /** The serving anchor, for the certificates it was read from. */
  private anchor: { key: string; value: { pem: string; fingerprint: string } } | undefined;

  constructor(private readonly deps: PlatformPkiDeps) {}

  private get caType(): CertificateType {
    return caTypeFor(this.deps.role);
  }

  /** Loads this controller's CA, creating a root on first start (a subcloud's ICA comes at enrollment). */
  async open(): Promise<void> {
    // A subcloud that enrolled over plain HTTP got no ICA and made a platform CA of its own (ensureCa).
    let row = (await getCertificateByName(this.deps.db, this.caType)) ?? (await getCertificateByName(this.deps.db, 'platform-ca'));
    if (!row && this.deps.role !== 'subcloud') row = await this.createRoot(this.caType);
    if (row) this.ca = await this.loadCa(row);
    this.server = await getCertificateByName(this.deps.db, SERVER);
    await this.loadRotation();
  }

  private async loadRotation(): Promise<void> {
    const setting = await this.deps.db.selectFrom('settings').select('value').where('key', '=', ROTATION_SETTING).executeTakeFirst();
    const next = await getCertificateByName(this.deps.db, NEXT_ROOT);
    const cross = await getCertificateByName(this.deps.db, CROSS_ROOT);
    const old = await getCertificateByName(this.deps.db, 'fleet-root-ca');
    if (!setting || !next || !cross || !old) {
      this.rotation = undefined;
      return;
    }
    const phase = (JSON.parse(setting.value) as { phase: RotationPhase }).phase;
    this.rotation = { phase, old: await this.loadCa(old), next: await this.loadCa(next), cross };
    this.ca = phase === 'trust-both' ? this.rotation.old : this.rotation.next;
  }

  /** A subcloud whose system controller serves plain HTTP gets no ICA: it serves its API under a platform CA of its own. */
  async ensureCa(): Promise<void> {
    if (this.ca) return;
    this.ca = await this.loadCa(await this.createRoot('platform-ca'));
  }

  private async loadCa(row: CertificateRow): Promise<LoadedCa> {
    const key = await importSigningKey(row.key_pem!);
    return { row, key, issuer: await loadIssuer({ certPem: row.pem, key }) };
  }

  /** True once this controller has a CA (a subcloud: after enrolling). */
  get ready(): boolean {
    return this.ca !== undefined;
  }

  private async createRoot(type: CertificateType, options: { name?: string; subject?: string; notAfter?: number } = {}): Promise<CertificateRow> {
    const pair = await generateKeyPair();
    const now = this.deps.clock.now();
    const label = type === 'fleet-root-ca' ? 'fleet root CA' : 'platform CA';
    const pem = await issueCertificate({
      subjectKeys: pair.keys,
      subject: options.subject ?? `CN=${this.deps.systemName} ${label}, O=Starling`,
      usage: 'ca',
      notBefore: new Date(now - durations.certificateBackdateMs),
      notAfter: new Date(options.notAfter ?? now + durations.rootCaLifetimeMs),
    });
    this.deps.log.info({ type, fingerprint: fingerprintOf(pem) }, `created this controller's ${label}`);
    return putCertificate(this.deps.db, now, { name: options.name ?? type, type, renewal: 'auto', pem, keyPem: pair.privateKeyPem });
  }

  private requireCa(): LoadedCa {
    if (!this.ca) throw new Error('this controller has no CA yet (a subcloud gets its intermediate CA when it enrolls)');
    return this.ca;
  }

  /** This controller's CA certificate, then its chain up to the root (PEM). */
  get caChainPem(): string {
    return this.requireCa().row.pem;
  }

  /**
   * The CA a client must trust for this controller's API, and what enroll
   * tokens pin: this controller's own CA (a subcloud's ICA, not the fleet
   * root above it, so its agents trust their site and no other), or the
   * top of an operator's chain.
   */
  get servingAnchor(): { pem: string; fingerprint: string } {
    if (!this.server) throw new Error('no API server certificate yet');
    // While the API presents the new root cross-signed by the old, the old root is at the top of what it presents.
    const top = this.rotation?.phase === 'update-certs' ? this.rotation.old.row.pem : this.requireCa().row.pem;
    // Read on every report (a child's trust is compared with it): parsed once per server certificate and CA.
    const key = `${this.server.fingerprint} ${top.length} ${this.rotation?.phase ?? ''} ${this.ca?.row.fingerprint ?? ''}`;
    if (this.anchor?.key === key) return this.anchor.value;
    const chain = this.server.renewal === 'manual' ? splitPemChain(this.server.pem) : splitPemChain(top).slice(0, 1);
    const anchor = chain[chain.length - 1]!;
    this.anchor = { key, value: { pem: anchor, fingerprint: fingerprintOf(anchor) } };
    return this.anchor.value;
  }

  /** The CAs this controller's children trust it by, sent to a child whose trust is not current: during a rotation both roots, then the new one alone. */
  get trustBundle(): string[] {
    const r = this.rotation;
    if (!r) return [this.servingAnchor.pem];
    return r.phase === 'trust-new' ? [r.next.row.pem] : [r.old.row.pem, r.next.row.pem];
  }

  /** The CAs whose client certificates this controller accepts (fingerprints): its own, and during a rotation both roots until trust-new. */
  get clientIssuerFingerprints(): string[] {
    const r = this.rotation;
    if (r && r.phase !== 'trust-new') return [r.old.row.fingerprint, r.next.row.fingerprint];
    return this.ca ? [this.ca.row.fingerprint] : [];
  }

  /** The rotation under way, if any: its phase and both roots. */
  get rotationState(): { phase: RotationPhase; old: CertificateRow; next: CertificateRow } | undefined {
    const r = this.rotation;
    return r ? { phase: r.phase, old: r.old.row, next: r.next.row } : undefined;
  }

  /**
   * Starts a fleet root CA rotation (system controller): makes the new root
   * and the new root cross-signed by the old, in phase trust-both. A
   * rotation already under way is kept (its new root too).
   */
  async beginRotation(options: { subject?: string; notAfter?: number }): Promise<void> {
    if (this.deps.role !== 'systemcontroller') throw new Error('only a system controller rotates the fleet root CA');
    if (this.rotation) return;
    const old = this.requireCa();
    const next = await this.createRoot('fleet-root-ca', { name: NEXT_ROOT, ...options });
    const nextCa = await this.loadCa(next);
    const crossPem = await issueCertificate({
      issuer: old.issuer,
      subjectKeys: { publicKey: nextCa.issuer.spki },
      subject: nextCa.issuer.subject,
      usage: 'ca',
      notBefore: new Date(this.deps.clock.now() - durations.certificateBackdateMs),
      notAfter: new Date(next.not_after),
    });
    await putCertificate(this.deps.db, this.deps.clock.now(), { name: CROSS_ROOT, type: 'fleet-root-ca', renewal: 'auto', pem: crossPem, keyPem: null });
    await this.setRotationPhase('trust-both');
  }

  /** Moves the rotation to a phase (persisted; the signing CA follows). The caller reissues the API certificate and puts it on the listener. */
  async setRotationPhase(phase: RotationPhase): Promise<void> {
    const value = JSON.stringify({ phase });
    await this.deps.db
      .insertInto('settings')
      .values({ key: ROTATION_SETTING, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
    await this.loadRotation();
    this.deps.log.info({ phase }, 'fleet root CA rotation: phase');
  }

  /** Ends a rotation in trust-new: the new root becomes the fleet root CA, and the old one and the cross-signed one are deleted. */
  async finishRotation(): Promise<void> {
    const r = this.rotation;
    if (!r || r.phase !== 'trust-new') throw new Error('a rotation finishes from its trust-new phase');
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('certificates').where('name', 'in', [NEXT_ROOT, CROSS_ROOT, 'fleet-root-ca']).execute();
      await putCertificate(trx, now, { name: 'fleet-root-ca', type: 'fleet-root-ca', renewal: 'auto', pem: r.next.row.pem, keyPem: r.next.row.key_pem });
      await trx.deleteFrom('settings').where('key', '=', ROTATION_SETTING).execute();
    });
    this.rotation = undefined;
    this.ca = await this.loadCa((await getCertificateByName(this.deps.db, 'fleet-root-ca'))!);
    this.deps.log.info({ fingerprint: this.ca.row.fingerprint }, 'fleet root CA rotation finished: the old root is gone');
  }

  /**
   * Abandons a rotation: from trust-both, back to the old root alone (the
   * new one was never used); from a later phase, both roots stay trusted
   * (some children hold certificates from each), until a new ca-update.
   */
  async abortRotation(): Promise<void> {
    const r = this.rotation;
    if (!r) return;
    if (r.phase === 'trust-both') {
      await this.deps.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('certificates').where('name', 'in', [NEXT_ROOT, CROSS_ROOT]).execute();
        await trx.deleteFrom('settings').where('key', '=', ROTATION_SETTING).execute();
      });
      this.rotation = undefined;
      this.ca = r.old;
    } else if (r.phase === 'trust-new') {
      await this.setRotationPhase('update-certs');
    }
  }

  /** True when children must enroll with a certificate request (mutual TLS). */
  get mtls(): boolean {
    return this.deps.mtls;
  }

  /** What enroll tokens pin (the serving anchor's fingerprint); nothing on plain HTTP. */
  tokenPin(): string | undefined {
    return this.deps.mtls && this.server ? this.servingAnchor.fingerprint : undefined;
  }

  /** Fingerprint of the CA that signs children's certificates now (what a renewal moves them to). */
  get clientIssuerFingerprint(): string | undefined {
    return this.ca?.row.fingerprint;
  }

  private async sign(input: { publicKey: SubjectPublicKey; subject: string; usage: CertificateUsage; lifetimeMs: number; sans?: string[]; pathLength?: number }): Promise<string> {
    const ca = this.requireCa();
    const now = this.deps.clock.now();
    return issueCertificate({
      issuer: ca.issuer,
      subjectKeys: { publicKey: input.publicKey },
      subject: input.subject,
      usage: input.usage,
      ...(input.sans ? { sans: input.sans } : {}),
      ...(input.pathLength !== undefined ? { pathLength: input.pathLength } : {}),
      notBefore: new Date(now - durations.certificateBackdateMs),
      notAfter: new Date(now + input.lifetimeMs),
    });
  }

  /**
   * Puts this controller's API certificate in place: the operator's when
   * given, otherwise one issued by its CA, reissued when its CA changed, a
   * wanted name is missing or two thirds of its lifetime have passed. An
   * operator's certificate installed earlier stays until replaced.
   */
  async ensureServerCertificate(sans: string[], operator?: OperatorCertificate): Promise<void> {
    if (operator) return this.installServerCertificate(operator);
    const current = this.server;
    if (current?.renewal === 'manual') return;
    if (current && !this.needsReissue(current, this.requireCa().row, sans)) return;
    await this.issueServerCertificate(sans);
  }

  /** Reissues the API server certificate now, with the names it has (certificate renew). */
  async renewServerCertificate(): Promise<void> {
    if (!this.server) throw new Error('no API server certificate yet');
    await this.issueServerCertificate(JSON.parse(this.server.sans) as string[]);
  }

  /** Reissues the API certificate Starling issued once it is due (two thirds of its life, or its CA changed); true when it did. */
  async renewServerCertificateIfDue(): Promise<boolean> {
    const current = this.server;
    if (!current || current.renewal === 'manual' || !this.ca || !this.needsReissue(current, this.ca.row, [])) return false;
    await this.renewServerCertificate();
    return true;
  }

  private async issueServerCertificate(sans: string[]): Promise<void> {
    const ca = this.requireCa();
    const pair = await generateKeyPair();
    const leaf = await this.sign({ publicKey: pair.keys.publicKey, subject: `CN=${this.deps.systemName} API, O=Starling`, usage: 'server', lifetimeMs: durations.leafCertificateLifetimeMs, sans });
    this.server = await putCertificate(this.deps.db, this.deps.clock.now(), { name: SERVER, type: 'platform', renewal: 'auto', pem: leaf + ca.row.pem, keyPem: pair.privateKeyPem });
    this.deps.log.info({ sans, fingerprint: this.server.fingerprint }, 'issued the API server certificate');
  }

  private needsReissue(current: CertificateRow, ca: CertificateRow, sans: string[]): boolean {
    const chain = splitPemChain(current.pem);
    if (chain.length < 2 || fingerprintOf(chain[1]!) !== ca.fingerprint) return true;
    const have = new Set(JSON.parse(current.sans) as string[]);
    if (sans.some((n) => !have.has(n))) return true;
    return this.deps.clock.now() >= renewAt(current);
  }

  /** Checks and installs an operator's server certificate; the running one stays when it is refused. */
  async installServerCertificate(operator: OperatorCertificate): Promise<void> {
    const chain = splitPemChain(operator.certPem);
    if (!chain.length) throw new InputError('no PEM certificate in the file', 'certificate');
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(chain[0]!);
    } catch (err) {
      throw new InputError(`not a valid X.509 certificate: ${(err as Error).message}`, 'certificate');
    }
    let key;
    try {
      key = createPrivateKey(operator.keyPem);
    } catch {
      throw new InputError('not a valid PEM private key', 'key');
    }
    if (!leaf.checkPrivateKey(key)) throw new InputError('the private key does not belong to the certificate', 'key');
    if (leaf.ca) throw new InputError('a CA certificate cannot be the server certificate (give the server certificate, then its chain)', 'certificate');
    const now = this.deps.clock.now();
    if (Date.parse(leaf.validTo) <= now) throw new InputError(`the certificate expired on ${new Date(leaf.validTo).toISOString()}`, 'certificate');
    for (let i = 1; i < chain.length; i++) {
      if (!new X509Certificate(chain[i - 1]!).checkIssued(new X509Certificate(chain[i]!))) {
        throw new InputError(`certificate ${i + 1} in the file did not issue certificate ${i} (order: server certificate first, then each issuer)`, 'certificate');
      }
    }
    const keyPem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
    this.server = await putCertificate(this.deps.db, now, { name: SERVER, type: 'platform', renewal: 'manual', pem: chain.join(''), keyPem });
    this.deps.log.info({ subject: leaf.subject, fingerprint: this.server.fingerprint }, "installed the operator's API server certificate");
  }

  /** Key, chain and client CAs for the API's TLS listener. */
  serverTls(): ServerTlsMaterial {
    if (!this.server?.key_pem) throw new Error('no API server certificate yet');
    const r = this.rotation;
    if (!r || this.server.renewal === 'manual') return { key: this.server.key_pem, cert: this.server.pem, ca: r ? [r.old.row.pem, r.next.row.pem] : splitPemChain(this.requireCa().row.pem) };
    const leaf = splitPemChain(this.server.pem)[0]!;
    // update-certs: the new root cross-signed by the old, then the old, so a child that trusts either finds its root.
    const chain = r.phase === 'update-certs' ? leaf + r.cross.pem + r.old.row.pem : leaf + this.requireCa().row.pem;
    return { key: this.server.key_pem, cert: chain, ca: r.phase === 'trust-new' ? [r.next.row.pem] : [r.old.row.pem, r.next.row.pem] };
  }

  /**
   * Signs a child's client certificate (nothing is written: the caller
   * records it with recordIssued once the enrollment has committed). The
   * subject is the child's principal name whatever the request says; a
   * request naming another identity, or asking for names (SANs) a client
   * certificate does not carry, is refused.
   */
  async signClientCertificate(principal: string, csrPem: string, previous?: string): Promise<string> {
    const csr = await readCsrField(csrPem, 'csr');
    if (csr.sans.length) throw new InputError(`a client certificate request may not ask for subject alternative names (it asked for ${csr.sans.join(', ')})`, 'csr');
    if (csr.commonName !== undefined && csr.commonName !== principal) throw new InputError(`the request names ${csr.commonName}, but this enrollment is for ${principal}`, 'csr');
    // The same request again (its reply was lost on the link): the same certificate, so both sides list one.
    if (previous && this.isCurrentFor(previous, csr.spki)) return splitPemChain(previous)[0]!;
    return this.sign({ publicKey: csr.spki, subject: `CN=${principal}, O=Starling`, usage: 'client', lifetimeMs: durations.leafCertificateLifetimeMs });
  }

  /** True when `pem` was issued by this CA, recently (not due for renewal), for that public key (SPKI DER). */
  private isCurrentFor(pem: string, spki: Uint8Array): boolean {
    const cert = new X509Certificate(splitPemChain(pem)[0]!);
    const issued = { not_before: Date.parse(cert.validFrom), not_after: Date.parse(cert.validTo) };
    return (
      cert.checkIssued(new X509Certificate(this.requireCa().row.pem)) &&
      this.deps.clock.now() < renewAt(issued) &&
      Buffer.from(cert.publicKey.export({ type: 'spki', format: 'der' })).equals(spki)
    );
  }

  /** True when `pem` (its first certificate) was issued by the CA that signs now. */
  signedNow(pem: string): boolean {
    return new X509Certificate(splitPemChain(pem)[0]!).checkIssued(new X509Certificate(this.requireCa().row.pem));
  }

  /** The certificate last issued to a child, as recorded. */
  async issuedTo(type: 'host-client' | 'subcloud-client' | 'subcloud-ica', owner: string): Promise<CertificateRow | undefined> {
    return getCertificateByName(this.deps.db, `${type}/${owner}`);
  }

  /** Signs a subcloud's intermediate CA (it may sign leaves only); returns it with the chain above it. */
  async signIntermediateCa(subcloud: string, csrPem: string): Promise<string> {
    const csr = await readCsrField(csrPem, 'ca_csr');
    if (csr.sans.length) throw new InputError(`a CA request may not ask for subject alternative names (it asked for ${csr.sans.join(', ')})`, 'ca_csr');
    const pem = await this.sign({ publicKey: csr.spki, subject: `CN=${subcloud} ICA, O=Starling`, usage: 'ca', pathLength: 0, lifetimeMs: durations.intermediateCaLifetimeMs });
    return pem + this.requireCa().row.pem;
  }

  /** Keeps a certificate issued to a child (public part only), for `certificate list` and expiry alarms. */
  async recordIssued(type: IssuedType, owner: string, pem: string): Promise<void> {
    await this.recordAllIssued([{ type, owner, pem }]);
  }

  /** The same for several, in one statement. */
  async recordAllIssued(issued: Array<{ type: IssuedType; owner: string; pem: string }>): Promise<void> {
    await writeCertificates(
      this.deps.db,
      this.deps.clock.now(),
      issued.map(({ type, owner, pem }) => ({ name: `${type}/${owner}`, type, renewal: 'auto' as const, pem, keyPem: null, owner })),
    );
  }

  /** A subcloud, before enrolling: the request for its intermediate CA (the key stays here). */
  async caRequest(): Promise<string> {
    this.pendingCaKey = await generateKeyPair();
    return certificateRequest(this.pendingCaKey.privateKeyPem);
  }

  /**
   * A subcloud, each report: once its intermediate CA is two thirds through
   * its life, a request to renew it with the same key (what it signed stays
   * valid, and its agents' trust in the old certificate holds until the new
   * one reaches them); at once when its system controller asks (a root
   * rotation). The same request until it is answered.
   */
  async caRenewalRequest(asked = false): Promise<string | undefined> {
    const ca = this.ca;
    if (!ca || ca.row.type !== 'subcloud-ica' || (!asked && this.deps.clock.now() < renewAt(ca.row))) return undefined;
    this.pendingCaRenewal ??= certificateRequest(ca.row.key_pem!);
    return this.pendingCaRenewal;
  }

  /** A subcloud: puts its renewed intermediate CA in place, and reissues the API certificate under it (unless an operator's). */
  async installRenewedCa(chainPem: string): Promise<void> {
    const ca = this.requireCa();
    const chain = splitPemChain(chainPem);
    const spki = (key: ReturnType<typeof createPublicKey>) => key.export({ type: 'spki', format: 'der' });
    if (!chain[0] || !spki(new X509Certificate(chain[0]).publicKey).equals(spki(createPublicKey(ca.row.key_pem!)))) {
      throw new Error('the renewed intermediate CA is not for the key this subcloud holds');
    }
    const row = await putCertificate(this.deps.db, this.deps.clock.now(), { name: ca.row.name, type: ca.row.type as CertificateType, renewal: 'auto', pem: chain.join(''), keyPem: ca.row.key_pem });
    this.ca = await this.loadCa(row);
    this.pendingCaRenewal = undefined;
    if (this.server && this.server.renewal === 'auto') await this.renewServerCertificate();
  }

  /** A subcloud, on enrolling: installs the intermediate CA its system controller signed. */
  async installCa(chainPem: string): Promise<void> {
    const pair = this.pendingCaKey;
    if (!pair) throw new Error('no intermediate CA request is pending');
    const chain = splitPemChain(chainPem);
    const spki = (key: ReturnType<typeof createPublicKey>) => key.export({ type: 'spki', format: 'der' });
    const ours = chain[0] !== undefined && spki(new X509Certificate(chain[0]).publicKey).equals(spki(createPublicKey(pair.privateKeyPem)));
    if (!ours) throw new Error('the intermediate CA from the system controller is not for the key this subcloud asked with');
    const row = await putCertificate(this.deps.db, this.deps.clock.now(), { name: this.caType, type: this.caType, renewal: 'auto', pem: chain.join(''), keyPem: pair.privateKeyPem });
    this.pendingCaKey = undefined;
    this.ca = await this.loadCa(row);
  }
}

/** The certificates a parent issues to its children. */
type IssuedType = 'host-client' | 'subcloud-client' | 'subcloud-ica';

/** When a certificate Starling issued should be renewed: two thirds into its lifetime. */
export const renewAt = (row: Pick<CertificateRow, 'not_before' | 'not_after'>): number =>
  row.not_before + Math.floor((row.not_after - row.not_before) * durations.certificateRenewFraction);

async function readCsrField(pem: string, field: string) {
  try {
    return await readCsr(pem);
  } catch (err) {
    throw new InputError((err as Error).message, field);
  }
}

/**
 * Subclouds on the system controller (dcmanager subcloud ...): add with a
 * one-time enroll token, list and show, update, manage/unmanage and delete
 * with StarlingX's guards.
 */
import type { SubcloudStatus } from '../../protocol/subcloud-wire.js';
import type { Kysely } from 'kysely';
import { decodeCursor, keysetPage } from '../../api/cursor.js';
import type { Clock } from '../../core/clock.js';
import { durations } from '../../core/durations.js';
import { ConflictError, InputError, NotFoundError, UnauthenticatedError } from '../../core/errors.js';
import { randomSecret, sha256Hex } from '../../core/ids.js';
import { formatEnrollToken, parseEnrollToken } from '../../protocol/enroll-token.js';
import type { PlatformPki } from '../certificates/platform-pki.js';
import { subcloudPrincipal } from '../../protocol/principals.js';
import type { Schema, SubcloudRow } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { GroupService } from './group.service.js';
import { NAME_PLACEHOLDER, SubcloudErrors, type SubcloudErrorView } from './subcloud-errors.js';
import { subcloudWaitKey } from './uplink.service.js';
import { ENDPOINT_TYPES, NO_ERRORS, SUBCLOUD_NAME_PATTERN, type ManagementState } from './subcloud.types.js';

export const SUBCLOUD_TOKEN_PREFIX = 'stse_';
export const SUBCLOUD_CREDENTIAL_PREFIX = 'stsc_';
const NAME_RE = new RegExp(SUBCLOUD_NAME_PATTERN);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface SubcloudView {
  id: number;
  name: string;
  description: string;
  location: string;
  group_id: number;
  group_name: string;
  management_state: string;
  availability_status: string;
  deploy_status: string;
  backup_status: string;
  prestage_status: string | null;
  software_version: string | null;
  error_description: string;
  system_controller_url: string | null;
  last_report_at: string | null;
  alarm_counts: { critical: number; major: number; minor: number; warning: number };
  created_at: string;
  updated_at: string;
}

export interface SubcloudDetail extends SubcloudView {
  endpoint_sync_status: Array<{ endpoint_type: string; sync_status: string }>;
  /** Host counts as last reported; null until the subcloud has reported. */
  hosts: SubcloudStatus['hosts'] | null;
  /** Releases deployed on the subcloud, as last reported. */
  releases: string[];
}

export interface SubcloudFilter {
  group_id?: number;
  availability_status?: string;
  management_state?: string;
  name_prefix?: string;
}

/** What a subcloud gets for its enroll token. */
export interface SubcloudEnrollment {
  id: number;
  name: string;
  credential: string;
  /** Its client certificate (mutual TLS on the uplink). */
  certificate?: string;
  /** Its intermediate CA with the chain above it, when it asked for one (a real subcloud; the simulator's do not). */
  ca_certificate?: string;
}

export class SubcloudService {
  /** The subclouds' errors with their causes (stateless; one per database is enough). */
  readonly errorLog: SubcloudErrors;

  constructor(
    private readonly deps: {
      db: Kysely<Schema>;
      clock: Clock;
      groups: GroupService;
      waiters?: Waiters;
      errors?: SubcloudErrors;
      /** Told when a subcloud credential stops being valid (auth caches them briefly). */
      credentialsChanged?: () => void;
      /** Told of a credential just issued (by its hash), so the subcloud's first report needs no lookup. */
      credentialIssued?: (hash: string, subcloud: { id: number; name: string }) => void;
      /** Signs subclouds' client certificates and ICAs at enrollment and pins tokens to the CA (mutual TLS). */
      pki?: PlatformPki;
    },
  ) {
    this.errorLog = deps.errors ?? new SubcloudErrors({ db: deps.db });
  }

  private async views(rows: SubcloudRow[]): Promise<SubcloudView[]> {
    const groups = await this.deps.groups.names();
    return rows.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      location: s.location,
      group_id: s.group_id,
      group_name: groups.get(s.group_id) ?? String(s.group_id),
      management_state: s.management_state,
      availability_status: s.availability_status,
      deploy_status: s.deploy_status,
      backup_status: s.backup_status,
      prestage_status: s.prestage_status,
      software_version: s.software_version,
      error_description: s.error_description,
      system_controller_url: s.system_controller_url,
      last_report_at: iso(s.last_report_at),
      alarm_counts: { critical: s.alarms_critical, major: s.alarms_major, minor: s.alarms_minor, warning: s.alarms_warning },
      created_at: iso(s.created_at)!,
      updated_at: iso(s.updated_at)!,
    }));
  }

  async row(ref: string): Promise<SubcloudRow> {
    const q = this.deps.db.selectFrom('subclouds').selectAll();
    const row = await (/^\d+$/.test(ref) ? q.where('id', '=', Number(ref)) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new NotFoundError(`subcloud ${ref} not found`, 'subcloud');
    return row;
  }

  async list(filter: SubcloudFilter, page: { limit: number; cursor?: string }): Promise<{ items: SubcloudView[]; next_cursor: string | null }> {
    let q = this.deps.db.selectFrom('subclouds').selectAll();
    if (filter.group_id !== undefined) q = q.where('group_id', '=', filter.group_id);
    if (filter.availability_status) q = q.where('availability_status', '=', filter.availability_status);
    if (filter.management_state) q = q.where('management_state', '=', filter.management_state);
    if (filter.name_prefix) q = q.where('name', '>=', filter.name_prefix).where('name', '<', `${filter.name_prefix}\uffff`);
    if (page.cursor) q = q.where('id', '>', decodeCursor(page.cursor, ['number'] as const)[0]);
    const { rows, nextCursor } = keysetPage(await q.orderBy('id').limit(page.limit + 1).execute(), page.limit, (r) => [r.id]);
    return { items: await this.views(rows), next_cursor: nextCursor };
  }

  async show(ref: string): Promise<SubcloudDetail> {
    const row = await this.row(ref);
    const endpoints = await this.deps.db.selectFrom('subcloud_endpoints').selectAll().where('subcloud_id', '=', row.id).execute();
    const byType = new Map(endpoints.map((e) => [e.endpoint_type, e.sync_status]));
    const [view] = await this.views([row]);
    const status = row.status ? (JSON.parse(row.status) as SubcloudStatus) : undefined;
    return {
      ...view!,
      endpoint_sync_status: ENDPOINT_TYPES.map((t) => ({ endpoint_type: t, sync_status: byType.get(t) ?? 'unknown' })),
      hosts: status?.hosts ?? null,
      releases: status?.releases ?? [],
    };
  }

  /** Adds a subcloud (unmanaged, offline, pre-enroll) and returns its one-time enroll token. */
  /**
   * `migrate`: adopt a subcloud that another system controller manages now
   * (rehome). It is created `rehome-pending`; its token goes to the old
   * system controller (`subcloud update NAME --system-controller URL
   * --enroll-token T` there), which hands it over as desired state.
   */
  async add(input: { name: string; description?: string; location?: string; group?: string; migrate?: boolean }): Promise<{ subcloud: SubcloudDetail; enroll_token: string; expires_at: string }> {
    if (!NAME_RE.test(input.name) || /^\d+$/.test(input.name)) throw new InputError('name: letters, digits, ".", "_", "-" (not all digits; at most 63)', 'name');
    const group = await this.deps.groups.row(input.group ?? 'Default');
    const now = this.deps.clock.now();
    const token = SUBCLOUD_TOKEN_PREFIX + randomSecret(24);
    const inserted = await this.deps.db
      .insertInto('subclouds')
      .values({
        name: input.name,
        description: input.description ?? '',
        location: input.location ?? '',
        group_id: group.id,
        management_state: 'unmanaged',
        availability_status: 'offline',
        deploy_status: input.migrate ? 'rehome-pending' : 'pre-enroll',
        backup_status: 'unknown',
        prestage_status: null,
        software_version: null,
        error_description: NO_ERRORS,
        error_cause: null,
        system_controller_url: null,
        status: null,
        status_hash: null,
        last_report_at: null,
        enroll_token_hash: sha256Hex(token),
        enroll_expires_at: now + durations.enrollTokenTtlMs,
        credential_hash: null,
        enrolled_at: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new ConflictError(`subcloud ${input.name} already exists`, 'name');
    return { subcloud: await this.show(String(inserted.id)), enroll_token: formatEnrollToken(token, this.deps.pki?.tokenPin()), expires_at: new Date(now + durations.enrollTokenTtlMs).toISOString() };
  }

  /**
   * Issues a new one-time enroll token for a subcloud this system controller
   * knows: the way back for one whose client certificate expired while it
   * was offline longer than its lifetime (an expired certificate is never
   * accepted), or whose credential was lost. Its current credential works
   * until it enrolls with the new token.
   */
  async reissueEnrollToken(ref: string): Promise<{ subcloud: SubcloudDetail; enroll_token: string; expires_at: string }> {
    const row = await this.row(ref);
    if (row.deploy_status === 'secondary') throw new ConflictError(`subcloud ${row.name} reports to another system controller now (${row.system_controller_url ?? 'unknown'}): issue its token there`, 'subcloud');
    if (['rehome-pending', 'rehoming'].includes(row.deploy_status)) throw new ConflictError(`subcloud ${row.name} is ${row.deploy_status}: its rehome token is still the one to use`, 'subcloud');
    const now = this.deps.clock.now();
    const token = SUBCLOUD_TOKEN_PREFIX + randomSecret(24);
    const expires = now + durations.enrollTokenTtlMs;
    await this.deps.db.updateTable('subclouds').set({ enroll_token_hash: sha256Hex(token), enroll_expires_at: expires, updated_at: now }).where('id', '=', row.id).execute();
    return { subcloud: await this.show(String(row.id)), enroll_token: formatEnrollToken(token, this.deps.pki?.tokenPin()), expires_at: new Date(expires).toISOString() };
  }

  /**
   * Reconfigures a subcloud centrally; the change reaches it as desired
   * state. A new `system_controller_url` alone is a new address of this
   * system controller; with `enroll_token` (from `subcloud add --migrate` on
   * another system controller) it is a rehome: the subcloud enrolls there,
   * tells this one, and switches over live.
   */
  async update(ref: string, change: { description?: string; location?: string; group?: string; system_controller_url?: string; enroll_token?: string }): Promise<SubcloudDetail> {
    const row = await this.row(ref);
    const group = change.group !== undefined ? await this.deps.groups.row(change.group) : undefined;
    if (change.system_controller_url !== undefined && !/^https?:\/\/[^\s/]+/.test(change.system_controller_url)) {
      throw new InputError('system_controller_url: must be an http:// or https:// URL', 'system_controller_url');
    }
    if (change.enroll_token !== undefined && change.system_controller_url === undefined) {
      throw new InputError('enroll_token: only with system_controller_url (the system controller the token is for)', 'enroll_token');
    }
    const rehome = change.enroll_token !== undefined;
    if (rehome && row.deploy_status !== 'complete') {
      throw new ConflictError(`cannot rehome ${row.name}: its deploy status is ${row.deploy_status} (rule: only an enrolled, reporting subcloud can move)`, 'deploy_status');
    }
    const reconfigure = rehome || (change.system_controller_url !== undefined && change.system_controller_url !== row.system_controller_url);
    await this.deps.db
      .updateTable('subclouds')
      .set((eb) => ({
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.location !== undefined ? { location: change.location } : {}),
        ...(group ? { group_id: group.id } : {}),
        ...(reconfigure ? { system_controller_url: change.system_controller_url, generation: eb('generation', '+', 1) } : {}),
        ...(rehome ? { rehome: JSON.stringify({ url: change.system_controller_url, enroll_token: change.enroll_token }), deploy_status: 'pre-rehome' } : {}),
        updated_at: this.deps.clock.now(),
      }))
      .where('id', '=', row.id)
      .execute();
    if (reconfigure) this.deps.waiters?.notify(subcloudWaitKey(row.id));
    return this.show(String(row.id));
  }

  /**
   * manage needs the subcloud online and deployed (`complete`), unless forced;
   * unmanage is always allowed (dcmanager's rules).
   */
  async setManagement(ref: string, state: ManagementState, force = false): Promise<SubcloudDetail> {
    const row = await this.row(ref);
    if (row.management_state === state) throw new ConflictError(`subcloud ${row.name} is already ${state}`, 'management_state');
    if (state === 'managed' && !force) {
      if (row.availability_status !== 'online') throw new ConflictError(`cannot manage ${row.name}: it is offline (rule: manage needs an online, deployed subcloud; --force overrides)`, 'management_state');
      if (row.deploy_status !== 'complete') throw new ConflictError(`cannot manage ${row.name}: its deploy status is ${row.deploy_status}, not complete (rule: manage needs an online, deployed subcloud; --force overrides)`, 'management_state');
    }
    await this.deps.db
      .updateTable('subclouds')
      .set((eb) => ({ management_state: state, generation: eb('generation', '+', 1), updated_at: this.deps.clock.now() }))
      .where('id', '=', row.id)
      .execute();
    this.deps.waiters?.notify(subcloudWaitKey(row.id));
    return this.show(String(row.id));
  }

  /** delete needs the subcloud unmanaged and not mid-operation. */
  async delete(ref: string): Promise<void> {
    const row = await this.row(ref);
    if (row.management_state !== 'unmanaged') throw new ConflictError(`cannot delete ${row.name}: it is managed (rule: unmanage it first)`, 'subcloud');
    if (['pre-rehome', 'rehoming'].includes(row.deploy_status)) throw new ConflictError(`cannot delete ${row.name}: it is ${row.deploy_status} (rule: not while an operation is in progress)`, 'subcloud');
    await this.deps.db.deleteFrom('subclouds').where('id', '=', row.id).execute();
    this.deps.credentialsChanged?.();
  }

  /**
   * Trades a subcloud's one-time enroll token for its own credential. The
   * token is spent by the first report; a name other than the one it was
   * issued for is refused.
   */
  async enroll(input: { token: string; name?: string | undefined; csr?: string | undefined; ca_csr?: string | undefined }): Promise<SubcloudEnrollment> {
    const now = this.deps.clock.now();
    const credential = SUBCLOUD_CREDENTIAL_PREFIX + randomSecret(32);
    const tokenHash = sha256Hex(parseEnrollToken(input.token).secret);
    const found = await this.deps.db.selectFrom('subclouds').selectAll().where('enroll_token_hash', '=', tokenHash).executeTakeFirst();
    if (!found) throw new UnauthenticatedError('unknown or already used subcloud enroll token; add the subcloud again or ask for a new token');
    if (found.enroll_expires_at !== null && found.enroll_expires_at <= now) {
      // Recorded outside any transaction that the refusal would roll back.
      await this.deps.db.transaction().execute(async (trx) => {
        await trx.updateTable('subclouds').set({ deploy_status: 'enroll-failed', updated_at: now }).where('id', '=', found.id).execute();
        await this.errorLog.record(
          trx,
          found.id,
          {
            cause: 'enroll_token_expired',
            what: 'enrollment refused: the enroll token expired before the subcloud enrolled',
            evidence: `the token expired at ${iso(found.enroll_expires_at)}; the subcloud tried to enroll at ${iso(now)}`,
            repair: `issue a new token: starling subcloud delete ${NAME_PLACEHOLDER}, then starling subcloud add ${NAME_PLACEHOLDER} and enroll the subcloud with the new token`,
          },
          now,
        );
      });
      throw new UnauthenticatedError(`the enroll token for subcloud ${found.name} has expired`);
    }
    if (input.name !== undefined && found.name !== input.name) throw new UnauthenticatedError(`this enroll token was issued for subcloud ${found.name}, not ${input.name}`, 'name');
    // Signed only once the token is known good, and before anything is written: a refused request leaves nothing behind.
    const pki = this.deps.pki;
    let certificates: Pick<SubcloudEnrollment, 'certificate' | 'ca_certificate'> = {};
    if (pki?.mtls) {
      if (!input.csr) throw new InputError('required: this system controller uses mutual TLS, so a subcloud enrolls with a certificate request (a subcloud older than this system controller must be upgraded)', 'csr');
      certificates = {
        certificate: await pki.signClientCertificate(subcloudPrincipal(found.name), input.csr),
        ...(input.ca_csr ? { ca_certificate: await pki.signIntermediateCa(found.name, input.ca_csr) } : {}),
      };
    }
    // The token stays valid until the subcloud's first report (uplink.service
    // spends it then): over a lossy link the reply carrying the credential
    // can be lost, and the subcloud must be able to ask again. A repeat
    // issues a new credential; the earlier one stops working. One statement,
    // so no transaction around it (at 10,000 enrolling, each round trip counts).
    const credentialHash = sha256Hex(credential);
    const deploy_status = found.deploy_status === 'rehome-pending' || found.deploy_status === 'rehoming' ? 'rehoming' : 'enrolling';
    const written = await this.deps.db
      .updateTable('subclouds')
      .set({ credential_hash: credentialHash, enrolled_at: now, deploy_status, updated_at: now, last_op_seq: 0, status_hash: null, alarms_synced: 0 })
      .where('id', '=', found.id)
      .where('enroll_token_hash', '=', tokenHash)
      .execute();
    const enrolled = { id: found.id, name: found.name, credential, ...certificates };
    await pki?.recordAllIssued([
      ...(certificates.certificate ? [{ type: 'subcloud-client' as const, owner: found.name, pem: certificates.certificate }] : []),
      ...(certificates.ca_certificate ? [{ type: 'subcloud-ica' as const, owner: found.name, pem: certificates.ca_certificate }] : []),
    ]);
    // A re-enrollment replaces a credential that may be cached.
    if (found.credential_hash !== null) this.deps.credentialsChanged?.();
    // Only a credential the row took (its token may have been spent since it was read).
    if (written.some((r) => Number(r.numUpdatedRows) === 1)) this.deps.credentialIssued?.(credentialHash, { id: found.id, name: found.name });
    return enrolled;
  }

  /**
   * dcmanager subcloud errors: the summary fields, and the active errors with
   * their evidence and repair; with `all`, the cleared ones after them.
   */
  async errors(ref: string, options: { all?: boolean } = {}): Promise<{ name: string; error_description: string; error_cause: string | null; items: SubcloudErrorView[] }> {
    const row = await this.row(ref);
    const items = await this.errorLog.list(row.id, { includeCleared: options.all ?? false });
    return { name: row.name, error_description: row.error_description, error_cause: row.error_cause, items };
  }
}

/**
 * Host inventory and enrollment: adding hosts (with StarlingX's limits per
 * system mode), one-time enroll tokens, agent credentials, deletion.
 * Lifecycle actions (lock, unlock ...) and configuration live in their own
 * files; maintenance in the heartbeat monitor.
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { contentToken } from '../../core/canonical.js';
import { durations } from '../../core/durations.js';
import { ConflictError, InputError, NotFoundError, UnauthenticatedError } from '../../core/errors.js';
import { newUuid, randomSecret, sha256Hex } from '../../core/ids.js';
import type { HostRow, Schema } from '../../db/schema.js';
import type { FaultService } from '../alarms/fault.service.js';
import type { SystemService } from '../system/system.service.js';
import { decodeCursor, keysetPage } from '../../api/cursor.js';
import { getHostByName, HOST_STATE_COLUMNS } from './host.store.js';
import { DEFAULT_HOST_CONFIG, PERSONALITIES, type Personality } from './host.types.js';
import { toHostView, type HostView } from './host.views.js';
import { formatEnrollToken, parseEnrollToken } from '../../protocol/enroll-token.js';
import type { PlatformPki } from '../certificates/platform-pki.js';
import { hostPrincipal } from '../../protocol/principals.js';

export const HOSTNAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
const HOSTNAME_RE = new RegExp(HOSTNAME_PATTERN);
export const ENROLL_TOKEN_PREFIX = 'ste_';
export const AGENT_CREDENTIAL_PREFIX = 'sta_';

export interface EnrollTicket {
  host: HostView;
  enroll_token: string;
  expires_at: string;
}

export interface HostServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  system: SystemService;
  fault: FaultService;
  /** Signs agents' client certificates at enrollment and pins tokens to the CA (mutual TLS). */
  pki?: PlatformPki;
}

export class HostService {
  constructor(private readonly deps: HostServiceDeps) {}

  /** Hosts by name, a page at a time, without inventories. */
  async list(page: { limit: number; cursor?: string }): Promise<{ items: Array<Omit<HostView, 'inventory' | 'config'>>; next_cursor: string | null }> {
    let q = this.deps.db.selectFrom('hosts').select(HOST_STATE_COLUMNS);
    if (page.cursor) q = q.where('hostname', '>', decodeCursor(page.cursor, ['string'] as const)[0]);
    const { rows, nextCursor } = keysetPage(await q.orderBy('hostname').limit(page.limit + 1).execute(), page.limit, (r) => [r.hostname]);
    const items = rows.map((r) => {
      const { inventory: _i, config: _c, ...rest } = toHostView({ ...r, inventory: null, stats: null });
      return rest;
    });
    return { items, next_cursor: nextCursor };
  }

  async row(hostname: string): Promise<HostRow> {
    const host = await getHostByName(this.deps.db, hostname);
    if (!host) throw new NotFoundError(`host ${hostname} not found`, 'hostname');
    return host;
  }

  async get(hostname: string): Promise<HostView> {
    return toHostView(await this.row(hostname));
  }

  /**
   * Adds a host (locked, disabled, offline until its agent enrolls) and
   * returns a one-time enroll token for it. Limits follow the system mode:
   * simplex has only controller-0; controllers are controller-0 and -1.
   */
  async add(input: { hostname: string; personality: string }): Promise<EnrollTicket> {
    const { hostname, personality } = input;
    if (!HOSTNAME_RE.test(hostname)) throw new InputError('hostname: use lowercase letters, digits and "-" (at most 63, not starting or ending with "-")', 'hostname');
    if (!(PERSONALITIES as readonly string[]).includes(personality)) throw new InputError(`personality: must be one of ${PERSONALITIES.join(', ')}`, 'personality');
    const system = await this.deps.system.get();
    const now = this.deps.clock.now();
    const token = ENROLL_TOKEN_PREFIX + randomSecret(24);

    const { row, effects } = await this.deps.db.transaction().execute(async (trx) => {
      // Only what the rules need: reading whole rows (inventories) made adds slow down as hosts grew.
      const hosts = await trx.selectFrom('hosts').select(['hostname', 'personality', 'controller_role']).execute();
      if (hosts.some((h) => h.hostname === hostname)) throw new ConflictError(`host ${hostname} already exists`, 'hostname');
      checkAddRules(system.mode, hostname, personality as Personality, hosts);
      const controllers = hosts.filter((h) => h.personality === 'controller');
      const aio = system.mode !== 'standard';
      const config = DEFAULT_HOST_CONFIG;
      const host: HostRow = {
        id: newUuid(now),
        hostname,
        personality,
        subfunctions: personality === 'controller' && aio ? 'controller,worker' : personality,
        administrative: 'locked',
        operational: 'disabled',
        availability: 'offline',
        controller_role: personality === 'controller' ? (controllers.some((c) => c.controller_role === 'active') ? 'standby' : 'active') : null,
        task: null,
        generation: 1,
        config: JSON.stringify(config),
        config_token: contentToken(config),
        actions: '[]',
        observed_generation: 0,
        applied_config_token: null,
        software_target: null,
        software_status: null,
        inventory: null,
        status_hash: null,
        uptime_s: null,
        agent_version: null,
        boot_id: null,
        booted_at: null,
        stats: null,
        stats_at: null,
        last_report_at: null,
        last_op_seq: 0,
        heartbeat: 'none',
        recovery_requested_at: null,
        enroll_token_hash: sha256Hex(token),
        enroll_expires_at: now + durations.enrollTokenTtlMs,
        credential_hash: null,
        enrolled_at: null,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('hosts').values(host).execute();
      // Hosts start locked, and a locked host carries 200.001.
      const effects = await this.deps.fault.applyBatch(trx, {
        raise: [{ alarm_id: '200.001', entity_instance_id: `host=${hostname}`, severity: 'warning', reason_text: `${hostname} was administratively locked to take it out of service.` }],
      });
      return { row: host, effects };
    });
    this.deps.fault.committed(effects);
    return { host: toHostView(row), enroll_token: formatEnrollToken(token, this.deps.pki?.tokenPin()), expires_at: new Date(row.enroll_expires_at!).toISOString() };
  }

  /** Issues a new enroll token (a reinstalled host's agent enrolls again with it). */
  async reissueEnrollToken(hostname: string): Promise<EnrollTicket> {
    const host = await this.row(hostname);
    const now = this.deps.clock.now();
    const token = ENROLL_TOKEN_PREFIX + randomSecret(24);
    const expires = now + durations.enrollTokenTtlMs;
    await this.deps.db.updateTable('hosts').set({ enroll_token_hash: sha256Hex(token), enroll_expires_at: expires, updated_at: now }).where('id', '=', host.id).execute();
    return { host: toHostView({ ...host, enroll_token_hash: sha256Hex(token), enroll_expires_at: expires }), enroll_token: formatEnrollToken(token, this.deps.pki?.tokenPin()), expires_at: new Date(expires).toISOString() };
  }

  /**
   * Exchanges a one-time enroll token for the agent's own credential. The
   * token is spent whatever happens next; a hostname that differs from the
   * host the token was issued for is refused.
   */
  async enroll(input: { token: string; hostname: string; csr?: string | undefined }): Promise<{ host: HostView; credential: string; certificate: string | undefined }> {
    const now = this.deps.clock.now();
    const tokenHash = sha256Hex(parseEnrollToken(input.token).secret);
    const credential = AGENT_CREDENTIAL_PREFIX + randomSecret(32);
    const check = (found: HostRow | undefined): HostRow => {
      if (!found) throw new UnauthenticatedError('unknown or already used enroll token; issue a new one with "starling host enroll-token HOST"');
      if (found.enroll_expires_at !== null && found.enroll_expires_at <= now) {
        throw new UnauthenticatedError(`the enroll token for ${found.hostname} has expired; issue a new one with "starling host enroll-token ${found.hostname}"`);
      }
      if (found.hostname !== input.hostname) {
        throw new UnauthenticatedError(`this enroll token was issued for host ${found.hostname}, not ${input.hostname}`, 'hostname');
      }
      return found;
    };
    // The token is checked before anything is signed, so an anonymous caller cannot make this controller sign.
    check(await this.deps.db.selectFrom('hosts').selectAll().where('enroll_token_hash', '=', tokenHash).executeTakeFirst());
    const pki = this.deps.pki;
    let certificate: string | undefined;
    if (pki?.mtls) {
      if (!input.csr) throw new InputError('required: this controller uses mutual TLS, so an agent enrolls with a certificate request (an agent older than this controller must be upgraded)', 'csr');
      certificate = await pki.signClientCertificate(hostPrincipal(input.hostname), input.csr);
    }
    const host = await this.deps.db.transaction().execute(async (trx) => {
      const found = check(await trx.selectFrom('hosts').selectAll().where('enroll_token_hash', '=', tokenHash).executeTakeFirst());
      // A (re-)enrolled agent starts a new queue at sequence 1 and has no status here yet.
      const change = { enroll_token_hash: null, enroll_expires_at: null, credential_hash: sha256Hex(credential), enrolled_at: now, updated_at: now, last_op_seq: 0, status_hash: null };
      await trx.updateTable('hosts').set(change).where('id', '=', found.id).execute();
      return { ...found, ...change };
    });
    if (certificate) await pki!.recordIssued('host-client', host.hostname, certificate);
    return { host: toHostView(host), credential, certificate };
  }

  /** Deletes a host: it must be locked, and the active controller goes last. */
  async delete(hostname: string): Promise<void> {
    const effects = await this.deps.db.transaction().execute(async (trx) => {
      const host = await getHostByName(trx, hostname);
      if (!host) throw new NotFoundError(`host ${hostname} not found`, 'hostname');
      if (host.administrative !== 'locked') throw new ConflictError(`cannot delete ${hostname}: it is unlocked (rule: a host must be locked before it is deleted)`, 'hostname');
      const others = await trx.selectFrom('hosts').select('id').where('id', '<>', host.id).execute();
      if (host.controller_role === 'active' && others.length > 0) {
        throw new ConflictError(`cannot delete ${hostname}: it is the active controller (rule: swact to the other controller first; the active controller is deleted last)`, 'hostname');
      }
      await trx.deleteFrom('hosts').where('id', '=', host.id).execute();
      // Its alarms clear with it (logged as clear events).
      const keys = await trx
        .selectFrom('alarms')
        .select(['alarm_id', 'entity_instance_id'])
        .where((eb) => eb.or([eb('entity_instance_id', '=', `host=${hostname}`), eb(sql<string>`substr(entity_instance_id, 1, ${hostname.length + 6})`, '=', `host=${hostname}.`)]))
        .execute();
      return this.deps.fault.applyBatch(trx, { clear: keys });
    });
    this.deps.fault.committed(effects);
  }
}

/** StarlingX's limits on which hosts a system of each mode may have. */
function checkAddRules(mode: string, hostname: string, personality: Personality, hosts: Array<Pick<HostRow, 'hostname' | 'personality'>>): void {
  const controllers = hosts.filter((h) => h.personality === 'controller');
  if (personality === 'controller') {
    if (hostname !== 'controller-0' && hostname !== 'controller-1') {
      throw new ConflictError(`controllers are named controller-0 and controller-1, not ${hostname}`, 'hostname');
    }
    if (mode === 'simplex' && hostname !== 'controller-0') {
      throw new ConflictError(`cannot add ${hostname}: an AIO-Simplex system has only controller-0 (rule: change the system mode to duplex first)`, 'hostname');
    }
    if (hostname === 'controller-1' && !controllers.some((c) => c.hostname === 'controller-0')) {
      throw new ConflictError('cannot add controller-1 before controller-0', 'hostname');
    }
    return;
  }
  if (/^controller-\d+$/.test(hostname)) throw new ConflictError(`the name ${hostname} is reserved for controllers`, 'hostname');
  if (mode === 'simplex') throw new ConflictError(`cannot add a ${personality} host to an AIO-Simplex system (rule: simplex has a single all-in-one controller)`, 'personality');
  if (personality === 'storage' && mode !== 'standard') throw new ConflictError('storage hosts need a standard system, not all-in-one', 'personality');
}

/**
 * Deploying a release on this site: StarlingX USM's `software deploy`
 * state machine, one deploy at a time, every step a row so a restart
 * resumes where it was.
 *
 *   precheck → start → start-done → host (per host) ⇄ host-failed → host-done
 *   → activate → activate-done → complete → completed → delete
 *   abort → [activate-rollback-pending → activate-rollback → activate-rollback-done]
 *         → host-rollback (per host) → host-rollback-done → delete
 *
 * Hosts: pending → deploying → deployed | failed; rollback-pending →
 * rollback-deploying → rollback-deployed | rollback-failed.
 *
 * `deploy host H` writes the host's software target (desired state); its
 * agent stages the release, switches, runs the health check (rolling back
 * by itself when it fails) and reports the outcome, which moves the host
 * and the deploy on (`softwareReported`). 900.023 stands while a deploy is in
 * progress; 900.021 for each host whose deploy failed; 900.020 for each host
 * that deployed a reboot-required release and waits to be unlocked (cleared
 * by the unlock, or by its rollback).
 *
 * Removal (USM): starting a deploy of a release that is already deployed,
 * with patches of higher versions deployed above it, deploys it again and
 * takes those patches out: they are `removing` until complete (then
 * `available`), or until an abort's rollback (then `deployed` again).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import type { SoftwareStatus, SoftwareTarget } from '../../protocol/agent-wire.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { BatchInput, FaultService } from '../alarms/fault.service.js';
import type { ReleaseMetadata } from './release-metadata.js';
import type { ReleaseService } from './release.service.js';

export const DEPLOY_STATES = [
  'start', 'start-done', 'start-failed', 'host', 'host-failed', 'host-done', 'activate', 'activate-done', 'activate-failed', 'completed',
  'host-rollback', 'host-rollback-done', 'host-rollback-failed', 'activate-rollback-pending', 'activate-rollback', 'activate-rollback-done', 'activate-rollback-failed',
] as const;
export type DeployState = (typeof DEPLOY_STATES)[number];
export const HOST_DEPLOY_STATES = ['pending', 'deploying', 'deployed', 'failed', 'rollback-pending', 'rollback-deploying', 'rollback-deployed', 'rollback-failed'] as const;
export type HostDeployState = (typeof HOST_DEPLOY_STATES)[number];

/** Alarms a precheck does not count: the deploy's own, and distributed cloud sync. */
const PRECHECK_IGNORED = /^(900\.|280\.00|100\.119$|200\.001$|250\.001$)/;

export interface PrecheckFinding {
  check: 'release' | 'deploy' | 'requires' | 'alarms' | 'hosts' | 'disk';
  ok: boolean;
  detail: string;
}

export interface PrecheckResult {
  release_id: string;
  ok: boolean;
  forced: boolean;
  findings: PrecheckFinding[];
}

export interface HostDeployView {
  hostname: string;
  state: HostDeployState;
  running: string | null;
  error: string | null;
  updated_at: string;
}

export interface DeployView {
  release_id: string;
  from_release: string | null;
  state: DeployState;
  reboot_required: boolean;
  started_at: string;
  updated_at: string;
  hosts: HostDeployView[];
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();
const runningOf = (status: string | null): string | null => (status ? ((JSON.parse(status) as SoftwareStatus).running ?? null) : null);

export class DeployService {
  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock; fault: FaultService; releases: ReleaseService; waiters: Waiters; changed?: () => Promise<unknown> }) {}

  private async current(db: Kysely<Schema> = this.deps.db) {
    return db.selectFrom('software_deploy').selectAll().where('id', '=', 1).executeTakeFirst();
  }

  private async need(states: readonly DeployState[], what: string, db: Kysely<Schema> = this.deps.db) {
    const deploy = await this.current(db);
    if (!deploy) throw new ConflictError(`no software deploy in progress; ${what} needs one ("software deploy start")`);
    if (!states.includes(deploy.state as DeployState)) throw new ConflictError(`the deploy of ${deploy.release_id} is ${deploy.state}; ${what} needs ${states.join(' or ')}`);
    return deploy;
  }

  async precheck(releaseId: string, options: { force?: boolean } = {}): Promise<PrecheckResult> {
    const { db } = this.deps;
    const findings: PrecheckFinding[] = [];
    const release = await this.deps.releases.row(releaseId);
    findings.push(await this.releaseFinding(release));
    const deploy = await this.current();
    findings.push(deploy ? { check: 'deploy', ok: false, detail: `the deploy of ${deploy.release_id} is ${deploy.state}; complete or abort it first` } : { check: 'deploy', ok: true, detail: 'no other deploy in progress' });
    const requires = JSON.parse(release.requires) as string[];
    if (requires.length) {
      const present = await db.selectFrom('releases').select(['id', 'state']).where('id', 'in', requires).execute();
      const missing = requires.filter((r) => !present.some((p) => p.id === r && (p.state === 'deployed' || p.state === 'committed')));
      findings.push(missing.length ? { check: 'requires', ok: false, detail: `requires ${missing.join(', ')} deployed first` } : { check: 'requires', ok: true, detail: `${requires.join(', ')} deployed` });
    } else {
      findings.push({ check: 'requires', ok: true, detail: 'requires nothing' });
    }
    const alarms = (await db.selectFrom('alarms').select(['alarm_id', 'entity_instance_id']).where('mgmt_affecting', '=', 1).execute()).filter((a) => !PRECHECK_IGNORED.test(a.alarm_id));
    if (alarms.length === 0) findings.push({ check: 'alarms', ok: true, detail: 'no management-affecting alarms' });
    else {
      const list = alarms.slice(0, 5).map((a) => `${a.alarm_id} on ${a.entity_instance_id}`).join(', ');
      findings.push({ check: 'alarms', ok: Boolean(options.force), detail: `${alarms.length} management-affecting alarm(s): ${list}${options.force ? ' (ignored: --force)' : '; clear them or use --force'}` });
    }
    const hosts = await db.selectFrom('hosts').select(['hostname', 'administrative', 'operational', 'availability', 'software_status']).orderBy('hostname').execute();
    const unready = hosts.filter((h) => h.administrative !== 'unlocked' || h.operational !== 'enabled' || (h.availability !== 'available' && h.availability !== 'degraded'));
    findings.push(
      unready.length
        ? { check: 'hosts', ok: false, detail: unready.map((h) => `${h.hostname} is ${h.administrative}-${h.operational}-${h.availability}`).join('; ') + '; hosts must be unlocked, enabled and available' }
        : { check: 'hosts', ok: true, detail: `${hosts.length} host(s) unlocked, enabled, available` },
    );
    const need = 2 * Number(release.size_bytes);
    const short = hosts
      .map((h) => ({ h, s: h.software_status ? (JSON.parse(h.software_status) as SoftwareStatus) : undefined }))
      .filter(({ s }) => !s || s.free_bytes < need)
      .map(({ h, s }) => (s ? `${h.hostname} has ${s.free_bytes} bytes free, needs ${need}` : `${h.hostname} has not reported its software status (is its agent running?)`));
    findings.push(short.length ? { check: 'disk', ok: false, detail: short.join('; ') } : { check: 'disk', ok: true, detail: `every host has at least ${need} bytes free` });
    return { release_id: releaseId, ok: findings.every((f) => f.ok), forced: Boolean(options.force), findings };
  }

  /**
   * Whether `release` can be deployed: an available one, or (USM's patch
   * removal) a deployed one with patches deployed above it, which deploying
   * it removes — unless one of them is committed or unremovable.
   */
  private async releaseFinding(release: { id: string; state: string }): Promise<PrecheckFinding> {
    const id = release.id;
    if (release.state === 'available') return { check: 'release', ok: true, detail: `${id} is available` };
    if (release.state !== 'deployed' && release.state !== 'committed') return { check: 'release', ok: false, detail: `${id} is ${release.state}; only an available release can be deployed` };
    const above = await this.above(this.deps.db, id);
    if (!above.length) return { check: 'release', ok: false, detail: `${id} is already the deployed release; nothing above it to remove` };
    const fixed = above.filter((r) => r.state === 'committed' || r.unremovable === 1);
    if (fixed.length) return { check: 'release', ok: false, detail: `deploying ${id} would remove ${fixed.map((r) => `${r.id} (${r.state === 'committed' ? 'committed' : 'unremovable'})`).join(', ')}, which cannot be removed` };
    return { check: 'release', ok: true, detail: `${id} is deployed: deploying it removes ${above.map((r) => r.id).join(', ')}` };
  }

  /** Releases deployed (or committed) with a higher version than `id`: what deploying `id` again removes. */
  private async above(db: Kysely<Schema>, id: string) {
    const rows = await db.selectFrom('releases').select(['id', 'version', 'state', 'unremovable', 'reboot_required']).where('state', 'in', ['deployed', 'committed']).execute();
    const base = rows.find((r) => r.id === id);
    if (!base) return [];
    return rows.filter((r) => r.id !== id && r.version.localeCompare(base.version, undefined, { numeric: true }) > 0);
  }

  async start(releaseId: string, options: { force?: boolean } = {}): Promise<DeployView> {
    const check = await this.precheck(releaseId, options);
    if (!check.ok) {
      const failed = check.findings.filter((f) => !f.ok);
      throw new ConflictError(`precheck failed for ${releaseId}: ${failed.map((f) => `${f.check}: ${f.detail}`).join(' | ')}`, 'release_id');
    }
    const now = this.deps.clock.now();
    const release = await this.deps.releases.row(releaseId);
    await this.write(async (trx) => {
      const deployed = await trx.selectFrom('releases').select('id').where('state', 'in', ['deployed', 'committed']).orderBy('uploaded_at', 'desc').executeTakeFirst();
      const hosts = await trx.selectFrom('hosts').select('id').execute();
      // A site without hosts has nothing to deploy host by host.
      const state: DeployState = hosts.length ? 'start-done' : 'host-done';
      // A deployed release deployed again removes the patches above it: they are `removing` until complete.
      const removing = release.state === 'available' ? [] : await this.above(trx, releaseId);
      const rebootRequired = release.reboot_required === 1 || removing.some((r) => r.reboot_required === 1) ? 1 : 0;
      await trx.insertInto('software_deploy').values({ id: 1, release_id: releaseId, from_release: deployed?.id ?? null, state, reboot_required: rebootRequired, activated: 0, started_at: now, updated_at: now }).execute();
      if (hosts.length) await trx.insertInto('software_deploy_hosts').values(hosts.map((h) => ({ host_id: h.id, state: 'pending', error: null, updated_at: now }))).execute();
      if (removing.length) await trx.updateTable('releases').set({ state: 'removing', updated_at: now }).where('id', 'in', removing.map((r) => r.id)).execute();
      else await trx.updateTable('releases').set({ state: 'deploying', updated_at: now }).where('id', '=', releaseId).execute();
      return { raise: [{ alarm_id: '900.023', entity_instance_id: `release=${releaseId}`, severity: 'major', reason_text: `Software deploy of ${releaseId} in progress` }] };
    });
    return this.show();
  }

  /** Runs `fn` in a transaction and applies the alarm changes it returns with it. */
  private async write(fn: (trx: Kysely<Schema>) => Promise<BatchInput | void>): Promise<void> {
    const effects = await this.deps.db.transaction().execute(async (trx) => {
      const batch = await fn(trx);
      return batch ? this.deps.fault.applyBatch(trx, batch) : undefined;
    });
    if (effects) this.deps.fault.committed(effects);
  }

  private async hostRow(hostname: string, trx: Kysely<Schema>) {
    const host = await trx.selectFrom('hosts').select(['id', 'hostname', 'administrative', 'generation', 'software_status']).where('hostname', '=', hostname).executeTakeFirst();
    if (!host) throw new NotFoundError(`no host ${hostname}`, 'hostname');
    const row = await trx.selectFrom('software_deploy_hosts').selectAll().where('host_id', '=', host.id).executeTakeFirst();
    if (!row) throw new ConflictError(`${hostname} is not part of this deploy (added after it started)`, 'hostname');
    return { host, row };
  }

  private async target(trx: Kysely<Schema>, host: { id: string; generation: number }, target: SoftwareTarget | null, now: number): Promise<void> {
    await trx.updateTable('hosts').set({ software_target: target ? JSON.stringify(target) : null, generation: host.generation + 1, updated_at: now }).where('id', '=', host.id).execute();
  }

  /** `software deploy host H`: the host's agent deploys the release. */
  async deployHost(hostname: string): Promise<DeployView> {
    const now = this.deps.clock.now();
    let hostId = '';
    // Read before the transaction: on SQLite a read outside it would wait for it to end.
    const meta: ReleaseMetadata = await this.deps.releases.metadata((await this.need(['start-done', 'host', 'host-failed'], `deploy host ${hostname}`)).release_id);
    await this.write(async (trx) => {
      const deploy = await this.need(['start-done', 'host', 'host-failed'], `deploy host ${hostname}`, trx);
      if (deploy.release_id !== meta.id) throw new ConflictError('the deploy changed meanwhile; try again');
      const { host, row } = await this.hostRow(hostname, trx);
      hostId = host.id;
      if (row.state !== 'pending' && row.state !== 'failed') throw new ConflictError(`${hostname} is ${row.state} in this deploy; only pending or failed hosts can be deployed`, 'hostname');
      if (deploy.reboot_required === 1 && host.administrative !== 'locked') {
        throw new ConflictError(`${deploy.release_id} is reboot-required: lock ${hostname} first ("host lock ${hostname}"), deploy it, then unlock it`, 'hostname');
      }
      await this.target(trx, host, { key: `${deploy.release_id}:deploy:${now}`, action: 'deploy', release_id: deploy.release_id, files: meta.files, health_check: meta.health_check }, now);
      await trx.updateTable('software_deploy_hosts').set({ state: 'deploying', error: null, updated_at: now }).where('host_id', '=', host.id).execute();
      await trx.updateTable('software_deploy').set({ state: 'host', updated_at: now }).where('id', '=', 1).execute();
      return row.state === 'failed' ? { clear: [{ alarm_id: '900.021', entity_instance_id: `host=${hostname}` }] } : undefined;
    });
    this.deps.waiters.notify(hostId);
    return this.show();
  }

  /** An agent reported its software: a deploy or rollback it was asked for may be done. */
  async softwareReported(hostId: string, status: SoftwareStatus): Promise<void> {
    const result = status.result;
    if (!result) return;
    const now = this.deps.clock.now();
    await this.write(async (trx) => {
      const host = await trx.selectFrom('hosts').select(['hostname', 'software_target']).where('id', '=', hostId).executeTakeFirst();
      const target = host?.software_target ? (JSON.parse(host.software_target) as SoftwareTarget) : null;
      if (!host || !target || target.key !== result.key) return;
      const row = await trx.selectFrom('software_deploy_hosts').selectAll().where('host_id', '=', hostId).executeTakeFirst();
      const deploy = await this.current(trx);
      if (!row || !deploy) return;
      const batch: BatchInput = { raise: [], clear: [] };
      let next: HostDeployState | undefined;
      if (target.action === 'deploy' && row.state === 'deploying') {
        next = result.ok ? 'deployed' : 'failed';
        if (result.ok && deploy.reboot_required === 1) {
          batch.raise!.push({ alarm_id: '900.020', entity_instance_id: `host=${host.hostname}`, severity: 'major', reason_text: `Deploy of ${deploy.release_id} completed on ${host.hostname}; unlock it to run the release` });
        }
        if (!result.ok) {
          batch.raise!.push({ alarm_id: '900.021', entity_instance_id: `host=${host.hostname}`, severity: 'major', reason_text: `Deploy of ${deploy.release_id} failed on ${host.hostname}` });
        }
      } else if (target.action === 'rollback' && row.state === 'rollback-deploying') {
        next = result.ok ? 'rollback-deployed' : 'rollback-failed';
        if (result.ok) batch.clear!.push({ alarm_id: '900.020', entity_instance_id: `host=${host.hostname}` });
      }
      if (!next) return;
      await trx.updateTable('software_deploy_hosts').set({ state: next, error: result.ok ? null : (result.evidence ?? 'failed'), updated_at: now }).where('host_id', '=', hostId).execute();
      await this.settle(trx, deploy.release_id, now, batch);
      return batch;
    });
  }

  /** Moves the deploy on from its hosts' states. */
  private async settle(trx: Kysely<Schema>, releaseId: string, now: number, batch: BatchInput): Promise<void> {
    const deploy = (await this.current(trx))!;
    const states = (await trx.selectFrom('software_deploy_hosts').select('state').execute()).map((r) => r.state as HostDeployState);
    let next: DeployState = deploy.state as DeployState;
    if (deploy.state === 'host' || deploy.state === 'host-failed' || deploy.state === 'start-done') {
      if (states.every((s) => s === 'deployed')) next = 'host-done';
      else if (states.includes('failed')) next = 'host-failed';
      else if (states.some((s) => s !== 'pending')) next = 'host';
    } else if (deploy.state === 'host-rollback' || deploy.state === 'host-rollback-failed') {
      if (states.every((s) => s === 'rollback-deployed')) next = 'host-rollback-done';
      else if (states.includes('rollback-failed')) next = 'host-rollback-failed';
      else next = 'host-rollback';
    }
    if (next === deploy.state) return;
    await trx.updateTable('software_deploy').set({ state: next, updated_at: now }).where('id', '=', 1).execute();
    if (next === 'host-rollback-done') {
      // Back where it started: a new release can be deployed again, or deleted; a removal's patches stay deployed.
      await trx.updateTable('releases').set({ state: 'available', updated_at: now }).where('id', '=', releaseId).where('state', '=', 'deploying').execute();
      await trx.updateTable('releases').set({ state: 'deployed', updated_at: now }).where('state', '=', 'removing').execute();
      batch.clear!.push({ alarm_id: '900.023', entity_instance_id: `release=${releaseId}` });
    }
  }

  async activate(): Promise<DeployView> {
    const now = this.deps.clock.now();
    await this.write(async (trx) => {
      await this.need(['host-done', 'activate-failed'], 'activate', trx);
      await trx.updateTable('software_deploy').set({ state: 'activate-done', activated: 1, updated_at: now }).where('id', '=', 1).execute();
    });
    return this.show();
  }

  async complete(): Promise<DeployView> {
    const now = this.deps.clock.now();
    await this.write(async (trx) => {
      const deploy = await this.need(['activate-done'], 'complete', trx);
      const release = await trx.selectFrom('releases').select(['kind']).where('id', '=', deploy.release_id).executeTakeFirstOrThrow();
      if (release.kind === 'major') {
        // A new major supersedes the earlier ones.
        await trx.updateTable('releases').set({ state: 'unavailable', updated_at: now }).where('state', 'in', ['deployed', 'committed']).execute();
      }
      await trx.updateTable('releases').set({ state: 'deployed', updated_at: now }).where('id', '=', deploy.release_id).execute();
      // A removal: the patches above are gone from the hosts, and can be deployed again or deleted.
      await trx.updateTable('releases').set({ state: 'available', updated_at: now }).where('state', '=', 'removing').execute();
      await trx.updateTable('software_deploy').set({ state: 'completed', updated_at: now }).where('id', '=', 1).execute();
      return { clear: [{ alarm_id: '900.023', entity_instance_id: `release=${deploy.release_id}` }] };
    });
    await this.deps.changed?.();
    return this.show();
  }

  /** Abort: roll back what was done (activation first, then hosts). */
  async abort(): Promise<DeployView> {
    const now = this.deps.clock.now();
    await this.write(async (trx) => {
      const deploy = await this.need(['start-done', 'host', 'host-failed', 'host-done', 'activate-done', 'activate-failed'], 'abort', trx);
      const failed = await trx
        .selectFrom('software_deploy_hosts as d')
        .innerJoin('hosts as h', 'h.id', 'd.host_id')
        .select('h.hostname')
        .where('d.state', '=', 'failed')
        .execute();
      // Hosts that never switched (pending) or switched back on their own (failed) have nothing to undo.
      await trx.updateTable('software_deploy_hosts').set({ state: 'rollback-deployed', updated_at: now }).where('state', 'in', ['pending', 'failed']).execute();
      await trx.updateTable('software_deploy_hosts').set({ state: 'rollback-pending', updated_at: now }).where('state', 'in', ['deploying', 'deployed']).execute();
      await trx.updateTable('software_deploy').set({ state: deploy.activated ? 'activate-rollback-pending' : 'host-rollback', updated_at: now }).where('id', '=', 1).execute();
      // Their 900.021 goes with the deploy they failed in.
      const batch: BatchInput = { clear: failed.map((h) => ({ alarm_id: '900.021', entity_instance_id: `host=${h.hostname}` })) };
      if (!deploy.activated) await this.settle(trx, deploy.release_id, now, batch);
      return batch;
    });
    return this.show();
  }

  async activateRollback(): Promise<DeployView> {
    const now = this.deps.clock.now();
    await this.write(async (trx) => {
      const deploy = await this.need(['activate-rollback-pending', 'activate-rollback-failed'], 'activate-rollback', trx);
      await trx.updateTable('software_deploy').set({ state: 'host-rollback', activated: 0, updated_at: now }).where('id', '=', 1).execute();
      const batch: BatchInput = { clear: [] };
      await this.settle(trx, deploy.release_id, now, batch);
      return batch;
    });
    return this.show();
  }

  /** `software deploy host-rollback H`: the host's agent switches back. */
  async rollbackHost(hostname: string): Promise<DeployView> {
    const now = this.deps.clock.now();
    let hostId = '';
    await this.write(async (trx) => {
      const deploy = await this.need(['host-rollback', 'host-rollback-failed'], `host-rollback ${hostname}`, trx);
      const { host, row } = await this.hostRow(hostname, trx);
      hostId = host.id;
      if (row.state !== 'rollback-pending' && row.state !== 'rollback-failed') throw new ConflictError(`${hostname} is ${row.state}; only rollback-pending or rollback-failed hosts can be rolled back`, 'hostname');
      await this.target(trx, host, { key: `${deploy.release_id}:rollback:${now}`, action: 'rollback', release_id: deploy.release_id, files: [], health_check: null }, now);
      await trx.updateTable('software_deploy_hosts').set({ state: 'rollback-deploying', error: null, updated_at: now }).where('host_id', '=', host.id).execute();
      await trx.updateTable('software_deploy').set({ state: 'host-rollback', updated_at: now }).where('id', '=', 1).execute();
    });
    this.deps.waiters.notify(hostId);
    return this.show();
  }

  /** `software deploy delete`: clears a completed or rolled-back deploy. */
  async delete(): Promise<void> {
    await this.write(async (trx) => {
      const deploy = await this.need(['completed', 'host-rollback-done', 'start-failed'], 'delete', trx);
      await trx.deleteFrom('software_deploy_hosts').execute();
      await trx.deleteFrom('software_deploy').execute();
      await trx.updateTable('hosts').set({ software_target: null }).where('software_target', 'is not', null).execute();
      return { clear: [{ alarm_id: '900.023', entity_instance_id: `release=${deploy.release_id}` }] };
    });
  }

  async show(): Promise<DeployView> {
    const deploy = await this.current();
    if (!deploy) throw new NotFoundError('no software deploy in progress');
    return {
      release_id: deploy.release_id,
      from_release: deploy.from_release,
      state: deploy.state as DeployState,
      reboot_required: deploy.reboot_required === 1,
      started_at: iso(deploy.started_at),
      updated_at: iso(deploy.updated_at),
      hosts: await this.hostList(),
    };
  }

  async hostList(): Promise<HostDeployView[]> {
    const rows = await this.deps.db
      .selectFrom('software_deploy_hosts as d')
      .innerJoin('hosts as h', 'h.id', 'd.host_id')
      .select(['h.hostname', 'h.software_status', 'd.state', 'd.error', 'd.updated_at'])
      .orderBy('h.hostname')
      .execute();
    return rows.map((r) => ({ hostname: r.hostname, state: r.state as HostDeployState, running: runningOf(r.software_status), error: r.error, updated_at: iso(r.updated_at) }));
  }
}

/**
 * Platform backups of a running controller (StarlingX backup.yml): one at a
 * time, in the background, with 210.001 standing while it runs. The row is
 * written before the work starts, so a backup whose process died is found
 * `in-progress` at the next start and failed with the reason, its partial
 * file removed: never listed as complete.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logging.js';
import type { Database } from '../../db/database.js';
import type { BackupRow, Schema } from '../../db/schema.js';
import type { FaultService } from '../alarms/fault.service.js';
import { writeBackup, type BackupSource } from './backup-writer.js';
import type { BackupView } from './backup.views.js';
import { ALARM_RESTORE } from './restore-alarm.js';


export interface BackupDeps {
  db: Kysely<Schema>;
  database: Database;
  clock: Clock;
  fault: FaultService;
  log: Logger;
  /** Where archives go unless an operator names another folder (`<dataDir>/backups`). */
  defaultDir: string;
  /** What goes in: the data, settings, system identity (read when a backup starts). */
  source: () => Promise<Omit<BackupSource, 'database'>>;
}

export type { BackupView } from './backup.views.js';

export const ALARM_BACKUP = '210.001';

/** StarlingX's archive names: `<system>_platform_backup_<YYYY_MM_DD_HH_MM_SS>` in UTC. */
export function backupStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-T:]/g, '_');
}

export class BackupService {
  /** The backup running in this process, if any; its promise settles when the row is final. */
  private running: { id: string; done: Promise<void> } | undefined;

  constructor(private readonly deps: BackupDeps) {}

  /** At start: a backup its process never finished is failed, with its partial file gone. */
  async recover(): Promise<void> {
    const stale = await this.deps.db.selectFrom('backups').selectAll().where('state', '=', 'in-progress').execute();
    for (const row of stale) {
      // Both of what the writer leaves while it works: the archive being packed and its staging folder.
      await rm(`${row.path}.partial`, { force: true });
      await rm(join(dirname(row.path), `.${row.name}.partial`), { recursive: true, force: true });
      await this.finish(row.id, { state: 'failed', error: 'the controller stopped while the backup was being written; the partial archive was removed' });
      this.deps.log.warn({ backup: row.name }, 'a backup left in progress by a stopped controller is marked failed');
    }
    if (stale.length) await this.clearAlarm();
  }

  async create(input: { out_dir?: string; passphrase?: string; schedule?: string; name?: string; ttl_ms?: number }, by: string | null): Promise<BackupView> {
    if (input.out_dir !== undefined && !isAbsolute(input.out_dir)) throw new InputError('out_dir: must be an absolute folder on the controller', 'out_dir');
    const busy = await this.deps.db.selectFrom('backups').select('name').where('state', '=', 'in-progress').executeTakeFirst();
    if (busy || this.running) throw new ConflictError(`a backup is in progress (${busy?.name ?? 'starting'}); one runs at a time`);
    const source = await this.deps.source();
    const now = this.deps.clock.now();
    const name = input.name ?? `${source.system.name}_platform_backup_${backupStamp(now)}`;
    const dir = input.out_dir ?? this.deps.defaultDir;
    const row: BackupRow = {
      id: randomUUID(),
      name,
      state: 'in-progress',
      path: join(dir, `${name}.tar`),
      size: null,
      sha256: null,
      secrets: input.passphrase ? 'sealed' : 'omitted',
      schedule: input.schedule ?? null,
      error: null,
      created_by: by,
      created_at: now,
      completed_at: null,
      expires_at: input.ttl_ms ? now + input.ttl_ms : null,
    };
    try {
      await this.deps.db.insertInto('backups').values(row).execute();
    } catch (err) {
      if (await this.deps.db.selectFrom('backups').select('id').where('name', '=', name).executeTakeFirst()) throw new ConflictError(`a backup named ${name} exists already`);
      throw err;
    }
    await this.deps.fault.raise({ alarm_id: ALARM_BACKUP, entity_instance_id: `host=${source.system.name}`, severity: 'minor', reason_text: `System Backup in progress: ${name}` });
    const done = this.run(row, { ...source, database: this.deps.database }, input.passphrase);
    this.running = { id: row.id, done };
    void done.finally(() => {
      if (this.running?.id === row.id) this.running = undefined;
    });
    return toView(row);
  }

  private async run(row: BackupRow, source: BackupSource, passphrase: string | undefined): Promise<void> {
    try {
      const written = await writeBackup(source, { outDir: dirname(row.path), name: row.name, ...(passphrase ? { passphrase } : {}) });
      await this.finish(row.id, { state: 'complete', size: written.size, sha256: written.sha256 });
      this.deps.log.info({ backup: row.name, path: written.path, bytes: written.size, secrets: row.secrets }, 'platform backup complete');
    } catch (err) {
      const error = describeFailure(err as NodeJS.ErrnoException);
      await this.finish(row.id, { state: 'failed', error }).catch((e: Error) => this.deps.log.error({ err: e.message }, 'could not record the failed backup'));
      this.deps.log.error({ backup: row.name, err: error }, 'platform backup failed');
    } finally {
      await this.clearAlarm().catch((e: Error) => this.deps.log.error({ err: e.message }, 'could not clear 210.001'));
    }
  }

  /** Waits for the backup running in this process (tests, and a CLI that waits). */
  async settled(): Promise<void> {
    await this.running?.done;
  }

  private async finish(id: string, change: Partial<Pick<BackupRow, 'state' | 'size' | 'sha256' | 'error'>>): Promise<void> {
    await this.deps.db
      .updateTable('backups')
      .set({ ...change, completed_at: this.deps.clock.now() })
      .where('id', '=', id)
      .execute();
  }

  private async clearAlarm(): Promise<void> {
    const standing = await this.deps.db.selectFrom('alarms').select('entity_instance_id').where('alarm_id', '=', ALARM_BACKUP).execute();
    if (standing.length) await this.deps.fault.batch({ clear: standing.map((a) => ({ alarm_id: ALARM_BACKUP, entity_instance_id: a.entity_instance_id })) });
  }

  /** StarlingX's `system restore-complete`: the operator says the restored system is back; 210.002 clears. */
  async restoreComplete(): Promise<{ cleared: string[] }> {
    const standing = await this.deps.db.selectFrom('alarms').select('entity_instance_id').where('alarm_id', '=', ALARM_RESTORE).execute();
    if (!standing.length) throw new ConflictError(`no restore is in progress (${ALARM_RESTORE} is not raised)`);
    await this.deps.fault.batch({ clear: standing.map((a) => ({ alarm_id: ALARM_RESTORE, entity_instance_id: a.entity_instance_id })) });
    this.deps.log.info('restore complete: 210.002 cleared');
    return { cleared: standing.map((a) => a.entity_instance_id) };
  }

  async list(): Promise<BackupView[]> {
    return (await this.deps.db.selectFrom('backups').selectAll().orderBy('created_at', 'desc').orderBy('name').execute()).map(toView);
  }

  async get(ref: string): Promise<BackupView> {
    return toView(await this.row(ref));
  }

  private async row(ref: string): Promise<BackupRow> {
    const row = await this.deps.db.selectFrom('backups').selectAll().where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)])).executeTakeFirst();
    if (!row) throw new NotFoundError(`no backup ${ref}`, 'backup');
    return row;
  }

  /** The archive of a complete backup, for download. */
  async archive(ref: string): Promise<{ path: string; size: number; name: string }> {
    const row = await this.row(ref);
    if (row.state !== 'complete' || row.size === null) throw new ConflictError(`backup ${row.name} is ${row.state}: only a complete backup has an archive`);
    return { path: row.path, size: row.size, name: `${row.name}.tar` };
  }

  async delete(ref: string): Promise<void> {
    const row = await this.row(ref);
    if (row.state === 'in-progress') throw new ConflictError(`backup ${row.name} is in progress; delete it once it has finished`);
    await rm(row.path, { force: true });
    await this.deps.db.deleteFrom('backups').where('id', '=', row.id).execute();
  }
}

function describeFailure(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOSPC') return `no space left on the disk${err.path ? ` writing ${err.path}` : ''}; the partial archive was removed`;
  if (err.code === 'EACCES' || err.code === 'EPERM') return `permission denied${err.path ? ` on ${err.path}` : ''}`;
  return err.message.slice(0, 1000);
}

function toView(row: BackupRow): BackupView {
  return {
    id: row.id,
    name: row.name,
    state: row.state as BackupView['state'],
    path: row.path,
    size: row.size,
    sha256: row.sha256,
    secrets: row.secrets as BackupView['secrets'],
    schedule: row.schedule,
    error: row.error,
    created_by: row.created_by,
    created_at: new Date(row.created_at).toISOString(),
    completed_at: row.completed_at === null ? null : new Date(row.completed_at).toISOString(),
    expires_at: row.expires_at === null ? null : new Date(Number(row.expires_at)).toISOString(),
  };
}

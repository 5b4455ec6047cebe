/**
 * Backup schedules (Velero's `schedule create --schedule "0 3 * * *"
 * --ttl 720h`, with StarlingX's platform backup as the thing made): a cron
 * expression evaluated in UTC, a lifetime for each backup, and how many of
 * its backups to keep. A loop ticks them: a due schedule starts a backup
 * named `<schedule>-<YYYYMMDDHHMMSS>`; runs missed while the controller was
 * down are made up once, not once each. The pruning of expired and surplus
 * backups runs in the same tick.
 *
 * A schedule's passphrase is a secret setting (sealed into backups with the
 * others), never shown by the API.
 */
import { Cron } from 'croner';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import { formatDurationText, parseDurationText } from '../../core/duration-text.js';
import type { Logger } from '../../core/logging.js';
import type { BackupScheduleRow, Schema } from '../../db/schema.js';
import { SCHEDULE_PASSPHRASE_PREFIX } from './backup-secrets.js';
import type { BackupService } from './backup.service.js';
import type { BackupScheduleView } from './backup.views.js';


export interface BackupScheduleInput {
  name: string;
  cron: string;
  keep?: number;
  ttl?: string;
  out_dir?: string;
  passphrase?: string;
}

/** The settings key holding a schedule's passphrase (sealed into backups as a secret setting). */
const passphraseKey = (schedule: string) => `${SCHEDULE_PASSPHRASE_PREFIX}${schedule}`;

/** Velero's names: `<schedule>-<YYYYMMDDHHMMSS>` in UTC. */
export const scheduledBackupName = (schedule: string, ms: number): string => `${schedule}-${new Date(ms).toISOString().slice(0, 19).replace(/[-T:]/g, '')}`;

/** Reads a five-field cron expression (UTC); throws InputError naming `cron` with the reason. */
function cronOf(expression: string): Cron {
  if (expression.trim().split(/\s+/).length !== 5) throw new InputError('cron: five fields are expected (minute hour day-of-month month day-of-week), e.g. "0 3 * * *"', 'cron');
  try {
    return new Cron(expression, { timezone: 'UTC', paused: true });
  } catch (err) {
    throw new InputError(`cron: ${(err as Error).message.replace(/^CronPattern: /, '')}`, 'cron');
  }
}

/** The first time after `afterMs` that `cron` fires. */
function nextRun(cron: string, afterMs: number): number | null {
  return cronOf(cron).nextRun(new Date(afterMs))?.getTime() ?? null;
}

export class BackupScheduleService {
  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock; log: Logger; backups: BackupService }) {}

  async create(input: BackupScheduleInput, by: string | null): Promise<BackupScheduleView> {
    const now = this.deps.clock.now();
    const next = nextRun(input.cron, now);
    if (next === null) throw new InputError(`cron: "${input.cron}" never fires`, 'cron');
    let ttl_ms: number | null = null;
    if (input.ttl !== undefined) {
      ttl_ms = parseDurationText(input.ttl) ?? null;
      if (ttl_ms === null) throw new InputError(`ttl: "${input.ttl}" is not a duration such as 30d, 12h or 90m`, 'ttl');
    }
    const row: BackupScheduleRow = {
      name: input.name,
      cron: input.cron.trim().split(/\s+/).join(' '),
      keep: input.keep ?? null,
      ttl_ms,
      out_dir: input.out_dir ?? null,
      paused: 0,
      next_run_at: next,
      last_run_at: null,
      last_backup: null,
      last_error: null,
      created_by: by,
      created_at: now,
    };
    await this.deps.db.transaction().execute(async (trx) => {
      if (await trx.selectFrom('backup_schedules').select('name').where('name', '=', input.name).executeTakeFirst()) throw new ConflictError(`a backup schedule named ${input.name} exists already`);
      await trx.insertInto('backup_schedules').values(row).execute();
      await trx.deleteFrom('settings').where('key', '=', passphraseKey(input.name)).execute();
      if (input.passphrase) await trx.insertInto('settings').values({ key: passphraseKey(input.name), value: input.passphrase }).execute();
    });
    return this.get(input.name);
  }

  async list(): Promise<BackupScheduleView[]> {
    const rows = await this.deps.db.selectFrom('backup_schedules').selectAll().orderBy('name').execute();
    const sealed = await this.sealedNames();
    return rows.map((r) => toView(r, sealed.has(r.name)));
  }

  async get(name: string): Promise<BackupScheduleView> {
    return toView(await this.row(name), (await this.sealedNames()).has(name));
  }

  private async row(name: string): Promise<BackupScheduleRow> {
    const row = await this.deps.db.selectFrom('backup_schedules').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new NotFoundError(`no backup schedule ${name}`, 'schedule');
    return row;
  }

  private async sealedNames(): Promise<Set<string>> {
    const keys = await this.deps.db.selectFrom('settings').select('key').where('key', 'like', `${SCHEDULE_PASSPHRASE_PREFIX}%`).execute();
    // LIKE reads the prefix's "_" as any character: the prefix itself is checked here.
    return new Set(keys.filter((k) => k.key.startsWith(SCHEDULE_PASSPHRASE_PREFIX)).map((k) => k.key.slice(SCHEDULE_PASSPHRASE_PREFIX.length)));
  }

  /** Paused: it makes no backups (its existing ones are still pruned); resumed: due at its next time from now. */
  async setPaused(name: string, paused: boolean): Promise<BackupScheduleView> {
    const row = await this.row(name);
    await this.deps.db
      .updateTable('backup_schedules')
      .set({ paused: paused ? 1 : 0, next_run_at: paused ? null : nextRun(row.cron, this.deps.clock.now()) })
      .where('name', '=', name)
      .execute();
    return this.get(name);
  }

  /** The schedule goes; the backups it made stay until their ttl, or until deleted (as Velero does). */
  async delete(name: string): Promise<void> {
    await this.row(name);
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('backup_schedules').where('name', '=', name).execute();
      await trx.deleteFrom('settings').where('key', '=', passphraseKey(name)).execute();
    });
  }

  /** Starts the backups that are due, then prunes. Returns the names of the backups started. */
  async tick(): Promise<string[]> {
    const now = this.deps.clock.now();
    const due = await this.deps.db.selectFrom('backup_schedules').selectAll().where('paused', '=', 0).where('next_run_at', '<=', now).orderBy('next_run_at').execute();
    const started: string[] = [];
    for (const schedule of due) {
      const name = scheduledBackupName(schedule.name, now);
      let last_error: string | null = null;
      let next = nextRun(schedule.cron, now);
      try {
        const passphrase = await this.deps.db.selectFrom('settings').select('value').where('key', '=', passphraseKey(schedule.name)).executeTakeFirst();
        await this.deps.backups.create(
          { name, schedule: schedule.name, ...(schedule.out_dir ? { out_dir: schedule.out_dir } : {}), ...(passphrase ? { passphrase: passphrase.value } : {}), ...(schedule.ttl_ms ? { ttl_ms: schedule.ttl_ms } : {}) },
          `schedule:${schedule.name}`,
        );
        started.push(name);
        this.deps.log.info({ schedule: schedule.name, backup: name }, 'scheduled backup started');
      } catch (err) {
        last_error = (err as Error).message;
        // Another backup was running: try again in a minute rather than skip to the next day.
        if (err instanceof ConflictError) next = Math.min(next ?? Infinity, now + 60_000);
        this.deps.log.warn({ schedule: schedule.name, err: last_error }, 'scheduled backup not started');
      }
      await this.deps.db
        .updateTable('backup_schedules')
        .set({ next_run_at: next, last_run_at: now, ...(last_error ? { last_error } : { last_error: null, last_backup: name }) })
        .where('name', '=', schedule.name)
        .execute();
    }
    await this.prune(now);
    return started;
  }

  /** Deletes expired backups, and each schedule's complete backups beyond its keep (oldest first). */
  async prune(now = this.deps.clock.now()): Promise<string[]> {
    const expired = await this.deps.db.selectFrom('backups').select('name').where('state', '!=', 'in-progress').where('expires_at', '<=', now).execute();
    const surplus: string[] = [];
    for (const schedule of await this.deps.db.selectFrom('backup_schedules').select(['name', 'keep']).where('keep', 'is not', null).execute()) {
      const kept = await this.deps.db.selectFrom('backups').select('name').where('schedule', '=', schedule.name).where('state', '=', 'complete').orderBy('created_at', 'desc').orderBy('name', 'desc').execute();
      surplus.push(...kept.slice(schedule.keep!).map((b) => b.name));
    }
    const names = [...new Set([...expired.map((b) => b.name), ...surplus])];
    for (const name of names) {
      await this.deps.backups.delete(name).catch((err: Error) => this.deps.log.error({ backup: name, err: err.message }, 'could not prune a backup'));
    }
    if (names.length) this.deps.log.info({ backups: names }, 'pruned backups (expired, or beyond their schedule\'s keep)');
    return names;
  }
}

function toView(row: BackupScheduleRow, sealed: boolean): BackupScheduleView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    name: row.name,
    cron: row.cron,
    keep: row.keep,
    ttl: row.ttl_ms === null ? null : formatDurationText(Number(row.ttl_ms)),
    out_dir: row.out_dir,
    secrets: sealed ? 'sealed' : 'omitted',
    paused: row.paused === 1,
    next_run_at: iso(row.next_run_at === null ? null : Number(row.next_run_at)),
    last_run_at: iso(row.last_run_at === null ? null : Number(row.last_run_at)),
    last_backup: row.last_backup,
    last_error: row.last_error,
    created_by: row.created_by,
    created_at: new Date(Number(row.created_at)).toISOString(),
  };
}

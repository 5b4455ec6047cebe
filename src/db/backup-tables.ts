/** The platform backup tables (schema.ts holds the rest of the database). */

export interface BackupsTable {
  id: string;
  /** `<system>_platform_backup_<UTC timestamp>`, or `<schedule>-<UTC timestamp>`. */
  name: string;
  /** `in-progress`, `complete` or `failed`. */
  state: string;
  /** The archive on this controller's disk. */
  path: string;
  size: number | null;
  sha256: string | null;
  /** `sealed` (with a passphrase) or `omitted`. */
  secrets: string;
  schedule: string | null;
  error: string | null;
  created_by: string | null;
  created_at: number;
  completed_at: number | null;
  /** When the pruning loop deletes it; null: kept until deleted by hand (or by its schedule's keep). */
  expires_at: number | null;
}

export interface BackupSchedulesTable {
  name: string;
  /** Five fields, evaluated in UTC ("0 3 * * *": every day at 03:00 UTC). */
  cron: string;
  /** How many of this schedule's complete backups to keep; null: no count limit. */
  keep: number | null;
  /** Lifetime given to each backup it makes; null: no expiry. */
  ttl_ms: number | null;
  out_dir: string | null;
  /** 0 or 1. */
  paused: number;
  /** The next time it is due (null while paused). */
  next_run_at: number | null;
  last_run_at: number | null;
  last_backup: string | null;
  /** Why its last run made no backup (one was already running, the passphrase file was gone…). */
  last_error: string | null;
  created_by: string | null;
  created_at: number;
}

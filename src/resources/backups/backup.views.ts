/**
 * Backups and schedules as the API shows them: types only, with no imports,
 * so the dashboard type-checks against them (the services are server code).
 */

export interface BackupView {
  id: string;
  name: string;
  state: 'in-progress' | 'complete' | 'failed';
  path: string;
  size: number | null;
  sha256: string | null;
  secrets: 'sealed' | 'omitted';
  schedule: string | null;
  error: string | null;
  created_by: string | null;
  created_at: string;
  completed_at: string | null;
  /** When the pruning loop deletes it; null: kept until deleted. */
  expires_at: string | null;
}

export interface BackupScheduleView {
  name: string;
  cron: string;
  keep: number | null;
  ttl: string | null;
  out_dir: string | null;
  secrets: 'sealed' | 'omitted';
  paused: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
  last_backup: string | null;
  last_error: string | null;
  created_by: string | null;
  created_at: string;
}

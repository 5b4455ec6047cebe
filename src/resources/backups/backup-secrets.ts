/**
 * Which copied values are secrets. They leave the table files and travel
 * sealed with the passphrase (backup-crypto.ts), or not at all: private keys,
 * the session-signing key, a subcloud's credential to its system
 * controller, a site job's release token, backup schedules' passphrases. Password and token *hashes* stay
 * in the rows: they are made to be stored, and a restored system needs them.
 */
import type { Row } from '../../db/snapshot.js';

/** Settings whose whole value is a secret. */
const SECRET_SETTINGS = new Set(['session_signing_key', 'uplink', 'site_job']);
/** The settings key prefix of a backup schedule's passphrase (backup-schedule.service.ts): a secret too. */
export const SCHEDULE_PASSPHRASE_PREFIX = 'backup_schedule_passphrase:';
const isSecretSetting = (key: string) => SECRET_SETTINGS.has(key) || key.startsWith(SCHEDULE_PASSPHRASE_PREFIX);

/** Secret values taken out of the rows, by table, then by row key. */
export interface Secrets {
  certificates: Record<string, string>;
  settings: Record<string, string>;
}

export function emptySecrets(): Secrets {
  return { certificates: {}, settings: {} };
}

/** Takes the secrets out of one page of a table's rows (into `into`), returning the rows to write. */
export function withoutSecrets(table: string, rows: Row[], into: Secrets): Row[] {
  if (table === 'certificates') {
    return rows.map((r) => {
      if (typeof r.key_pem === 'string') into.certificates[String(r.id)] = r.key_pem;
      return { ...r, key_pem: null };
    });
  }
  // The backup's own 210.001 stands while the snapshot is taken: a restored system is not backing up.
  if (table === 'alarms') return rows.filter((r) => r.alarm_id !== '210.001');
  if (table === 'settings') {
    return rows.filter((r) => {
      if (!isSecretSetting(String(r.key))) return true;
      into.settings[String(r.key)] = String(r.value);
      return false;
    });
  }
  return rows;
}

/** Puts the secrets back into one page of a table's rows (restore). */
export function withSecrets(table: string, rows: Row[], secrets: Secrets): Row[] {
  if (table === 'certificates') return rows.map((r) => ({ ...r, key_pem: secrets.certificates[String(r.id)] ?? null }));
  return rows;
}

/** The secret settings rows, to insert after the table's own rows. */
export function secretSettingRows(secrets: Secrets): Row[] {
  return Object.entries(secrets.settings).map(([key, value]) => ({ key, value }));
}

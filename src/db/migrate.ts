import { Migrator, sql, type Migration } from 'kysely';
import type { Database, Dialect } from './database.js';
import { foundation } from './migrations/0001_foundation.js';
import { site } from './migrations/0002_site.js';
import { distributedCloud } from './migrations/0003_distributed_cloud.js';
import { dcSync } from './migrations/0004_dc_sync.js';
import { subcloudErrors } from './migrations/0005_subcloud_errors.js';
import { subcloudHotUpdates } from './migrations/0006_subcloud_hot_updates.js';
import { software } from './migrations/0007_software.js';
import { softwareDeploy } from './migrations/0008_software_deploy.js';
import { swStrategy } from './migrations/0009_sw_strategy.js';
import { fleetStrategy } from './migrations/0010_fleet_strategy.js';
import { certificates } from './migrations/0011_certificates.js';
import { subcloudCertificates } from './migrations/0012_subcloud_certificates.js';
import { endedSessions } from './migrations/0013_ended_sessions.js';
import { backups } from './migrations/0014_backups.js';
import { backupSchedules } from './migrations/0015_backup_schedules.js';

/**
 * Versioned migrations, the same list for both backends, applied in name
 * order at start-up. Never edit a migration that has shipped: add the next.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_foundation': foundation(dialect),
    '0002_site': site(),
    '0003_distributed_cloud': distributedCloud(dialect),
    '0004_dc_sync': dcSync(),
    '0005_subcloud_errors': subcloudErrors(dialect),
    '0006_subcloud_hot_updates': subcloudHotUpdates(dialect),
    '0007_software': software(),
    '0008_software_deploy': softwareDeploy(),
    '0009_sw_strategy': swStrategy(),
    '0010_fleet_strategy': fleetStrategy(),
    '0011_certificates': certificates(),
    '0012_subcloud_certificates': subcloudCertificates(),
    '0013_ended_sessions': endedSessions(),
    '0014_backups': backups(),
    '0015_backup_schedules': backupSchedules(),
  };
}

/** Every migration this version knows, in the order they apply. */
export function knownMigrations(): string[] {
  return Object.keys(migrations('sqlite')).sort();
}

export async function migrateToLatest(database: Database): Promise<string[]> {
  return migrateDatabase(database);
}

/** Applies migrations up to and including `to` (a restore loads rows at the level they were copied at), or all of them. */
export async function migrateDatabase(database: Database, to?: string): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told
  // which one; with several Starling schemas on one server (tests, replicas
  // of different systems) that finds the wrong ones. Pin it to ours.
  let schema: string | undefined;
  try {
    schema =
      database.dialect === 'postgres'
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]?.schema
        : undefined;
  } catch (err) {
    throw new Error(`database ${database.description}: cannot migrate: ${(err as Error).message}`, { cause: err });
  }
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations(database.dialect) },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = to === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(to);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const what = failed ? `migration ${failed} failed` : 'cannot migrate';
    throw new Error(`database ${database.description}: ${what}: ${(error as Error).message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

import { Migrator, type Migration } from 'kysely';
import type { Database, Dialect } from './database.js';
import { foundation } from './migrations/0001_foundation.js';

/**
 * Versioned migrations, the same list for both backends, applied in name
 * order at start-up. Never edit a migration that has shipped: add the next.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_foundation': foundation(dialect),
  };
}

export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations(database.dialect) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * The `software` sync endpoint (StarlingX's dcmanager software audit): a
 * subcloud is in-sync when it has deployed the same releases as the system
 * controller. Unlike identity and platform, this content is not pushed and
 * applied by the sync: deploying software is orchestration's job (a fleet
 * sw-deploy strategy), so the endpoint only reports the difference, and an
 * out-of-sync software endpoint raises no 280.002 — it is the normal state
 * of a fleet between a release and its rollout.
 */
import type { Kysely } from 'kysely';
import { contentToken } from '../../core/canonical.js';
import type { Schema } from '../../db/schema.js';

export interface SoftwareContent {
  /** Ids of the releases deployed (or committed) on the system, sorted. */
  releases: string[];
}

export const DEPLOYED_STATES = ['deployed', 'committed'] as const;

export async function deployedReleases(db: Kysely<Schema>): Promise<SoftwareContent> {
  const rows = await db.selectFrom('releases').select('id').where('state', 'in', [...DEPLOYED_STATES]).orderBy('id').execute();
  return { releases: rows.map((r) => r.id) };
}

export const softwareHash = (content: SoftwareContent): string => contentToken({ releases: [...content.releases].sort() });

export function validSoftware(content: unknown): content is SoftwareContent {
  const releases = (content as SoftwareContent | undefined)?.releases;
  return Array.isArray(releases) && releases.every((r) => typeof r === 'string' && r.length <= 128);
}

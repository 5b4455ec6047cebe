/**
 * The `software` sync endpoint: which releases should be present on a site.
 * The software management issue fills the list; until then it is empty
 * everywhere and the endpoint is in-sync once a subcloud reports.
 */
import type { Kysely } from 'kysely';
import { contentToken } from '../../core/canonical.js';
import type { Schema } from '../../db/schema.js';

export interface SoftwareContent {
  releases: string[];
}

const KEY = 'software_releases';

export async function readSoftware(db: Kysely<Schema>): Promise<SoftwareContent> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
  return row ? (JSON.parse(row.value) as SoftwareContent) : { releases: [] };
}

export async function writeSoftware(db: Kysely<Schema>, content: SoftwareContent): Promise<void> {
  const value = JSON.stringify({ releases: [...content.releases].sort() });
  await db
    .insertInto('settings')
    .values({ key: KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export const softwareHash = (content: SoftwareContent): string => contentToken({ releases: [...content.releases].sort() });

export function validSoftware(content: unknown): content is SoftwareContent {
  const releases = (content as SoftwareContent | undefined)?.releases;
  return Array.isArray(releases) && releases.every((r) => typeof r === 'string' && r.length <= 128);
}

/**
 * Releases on a system (USM's `software upload | list | show | delete`).
 *
 * An upload is all or nothing: the bundle is checked as it streams in
 * (release-bundle.ts); only when its signature and every digest are good do
 * its blobs move into the store and its row appear, `available`. A refused
 * bundle leaves nothing behind: its staging folder is removed.
 *
 * States follow StarlingX: available → deploying → deployed (or back to
 * available when a deploy is aborted and rolled back), deployed → removing,
 * or → unavailable when superseded; committed; upload-failed. Only
 * available, unavailable and upload-failed releases can be deleted.
 */
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import type { ReleaseRow, Schema } from '../../db/schema.js';
import type { BlobStore } from './blob-store.js';
import { readBundle } from './release-bundle.js';
import { blobsOf, checkReleaseMetadata, type ReleaseKind, type ReleaseMetadata } from './release-metadata.js';
import { verifyRelease, type ReleaseSignature } from './release-signature.js';
import { listTrustedKeys } from './trust.store.js';
import type { ReleaseState } from './release-states.js';

const DELETABLE: readonly string[] = ['available', 'unavailable', 'upload-failed'];
/** StarlingX: a system holds at most three major releases. */
export const MAX_MAJORS = 3;

export interface ReleaseView {
  release_id: string;
  version: string;
  kind: ReleaseKind;
  state: ReleaseState;
  summary: string;
  requires: string[];
  reboot_required: boolean;
  unremovable: boolean;
  key_id: string;
  size_bytes: number;
  uploaded_at: string;
  updated_at: string;
}

export interface ReleaseDetail extends ReleaseView {
  description: string;
  health_check: string | null;
  files: Array<{ path: string; sha256: string; size: number; executable: boolean }>;
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

export function toReleaseView(r: ReleaseRow): ReleaseView {
  return {
    release_id: r.id,
    version: r.version,
    kind: r.kind as ReleaseKind,
    state: r.state as ReleaseState,
    summary: r.summary,
    requires: JSON.parse(r.requires) as string[],
    reboot_required: r.reboot_required === 1,
    unremovable: r.unremovable === 1,
    key_id: r.key_id,
    size_bytes: Number(r.size_bytes),
    uploaded_at: iso(r.uploaded_at),
    updated_at: iso(r.updated_at),
  };
}

export class ReleaseService {
  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock; store: BlobStore; changed?: () => Promise<unknown> }) {}

  async upload(input: Readable): Promise<ReleaseDetail> {
    const { db, store } = this.deps;
    const stagingDir = await store.stage();
    try {
      const bundle = await readBundle(input, { trusted: await listTrustedKeys(db), stagingDir, has: (sha) => store.has(sha) });
      await this.checkNew(bundle.metadata);
      await store.adopt(bundle.staged);
      return await this.insert(bundle.metadata, bundle.metadataText, bundle.signature);
    } finally {
      await store.discard(stagingDir);
    }
  }

  /**
   * Adds a release fetched from the system controller (prestage): the
   * signature is checked here against this system's trusted keys, and every
   * blob must already be in the store (each was verified by digest as it
   * arrived). An already present release is left as it is.
   */
  async importFetched(metadataText: string, signature: unknown): Promise<ReleaseDetail> {
    const { db, store } = this.deps;
    const verified = verifyRelease(Buffer.from(metadataText), signature, await listTrustedKeys(db));
    const meta = checkReleaseMetadata(JSON.parse(metadataText) as unknown);
    const existing = await db.selectFrom('releases').select('id').where('id', '=', meta.id).executeTakeFirst();
    if (existing) return this.show(meta.id);
    for (const sha of blobsOf(meta).keys()) if (!(await store.has(sha))) throw new InputError(`release ${meta.id}: blob ${sha} has not been fetched`, 'sha256');
    await this.checkNew(meta);
    return this.insert(meta, metadataText, verified);
  }

  private async insert(meta: ReleaseMetadata, metadataText: string, signature: ReleaseSignature): Promise<ReleaseDetail> {
    const now = this.deps.clock.now();
    await this.deps.db
      .insertInto('releases')
      .values({
        id: meta.id,
        version: meta.version,
        kind: meta.kind,
        state: 'available',
        requires: JSON.stringify(meta.requires),
        reboot_required: meta.reboot_required ? 1 : 0,
        unremovable: meta.unremovable ? 1 : 0,
        summary: meta.summary,
        metadata: metadataText,
        signature: JSON.stringify(signature),
        key_id: signature.key_id,
        size_bytes: [...blobsOf(meta).values()].reduce((a, b) => a + b, 0),
        uploaded_at: now,
        updated_at: now,
      })
      .execute();
    await this.deps.changed?.();
    return this.show(meta.id);
  }

  /** release.json's exact text and its signature, for a subcloud to check and fetch. */
  async signed(id: string): Promise<{ metadata: string; signature: ReleaseSignature }> {
    const row = await this.row(id);
    return { metadata: row.metadata, signature: JSON.parse(row.signature) as ReleaseSignature };
  }

  private async checkNew(meta: ReleaseMetadata): Promise<void> {
    const existing = await this.deps.db.selectFrom('releases').select('state').where('id', '=', meta.id).executeTakeFirst();
    if (existing) throw new ConflictError(`release ${meta.id} is already uploaded (${existing.state}); delete it first to upload it again`, 'release_id');
    if (meta.kind === 'major') {
      const majors = await this.deps.db.selectFrom('releases').select('id').where('kind', '=', 'major').execute();
      if (majors.length >= MAX_MAJORS) throw new ConflictError(`a system holds at most ${MAX_MAJORS} major releases (${majors.map((m) => m.id).join(', ')}); delete one first`, 'release_id');
    }
  }

  async list(filter: { state?: string } = {}): Promise<ReleaseView[]> {
    let q = this.deps.db.selectFrom('releases').selectAll().orderBy('id');
    if (filter.state) q = q.where('state', '=', filter.state);
    return (await q.execute()).map(toReleaseView);
  }

  async row(id: string): Promise<ReleaseRow> {
    const row = await this.deps.db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no release ${id}`, 'release_id');
    return row;
  }

  async metadata(id: string): Promise<ReleaseMetadata> {
    return JSON.parse((await this.row(id)).metadata) as ReleaseMetadata;
  }

  async show(id: string): Promise<ReleaseDetail> {
    const row = await this.row(id);
    const meta = JSON.parse(row.metadata) as ReleaseMetadata;
    return { ...toReleaseView(row), description: meta.description, health_check: meta.health_check, files: meta.files };
  }

  async delete(id: string): Promise<void> {
    const { db, store } = this.deps;
    const row = await this.row(id);
    if (!DELETABLE.includes(row.state)) throw new ConflictError(`release ${id} is ${row.state}; only ${DELETABLE.join(', ')} releases can be deleted`, 'release_id');
    const others = await db.selectFrom('releases').select(['id', 'state', 'requires', 'metadata']).where('id', '!=', id).execute();
    const dependents = others.filter((o) => !DELETABLE.includes(o.state) && (JSON.parse(o.requires) as string[]).includes(id));
    if (dependents.length) throw new ConflictError(`release ${id} is required by ${dependents.map((d) => `${d.id} (${d.state})`).join(', ')}`, 'release_id');
    await db.deleteFrom('releases').where('id', '=', id).execute();
    // Blobs are shared by digest: keep those another release still lists.
    const kept = new Set(others.flatMap((o) => [...blobsOf(JSON.parse(o.metadata) as ReleaseMetadata).keys()]));
    for (const sha of blobsOf(JSON.parse(row.metadata) as ReleaseMetadata).keys()) if (!kept.has(sha)) await store.remove(sha);
    await this.deps.changed?.();
  }

  /**
   * Commits a deployed patch (StarlingX `software commit-patch`): it and the
   * deployed releases it requires, transitively, become `committed` — a
   * permanent part of the system that can no longer be removed or deleted.
   */
  async commit(id: string): Promise<ReleaseView[]> {
    const { db, clock } = this.deps;
    const row = await this.row(id);
    if (row.kind !== 'patch') throw new ConflictError(`release ${id} is a major release; only patches are committed`, 'release_id');
    if (row.state !== 'deployed' && row.state !== 'committed') throw new ConflictError(`release ${id} is ${row.state}; only a deployed patch can be committed`, 'release_id');
    const all = await db.selectFrom('releases').select(['id', 'state', 'requires']).execute();
    const byId = new Map(all.map((r) => [r.id, r]));
    const chosen = new Set<string>();
    const walk = (rid: string) => {
      const r = byId.get(rid);
      if (!r || chosen.has(rid) || (r.state !== 'deployed' && r.state !== 'committed')) return;
      chosen.add(rid);
      for (const req of JSON.parse(r.requires) as string[]) walk(req);
    };
    walk(id);
    const ids = [...chosen].filter((rid) => byId.get(rid)!.state === 'deployed');
    if (ids.length) await db.updateTable('releases').set({ state: 'committed', updated_at: clock.now() }).where('id', 'in', ids).where('state', '=', 'deployed').execute();
    return (await db.selectFrom('releases').selectAll().where('id', 'in', [...chosen]).orderBy('id').execute()).map(toReleaseView);
  }

  /** A blob of a release, for download: its path and size. */
  async blob(id: string, sha256: string): Promise<{ path: string; size: number }> {
    const meta = await this.metadata(id);
    if (!meta.files.some((f) => f.sha256 === sha256)) throw new NotFoundError(`release ${id} has no blob ${sha256}`, 'sha256');
    const size = await this.deps.store.size(sha256);
    if (size === undefined) throw new NotFoundError(`blob ${sha256} of release ${id} is not in this system's store`, 'sha256');
    return { path: this.deps.store.pathOf(sha256), size };
  }
}

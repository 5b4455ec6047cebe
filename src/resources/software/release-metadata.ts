/**
 * A release's metadata — what `release.json` in a bundle holds and what its
 * ed25519 signature covers: id, version, kind (`patch` | `major`), what it
 * requires, whether hosts must reboot, whether it can be removed, a summary,
 * and every content file by path, size and sha256. Because the digests are
 * inside the signed metadata, the signature vouches for every byte of
 * content; a blob is accepted only if it hashes to a digest listed here.
 *
 * The checks below are for bundles from outside: each error names the
 * field and the reason.
 */
import { InputError } from '../../core/errors.js';

export const RELEASE_FORMAT = 'starling-release/1';
export const RELEASE_KINDS = ['patch', 'major'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

export interface ReleaseFile {
  /** Relative POSIX path inside the deployment ("bin/app"). */
  path: string;
  sha256: string;
  size: number;
  /** Whether it is executable (0755) or not (0644). */
  executable: boolean;
}

export interface ReleaseMetadata {
  format: typeof RELEASE_FORMAT;
  /** "starling-1.0.1": unique on a system. */
  id: string;
  version: string;
  kind: ReleaseKind;
  /** Release ids that must be deployed first. */
  requires: string[];
  reboot_required: boolean;
  unremovable: boolean;
  summary: string;
  description: string;
  /** A content path run after a host switches to the release; non-zero exit rolls it back. */
  health_check: string | null;
  files: ReleaseFile[];
}

/** The subset an author writes in the build folder's release.json. */
export type ReleaseSource = Omit<ReleaseMetadata, 'format' | 'files'>;

export const RELEASE_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const VERSION_RE = /^\d{1,4}\.\d{1,4}(\.\d{1,4})?$/;
export const SHA256_RE = /^[0-9a-f]{64}$/;
const MAX_FILES = 100_000;

/** A relative path with no "..", no empty or dot segments, no backslashes. */
export function checkContentPath(path: unknown, field: string): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 1024) throw new InputError(`${field}: a relative path of 1 to 1024 characters`, field);
  const bad = path.startsWith('/') || path.includes('\\') || path.includes('\0') || path.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new InputError(`${field}: ${JSON.stringify(path)} must be a relative path without "..", "." or empty segments`, field);
  return path;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the author's part (release.json in a build folder, or the metadata of a bundle). */
export function checkReleaseSource(raw: unknown, where: string): ReleaseSource {
  if (!isObject(raw)) throw new InputError(`${where}: must be a JSON object`, where);
  const field = (name: string) => `${where}.${name}`;
  const str = (name: string, max: number, required = true): string => {
    const v = raw[name];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string' || v.length > max || (required && v.length === 0)) throw new InputError(`${field(name)}: ${required ? 'required, ' : ''}a string of at most ${max} characters`, field(name));
    return v;
  };
  const bool = (name: string): boolean => {
    const v = raw[name] ?? false;
    if (typeof v !== 'boolean') throw new InputError(`${field(name)}: true or false`, field(name));
    return v;
  };
  const id = str('id', 64);
  if (!RELEASE_ID_RE.test(id)) throw new InputError(`${field('id')}: ${JSON.stringify(id)} must be lower-case letters, digits, ".", "_" or "-" (like starling-1.0.1)`, field('id'));
  const version = str('version', 14);
  if (!VERSION_RE.test(version)) throw new InputError(`${field('version')}: ${JSON.stringify(version)} must look like 1.0 or 1.0.1`, field('version'));
  const kind = raw.kind ?? 'patch';
  if (!RELEASE_KINDS.includes(kind as ReleaseKind)) throw new InputError(`${field('kind')}: one of ${RELEASE_KINDS.join(', ')}`, field('kind'));
  const requires = raw.requires ?? [];
  if (!Array.isArray(requires) || requires.length > 100 || !requires.every((r) => typeof r === 'string' && RELEASE_ID_RE.test(r))) {
    throw new InputError(`${field('requires')}: a list of release ids`, field('requires'));
  }
  if (requires.includes(id)) throw new InputError(`${field('requires')}: a release cannot require itself`, field('requires'));
  const healthCheck = raw.health_check ?? null;
  if (healthCheck !== null) checkContentPath(healthCheck, field('health_check'));
  return {
    id,
    version,
    kind: kind as ReleaseKind,
    requires: [...new Set(requires as string[])],
    reboot_required: bool('reboot_required'),
    unremovable: bool('unremovable'),
    summary: str('summary', 200),
    description: str('description', 4000, false),
    health_check: healthCheck as string | null,
  };
}

/** Checks a whole metadata document from a bundle. */
export function checkReleaseMetadata(raw: unknown): ReleaseMetadata {
  if (!isObject(raw)) throw new InputError('release.json: must be a JSON object', 'release.json');
  if (raw.format !== RELEASE_FORMAT) throw new InputError(`release.json.format: ${JSON.stringify(raw.format)} is not ${RELEASE_FORMAT}; rebuild the bundle with this version's "starling release build"`, 'release.json.format');
  const source = checkReleaseSource(raw, 'release.json');
  const files = raw.files;
  if (!Array.isArray(files) || files.length === 0 || files.length > MAX_FILES) throw new InputError(`release.json.files: a list of 1 to ${MAX_FILES} files`, 'release.json.files');
  const seen = new Set<string>();
  const checked = files.map((f: unknown, i): ReleaseFile => {
    const at = `release.json.files[${i}]`;
    if (!isObject(f)) throw new InputError(`${at}: must be an object`, at);
    const path = checkContentPath(f.path, `${at}.path`);
    if (seen.has(path)) throw new InputError(`${at}.path: ${path} is listed twice`, `${at}.path`);
    seen.add(path);
    if (typeof f.sha256 !== 'string' || !SHA256_RE.test(f.sha256)) throw new InputError(`${at}.sha256: 64 lower-case hex digits`, `${at}.sha256`);
    if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) throw new InputError(`${at}.size: a byte count`, `${at}.size`);
    return { path, sha256: f.sha256, size: f.size, executable: f.executable === true };
  });
  if (source.health_check !== null && !seen.has(source.health_check)) {
    throw new InputError(`release.json.health_check: ${source.health_check} is not one of the release's files`, 'release.json.health_check');
  }
  return { format: RELEASE_FORMAT, ...source, files: checked };
}

/** The distinct blobs (by digest) a release's files need, with their sizes. */
export function blobsOf(meta: Pick<ReleaseMetadata, 'files'>): Map<string, number> {
  return new Map(meta.files.map((f) => [f.sha256, f.size]));
}

/**
 * Reads that never throw: a missing, unreadable or odd file is `undefined`
 * (an empty list for a directory). Every path is taken under `root`, so tests
 * can point the readers at a fixture tree.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** `p` (absolute, as on a live system) under `root`. */
export function under(root: string, p: string): string {
  return join(root, p);
}

/** A file's text, or undefined. */
export async function readText(root: string, p: string): Promise<string | undefined> {
  try {
    return await readFile(under(root, p), 'utf8');
  } catch {
    return undefined;
  }
}

/** A file's trimmed text, or undefined when unreadable or blank. */
export async function readTrimmed(root: string, p: string): Promise<string | undefined> {
  const text = (await readText(root, p))?.trim();
  return text ? text : undefined;
}

/** A whole decimal integer (surrounding whitespace allowed), or undefined. */
export function parseIntStrict(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || !/^-?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A file holding one integer, or undefined. */
export async function readInt(root: string, p: string): Promise<number | undefined> {
  return parseIntStrict(await readText(root, p));
}

/** The last component of a symlink's target (a driver's name), or undefined. */
export async function readLinkName(root: string, p: string): Promise<string | undefined> {
  try {
    const name = basename(await readlink(under(root, p)));
    return name || undefined;
  } catch {
    return undefined;
  }
}

/** A directory's entry names, sorted; empty when it cannot be listed. */
export async function listDir(root: string, p: string): Promise<string[]> {
  try {
    return (await readdir(under(root, p))).sort();
  } catch {
    return [];
  }
}

/** Entries named `<prefix><N>` (cpu3, node1), as their numbers, ascending. */
export async function listNumbered(root: string, p: string, prefix: string): Promise<number[]> {
  const re = new RegExp(`^${prefix}(\\d+)$`);
  const ids: number[] = [];
  for (const name of await listDir(root, p)) {
    const m = re.exec(name);
    if (m) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

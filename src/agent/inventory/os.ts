/** The distribution, from os-release(5): /etc/os-release, else /usr/lib/os-release. */
import { readText } from './read.js';
import type { OsInfo } from './types.js';

/** KEY=value lines, values optionally quoted ("..." with backslash escapes, or '...'). */
export function parseOsRelease(text: string | undefined): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const dq = /^"(.*)"$/.exec(value);
    const sq = /^'(.*)'$/.exec(value);
    if (dq) value = dq[1].replace(/\\(["\\`$])/g, '$1');
    else if (sq) value = sq[1];
    fields.set(m[1], value);
  }
  return fields;
}

export async function readOs(root = '/'): Promise<OsInfo> {
  const text = (await readText(root, '/etc/os-release')) ?? (await readText(root, '/usr/lib/os-release'));
  const fields = parseOsRelease(text);
  return {
    name: fields.get('NAME') || 'unknown',
    version: fields.get('VERSION_ID') || fields.get('VERSION') || 'unknown',
  };
}

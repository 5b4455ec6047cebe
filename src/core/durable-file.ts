import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * Replaces a file so that after a crash or a power cut it holds either the
 * old or the new content, never a torn or empty one: write a temporary file
 * (mode 0600), fsync it, then rename it over the old.
 */
export function writeDurably(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

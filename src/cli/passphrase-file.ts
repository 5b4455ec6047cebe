/** A passphrase given as a file (never as a flag value, which would sit in shell history and `ps`). */
import { readFileSync } from 'node:fs';
import { CliError } from './errors.js';

/** The file's first line, at least 8 characters. */
export function passphraseFrom(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`--passphrase-file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line.length < 8) throw new CliError(`--passphrase-file ${path}: the passphrase (its first line) needs at least 8 characters`);
  return line;
}

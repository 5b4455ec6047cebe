/**
 * The CAs of the controllers a test started, by origin: tests call real
 * HTTPS controllers the way the CLI does, trusting each one's own CA (the
 * file `serve` prints at start), never by turning verification off.
 */
import { readFileSync } from 'node:fs';
import { tlsFetch } from '../../src/pki/tls-fetch.js';

const byOrigin = new Map<string, { caFile: string; fetch: typeof fetch }>();

export function trustController(url: string, caFile: string): void {
  byOrigin.set(new URL(url).origin, { caFile, fetch: tlsFetch({ ca: readFileSync(caFile, 'utf8') }) });
}

/** The CA file of a controller this test started (for STARLING_CA_FILE). */
export function caFileOf(url: string): string | undefined {
  return byOrigin.get(new URL(url).origin)?.caFile;
}

/** fetch that trusts the CA of the controller at that origin (plain fetch for http://). */
export const testFetch: typeof fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return (byOrigin.get(new URL(url).origin)?.fetch ?? fetch)(input, init);
};

/**
 * fetch() over a child's pinned TLS: node's global fetch cannot be given a
 * CA or a client certificate, so requests that stream content (release
 * blobs, signed metadata) go through undici's fetch with an Agent that
 * carries them. Without TLS material it is the global fetch. undici is
 * loaded on the first request, not at start: an idle agent never needs it,
 * and its memory is measured.
 */
import type { ClientTls } from './client-tls.js';
import { clientTlsOptions } from './client-tls.js';

export function tlsFetch(tls: ClientTls | undefined): typeof fetch {
  if (!tls) return globalThis.fetch;
  let loaded: Promise<typeof fetch> | undefined;
  const load = async (): Promise<typeof fetch> => {
    const { Agent, fetch: undiciFetch } = await import('undici');
    const dispatcher = new Agent({ connect: clientTlsOptions(tls) });
    return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
      undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as typeof fetch;
  };
  return (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => (await (loaded ??= load()))(input, init)) as typeof fetch;
}

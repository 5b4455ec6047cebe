/**
 * fetch() over a child's pinned TLS: node's global fetch cannot be given a
 * CA or a client certificate, so requests that stream content (release
 * blobs, signed metadata) go through undici's fetch with an Agent that
 * carries them. Without TLS material it is the global fetch.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { clientTlsOptions, type ClientTls } from './child-enrollment.js';

export function tlsFetch(tls: ClientTls | undefined): typeof fetch {
  if (!tls) return globalThis.fetch;
  const dispatcher = new Agent({ connect: clientTlsOptions(tls) });
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as typeof fetch;
}

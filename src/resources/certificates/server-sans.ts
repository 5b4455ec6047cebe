/**
 * The names a controller's API certificate carries: loopback, this machine's
 * host name, the address it listens on (every interface address when it
 * listens on all of them), and the operator's `--tls-san` names. A child
 * that reaches the controller by a name not listed fails the TLS name
 * check, so the list errs on the side of every address the machine has.
 */
import { hostname, networkInterfaces } from 'node:os';

const ANY = new Set(['0.0.0.0', '::', '[::]']);

export function serverSans(host: string, extra: readonly string[] = []): string[] {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1', hostname()]);
  if (ANY.has(host)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const a of addresses ?? []) if (!a.address.startsWith('fe80:')) names.add(a.address);
    }
  } else names.add(host.replace(/^\[|\]$/g, ''));
  for (const name of extra) names.add(name);
  return [...names].sort();
}

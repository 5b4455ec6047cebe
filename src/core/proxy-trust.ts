/**
 * Which proxies' X-Forwarded-For is believed (`--trust-proxy`). Believing
 * every peer (the old boolean) lets any client pick its own address: it
 * walked past the per-address login limit and wrote made-up sources into
 * the audit log. So the setting names the proxies, by address or CIDR
 * (`10.0.0.5,10.1.0.0/16`, or `loopback`), or says how many proxy hops
 * stand in front (`1`): Fastify then takes the right-most address that was
 * not added by a trusted proxy, which a client cannot forge.
 */
import { BlockList, isIP } from 'node:net';

/** What Fastify's `trustProxy` is given: nothing, a hop count, or the trusted addresses and CIDRs. */
export type ProxyTrust = false | number | string[];

const NAMED: Record<string, string[]> = { loopback: ['127.0.0.1/8', '::1/128'] };
const MAX_HOPS = 10;

/** Parses the setting; a bad value throws with the reason (the config loader names the setting). */
export function parseProxyTrust(value: string | undefined): ProxyTrust {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') {
    throw new Error('true would believe any client\'s X-Forwarded-For; give the proxies\' addresses or CIDRs (e.g. 10.0.0.5,10.1.0.0/16, or loopback) or the number of proxy hops in front (e.g. 1)');
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > MAX_HOPS) throw new Error(`a hop count must be from 1 to ${MAX_HOPS}, not ${value}`);
    return hops;
  }
  const entries = value.split(',').map((v) => v.trim()).filter(Boolean);
  const expanded: string[] = [];
  for (const entry of entries) {
    const named = NAMED[entry];
    if (named) {
      expanded.push(...named);
      continue;
    }
    if (!isAddressOrCidr(entry)) throw new Error(`"${entry}" is not an IP address, a CIDR (10.1.0.0/16) or loopback`);
    expanded.push(entry);
  }
  return expanded;
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (!family) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Whether a peer address is one of the trusted proxies (a hop count names no address, so none is). */
export function trustedProxyMatcher(trust: ProxyTrust): (address: string) => boolean {
  if (!Array.isArray(trust)) return () => false;
  const list = new BlockList();
  for (const entry of trust) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (peer) => {
    // An IPv4 client on a dual-stack listener shows as ::ffff:a.b.c.d.
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer)?.[1];
    const address = v4 ?? peer;
    return isIP(address) !== 0 && list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  };
}

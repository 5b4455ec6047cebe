/**
 * Which host actions are allowed, after StarlingX's sysinv and maintenance
 * rules. Pure: each refusal is a sentence naming the rule.
 */
import type { HostRow } from '../../db/schema.js';

export const HOST_ACTIONS = ['lock', 'unlock', 'reboot', 'reinstall', 'swact'] as const;
export type HostAction = (typeof HOST_ACTIONS)[number];

export interface GuardContext {
  host: HostRow;
  /** The system mode: simplex, duplex or standard. */
  mode: string;
  /** The other controller, if any. */
  peer: HostRow | undefined;
  force: boolean;
}

/** The reason the action is refused, or undefined when it is allowed. */
export function refusal(action: HostAction, c: GuardContext): string | undefined {
  const { host, mode, peer, force } = c;
  const reachable = host.availability !== 'offline' && host.availability !== 'failed';
  switch (action) {
    case 'lock':
      if (host.administrative === 'locked') return `${host.hostname} is already locked`;
      if (host.controller_role === 'active' && mode !== 'simplex') return `the active controller can only be locked on simplex; swact to ${peer?.hostname ?? 'the other controller'} first`;
      if (!reachable && !force) return `${host.hostname} is ${host.availability}; use force lock (--force) to lock a host that cannot be reached`;
      return undefined;
    case 'unlock':
      if (host.administrative === 'unlocked') return `${host.hostname} is already unlocked`;
      if (!reachable) return `${host.hostname} is ${host.availability}; its agent must be reporting before it can be unlocked`;
      return undefined;
    case 'reboot':
    case 'reinstall':
      if (host.administrative !== 'locked') return `${action} needs a locked host; lock ${host.hostname} first`;
      return undefined;
    case 'swact':
      if (host.personality !== 'controller') return `swact is for controllers; ${host.hostname} is a ${host.personality}`;
      if (mode === 'simplex') return 'swact needs two controllers; a simplex system has one';
      if (host.controller_role !== 'active') return `${host.hostname} is not the active controller; swact from the active one`;
      if (!peer) return 'swact needs a standby controller, and there is none';
      if (peer.administrative !== 'unlocked' || peer.availability !== 'available') {
        return `swact needs the standby controller ${peer.hostname} unlocked and available (it is ${peer.administrative}/${peer.availability})`;
      }
      return undefined;
  }
}

/** A host's three states and its actions, shared by the list and the detail view. */
import { post } from '../api';
import { ActionButton } from './ActionButton';
import { Badge } from './Bits';

export interface Host {
  hostname: string;
  personality: string;
  administrative: string;
  operational: string;
  availability: string;
  task: string | null;
  controller_role: string | null;
  config_status: string;
  inventory: unknown;
  agent_version: string | null;
  last_report_at: string | null;
}

export function HostStates({ host }: { host: Host }) {
  return (
    <span>
      <Badge value={host.administrative} /> <Badge value={host.operational} /> <Badge value={host.availability} />
    </span>
  );
}

export function HostActions({ host, done }: { host: Host; done: () => void }) {
  const act = (action: string) => () => post(`/hosts/${encodeURIComponent(host.hostname)}/actions`, { action });
  const h = host.hostname;
  return (
    <span className="actions">
      {host.administrative === 'unlocked' ? (
        <ActionButton label="Lock" danger confirm={`Lock ${h}? Its services move off it.`} run={act('lock')} done={done} />
      ) : (
        <ActionButton label="Unlock" confirm={`Unlock ${h}? It reboots into service.`} run={act('unlock')} done={done} />
      )}
      {host.personality === 'controller' && host.controller_role === 'active' && <ActionButton label="Swact" confirm={`Swact ${h}? The standby controller takes over.`} run={act('swact')} done={done} />}
      {host.administrative === 'locked' && <ActionButton label="Reboot" danger confirm={`Reboot ${h}?`} run={act('reboot')} done={done} />}
    </span>
  );
}

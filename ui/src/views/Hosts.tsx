/** The controller's hosts (system host-list) with their states and the actions an operator may take. */
import type { Page } from '../api';
import { ErrorText, Table } from '../components/Bits';
import { HostActions, HostStates, type Host } from '../components/HostBits';
import { useCan, useResource } from '../hooks';
import { href } from '../router';

export function Hosts() {
  const can = useCan();
  const hosts = useResource<Page<Host>>('/hosts?limit=500', 3000);
  return (
    <section aria-labelledby="hosts-title">
      <h1 id="hosts-title">Hosts</h1>
      <ErrorText error={hosts.error} />
      <Table
        caption="Hosts of this system"
        head={['Hostname', 'Personality', 'State', 'Task', ...(can('operator') ? ['Actions'] : [])]}
        empty="No hosts yet: add one with starling host add."
        rows={(hosts.data?.items ?? []).map((h) => [
          <a href={href('hosts', h.hostname)}>{h.hostname}</a>,
          `${h.personality}${h.controller_role ? ` (${h.controller_role})` : ''}`,
          <HostStates host={h} />,
          h.task ?? '',
          ...(can('operator') ? [<HostActions host={h} done={hosts.reload} />] : []),
        ])}
      />
    </section>
  );
}

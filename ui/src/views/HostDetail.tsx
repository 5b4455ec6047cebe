/** One host: states, actions, and its inventory (CPU topology with NUMA and SMT, memory, disks, NICs, kernel). */
import { ErrorText, Loading, Table, when } from '../components/Bits';
import { HostActions, HostStates, type Host } from '../components/HostBits';
import { useCan, useResource } from '../hooks';
import { href } from '../router';

interface Cpu {
  id: number;
  socket: number;
  core: number;
  numa_node: number;
  siblings: number[];
}
interface Inventory {
  cpu: 'unknown' | { model: string; sockets: number; cores: number; threads: number; numa_nodes: number; cpus: Cpu[] };
  memory: { total_mib: number | 'unknown'; numa: Array<{ node: number; total_mib: number; hugepages: Record<string, { total: number; free: number }> }> };
  disks: Array<{ name: string; size_bytes: number | 'unknown'; rotational: boolean | 'unknown'; model: string }>;
  nics: Array<{ name: string; mac: string; speed_mbps: number | null; link: string; driver: string }>;
  kernel: { release: string; lowlatency: boolean | 'unknown'; cmdline: string };
  os: { name: string; version: string };
}

const gib = (bytes: number | 'unknown') => (bytes === 'unknown' ? 'unknown' : `${(bytes / 2 ** 30).toFixed(1)} GiB`);

function CpuTopology({ cpu }: { cpu: Exclude<Inventory['cpu'], 'unknown'> }) {
  const nodes = [...new Set(cpu.cpus.map((c) => c.numa_node))].sort((a, b) => a - b);
  return (
    <>
      <p>
        {cpu.model}: {cpu.sockets} socket(s), {cpu.cores} cores, {cpu.threads} threads, {cpu.numa_nodes} NUMA node(s)
        {cpu.threads > cpu.cores ? ', SMT on' : ', SMT off'}
      </p>
      <div className="numa">
        {nodes.map((n) => {
          const cores = new Map<string, Cpu[]>();
          for (const c of cpu.cpus.filter((x) => x.numa_node === n)) {
            const key = `${c.socket}/${c.core}`;
            cores.set(key, [...(cores.get(key) ?? []), c]);
          }
          return (
            <figure key={n} className="numa-node" aria-label={`NUMA node ${n}`}>
              <figcaption>NUMA node {n}</figcaption>
              {[...cores.entries()].map(([key, threads]) => (
                <span key={key} className="core" title={`socket ${threads[0]!.socket}, core ${threads[0]!.core}`}>
                  {threads.map((t) => (
                    <span key={t.id} className="thread">
                      {t.id}
                    </span>
                  ))}
                </span>
              ))}
            </figure>
          );
        })}
      </div>
    </>
  );
}

export function HostDetail({ hostname }: { hostname: string }) {
  const can = useCan();
  const host = useResource<Host>(`/hosts/${encodeURIComponent(hostname)}`, 3000);
  const h = host.data;
  const inv = h?.inventory as Inventory | null | undefined;
  return (
    <section aria-labelledby="host-title">
      <p>
        <a href={href('hosts')}>← Hosts</a>
      </p>
      <h1 id="host-title">Host {hostname}</h1>
      <ErrorText error={host.error} />
      {!h ? (
        !host.error && <Loading what="the host" />
      ) : (
        <>
          <p>
            {h.personality} <HostStates host={h} /> {h.task} · config {h.config_status} · agent {h.agent_version ?? 'not enrolled'} · last report {when(h.last_report_at)}
          </p>
          {can('operator') && <HostActions host={h} done={host.reload} />}
          <h2>Inventory</h2>
          {!inv ? (
            <p className="muted">No inventory yet: the host's agent has not reported.</p>
          ) : (
            <>
              <h3>CPU</h3>
              {inv.cpu === 'unknown' ? <p>unknown</p> : <CpuTopology cpu={inv.cpu} />}
              <Table
                caption={`Memory: ${inv.memory.total_mib} MiB in all`}
                head={['NUMA node', 'Memory', '2M hugepages (free/total)', '1G hugepages (free/total)']}
                rows={inv.memory.numa.map((m) => [m.node, `${m.total_mib} MiB`, `${m.hugepages['2M']?.free}/${m.hugepages['2M']?.total}`, `${m.hugepages['1G']?.free}/${m.hugepages['1G']?.total}`])}
              />
              <Table caption="Disks" head={['Name', 'Size', 'Rotational', 'Model']} rows={inv.disks.map((d) => [d.name, gib(d.size_bytes), String(d.rotational), d.model])} />
              <Table caption="Network interfaces" head={['Name', 'MAC', 'Speed', 'Link', 'Driver']} rows={inv.nics.map((n) => [n.name, n.mac, n.speed_mbps ? `${n.speed_mbps} Mbit/s` : '—', n.link, n.driver])} />
              <p>
                Kernel {inv.kernel.release} ({inv.kernel.lowlatency === true ? 'lowlatency' : 'standard'}) · {inv.os.name} {inv.os.version}
              </p>
            </>
          )}
        </>
      )}
    </section>
  );
}

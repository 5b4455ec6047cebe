/**
 * Part 1: one real agent process (`starling agent`, linux driver, reading
 * this machine) against its own controller at the default report interval,
 * host locked and idle. After a warm-up, over a window: the agent's RSS and
 * CPU from /proc, and its traffic through a byte-counting proxy.
 */
import { Client } from './http.js';
import type { Row } from './report.js';
import { ADMIN_PASSWORD, BIN, onCleanup, sleep, spawnNode, startServe, tempDir, watchProcess } from './site-procs.js';
import { ByteProxy, tcpIpHeaderBytes, watchSegments } from './site-proxy.js';

export const IDLE = { warmupMs: 20_000, windowMs: 60_000 } as const;
const TARGETS = { rssMb: 60, cpuPct: 0.5, bytesPerMin: 2048 } as const;
const SCENARIO = 'idle real agent';

const log = (message: string) => console.log(`  ${message}`);

export async function idleAgent(): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (r: Omit<Row, 'backend'>) => rows.push({ backend: SCENARIO, ...r });

  // Default report interval: STARLING_REPORT_INTERVAL_MS is deliberately not set.
  const serve = await startServe('idle-controller');
  const client = new Client(serve.url, 4, serve.ca);
  onCleanup('close the admin client', () => client.close());
  await client.login('admin', ADMIN_PASSWORD);
  const { enroll_token } = await client.json<{ enroll_token: string }>('POST', '/api/v1/hosts', { hostname: 'worker-0', personality: 'worker' }, 201);

  const proxy = new ByteProxy(new URL(serve.url));
  await proxy.up();
  onCleanup(`close the byte-counting proxy (port ${proxy.port})`, () => proxy.down());

  const stateDir = tempDir('agent');
  const started = performance.now();
  const agent = spawnNode(
    'agent',
    [BIN, 'agent', '--controller', proxy.url, '--enroll-token', enroll_token, '--hostname', 'worker-0', '--state-dir', stateDir, '--log-level', 'warn'],
    { HOME: stateDir },
  );
  log(`agent pid ${agent.pid} -> proxy ${proxy.url} -> controller ${serve.url} (pid ${serve.pid})`);

  // Enrolled and reporting: the locked host turns online at its first report.
  for (;;) {
    const host = await client.json<{ availability: string }>('GET', '/api/v1/hosts/worker-0');
    if (host.availability === 'online') break;
    if (performance.now() - started > 30_000) throw new Error(`worker-0 not online after 30 s (${host.availability}); agent said:\n${agent.output()}`);
    await sleep(250);
  }
  log(`online after ${((performance.now() - started) / 1000).toFixed(1)} s; warming up to ${IDLE.warmupMs / 1000} s`);
  await sleep(Math.max(0, IDLE.warmupMs - (performance.now() - started)));

  log(`measuring for ${IDLE.windowMs / 1000} s`);
  const bytes0 = proxy.snapshot();
  const segsWatch = watchSegments(proxy.port);
  const watch = watchProcess(agent.pid);
  await sleep(IDLE.windowMs);
  const proc = watch.end();
  const bytes1 = proxy.snapshot();
  const seg = segsWatch.end();
  const host = await client.json<{ availability: string }>('GET', '/api/v1/hosts/worker-0');

  const perMin = (n: number) => (n / proc.seconds) * 60;
  const up = bytes1.up - bytes0.up;
  const down = bytes1.down - bytes0.down;
  const requests = bytes1.requests - bytes0.requests;
  log(`window ${proc.seconds.toFixed(1)} s: ${requests} reports, ${up} B up, ${down} B down; host ${host.availability}`);

  row({ measure: 'RSS, max over window (VmRSS, 1 s samples)', value: proc.rssMaxMb, unit: 'MB', target: { op: '<=', value: TARGETS.rssMb }, note: `peak since start (VmHWM) ${proc.hwmMb.toFixed(1)} MB` });
  row({ measure: 'RSS, end of window', value: proc.rssEndMb, unit: 'MB', target: { op: '<=', value: TARGETS.rssMb } });
  row({
    measure: `CPU (utime+stime) over ${Math.round(proc.seconds)} s`,
    value: proc.cpuPct,
    unit: '% core',
    target: { op: '<=', value: TARGETS.cpuPct },
    note: `${((proc.cpuPct / 100) * proc.seconds * 1000).toFixed(0)} ms CPU; resource monitor samples every 10 s`,
  });
  row({
    measure: 'wire, application bytes (HTTP), both directions',
    value: perMin(up + down),
    unit: 'B/min',
    target: { op: '<=', value: TARGETS.bytesPerMin },
    note: `${requests} reports in window; per report ${requests ? Math.round(up / requests) : '?'} B up + ${requests ? Math.round(down / requests) : '?'} B down`,
  });
  if (seg) {
    const header = tcpIpHeaderBytes();
    row({
      measure: 'wire, TCP packets (ss -ti segs_in+segs_out)',
      value: perMin(seg.all),
      unit: 'pkt/min',
      note: `agent<->proxy leg, ${seg.connections} connection(s); ${Math.round(perMin(seg.data))}/min carried data, the rest are bare ACKs and TCP keep-alive probes`,
    });
    row({
      measure: 'wire, TCP/IP header overhead (estimate)',
      value: perMin(seg.all * header),
      unit: 'B/min',
      note: `${header} B/packet (IPv4 20 + TCP 20${header > 40 ? ' + timestamps 12' : ''}); app + TCP/IP ${Math.round(perMin(up + down + seg.all * header))} B/min; Ethernet framing would add 38 B/packet`,
    });
  } else {
    row({ measure: 'wire, TCP/IP overhead', value: NaN, unit: '', note: 'not included: ss(8) unavailable, packets not counted' });
  }
  if (host.availability !== 'online') row({ measure: 'host availability at end', value: NaN, unit: '', note: `worker-0 is ${host.availability}, expected online` });
  const said = agent.output().replace(/^Starling agent for .*\n/m, '').trim();
  if (said) log(`agent output:\n${said.replace(/^/gm, '    ')}`);
  return rows;
}

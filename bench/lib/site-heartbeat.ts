/**
 * Part 3: the host heartbeat at 500 hosts. `starling serve` at its default
 * 100 ms pulse period; 500 simulated agents (site-swarm.ts) report at the
 * default 20 s interval and pulse over UDP, all hosts unlocked.
 *
 * - Steady state: the controller's CPU and the heartbeat's bytes per second
 *   over a window (pulses counted by the server's own metrics).
 * - A CPU-saturation minute: one busy process per CPU beside the controller
 *   and the swarm; every degrade or failure raised meanwhile is false.
 * - Detection: agents stopped dead one at a time (no MNFA), each far enough
 *   from the last; kill → degraded (200.005 major raised) and kill → failed
 *   (200.004 raised), from the event log's timestamps against the moment the
 *   swarm stopped the agent (one machine, one clock).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { Client } from './http.js';
import { fmt, percentile, type Row } from './report.js';
import { gaugeOf, scrape } from './site-metrics.js';
import { ADMIN_PASSWORD, onCleanup, sleep, startServe, watchProcess } from './site-procs.js';
import { startSwarm } from './site-load.js';

export const HEARTBEAT = { hosts: 500, intervalMs: 20_000, staggerMs: 5_000, windowMs: 30_000, saturationMs: 60_000, kills: 30, killGapMs: 2_500 } as const;
const TARGETS = { degradedMs: 1_000, failedMs: 2_000 } as const;
const SCENARIO = `${HEARTBEAT.hosts} hosts, 100 ms pulses`;
/** IPv4 and UDP headers: what a 32-byte pulse costs on the wire above Ethernet. */
const IP_UDP_HEADER_BYTES = 28;

const log = (message: string) => console.log(`  ${message}`);

interface EventView {
  alarm_id: string;
  alarm_state: string;
  severity: string;
  entity_instance_id: string;
  timestamp: string;
}

async function heartbeatEvents(client: Client, sinceMs: number): Promise<EventView[]> {
  const out: EventView[] = [];
  for (let cursor: string | null = null; ; ) {
    const res = await client.request('GET', `/api/v1/events?alarm_id=200.004,200.005&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`GET /api/v1/events answered ${res.status}`);
    const page = JSON.parse(res.text) as { items: EventView[]; next_cursor: string | null };
    const fresh = page.items.filter((e) => Date.parse(e.timestamp) >= sinceMs);
    out.push(...fresh);
    // Newest first: once a page reaches back before the window, the rest is older.
    if (!page.next_cursor || fresh.length < page.items.length) break;
    cursor = page.next_cursor;
  }
  return out;
}

const raised = (events: EventView[], alarmId: string, severity?: string) =>
  events.filter((e) => e.alarm_id === alarmId && e.alarm_state === 'set' && (severity === undefined || e.severity === severity));

export async function heartbeatOf500(): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (r: Omit<Row, 'backend'>) => rows.push({ backend: SCENARIO, ...r });
  const serve = await startServe('heartbeat-controller', [], ['--max-connections-per-address', '0']);
  const client = new Client(serve.url, 4, serve.ca);
  onCleanup('close the admin client', () => client.close());
  await client.login('admin', ADMIN_PASSWORD);

  const hosts: Array<{ hostname: string; token: string }> = [];
  for (let i = 0; i < HEARTBEAT.hosts; i++) {
    const hostname = `worker-${i}`;
    const { enroll_token } = await client.json<{ enroll_token: string }>('POST', '/api/v1/hosts', { hostname, personality: 'worker' }, 201);
    hosts.push({ hostname, token: enroll_token });
  }
  const swarm = startSwarm();
  swarm.send({ type: 'start', url: serve.url, ...(serve.ca ? { ca: serve.ca } : {}), hosts, intervalMs: HEARTBEAT.intervalMs, staggerMs: HEARTBEAT.staggerMs, pulse: true });
  await swarm.next('enrolled', 120_000);
  await swarm.next('up', HEARTBEAT.staggerMs + 60_000);
  for (const { hostname } of hosts) await client.json('POST', `/api/v1/hosts/${hostname}/actions`, { action: 'unlock' }, 200);
  const snapshot = async () => (swarm.send({ type: 'snapshot' }), swarm.next('snapshot', 10_000));
  for (let i = 0; ; i++) {
    const s = await snapshot();
    if (s.pulsing === HEARTBEAT.hosts) break;
    if (i > 60) throw new Error(`only ${s.pulsing} of ${HEARTBEAT.hosts} agents pulsing after 60 s`);
    await sleep(1000);
  }
  log(`controller pid ${serve.pid}, swarm pid ${swarm.pid}: ${HEARTBEAT.hosts} hosts unlocked and pulsing; settling 5 s`);
  await sleep(5_000);
  const startedAt = Date.now();

  // Steady state.
  const m0 = await scrape(client);
  const watch = watchProcess(serve.pid);
  await sleep(HEARTBEAT.windowMs);
  const steady = watch.end();
  const m1 = await scrape(client);
  const pulses = (m: string) => gaugeOf(m, 'starling_host_pulses_total{result="accepted"}');
  const bytes = gaugeOf(m1, 'starling_host_pulse_bytes_total') - gaugeOf(m0, 'starling_host_pulse_bytes_total');
  const perSecond = (pulses(m1) - pulses(m0)) / steady.seconds;
  const payloadPerSecond = bytes / steady.seconds;
  log(`steady: ${fmt(perSecond)} pulses/s accepted, ${fmt(payloadPerSecond)} B/s payload, controller CPU ${fmt(steady.cpuPct)} %`);
  row({ measure: 'pulses accepted/s (server metrics)', value: perSecond, unit: 'pulses/s', note: `${HEARTBEAT.hosts} hosts × 10/s = ${HEARTBEAT.hosts * 10}/s expected; refused ${gaugeOf(m1, 'starling_host_pulses_total{result="refused"}')}` });
  row({
    measure: 'heartbeat bytes/s received',
    value: payloadPerSecond + perSecond * IP_UDP_HEADER_BYTES,
    unit: 'B/s',
    note: `${fmt(payloadPerSecond)} B/s of UDP payload (32 B a pulse) + IPv4/UDP headers; ${fmt((payloadPerSecond + perSecond * IP_UDP_HEADER_BYTES) / HEARTBEAT.hosts)} B/s per host`,
  });
  row({ measure: 'controller CPU, steady (pulses + 20 s reports)', value: steady.cpuPct, unit: '% core', note: `over ${steady.seconds.toFixed(1)} s; RSS ${steady.rssEndMb.toFixed(0)} MB` });

  // A CPU-saturation minute.
  log(`saturating all ${os.cpus().length} CPUs for ${HEARTBEAT.saturationMs / 1000} s`);
  const hogs = os.cpus().map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  onCleanup('stop the CPU hogs', () => hogs.forEach((h) => h.kill('SIGKILL')));
  const saturationStart = Date.now();
  const hot = watchProcess(serve.pid);
  await sleep(HEARTBEAT.saturationMs);
  const saturated = hot.end();
  hogs.forEach((h) => h.kill('SIGKILL'));
  await sleep(3_000);
  const hotEvents = await heartbeatEvents(client, saturationStart);
  const falseFailures = raised(hotEvents, '200.004').length;
  const falseDegrades = raised(hotEvents, '200.005', 'major').length;
  const metricsHot = await scrape(client);
  log(`saturation: ${falseFailures} false failures, ${falseDegrades} false degrades; controller got ${fmt(saturated.cpuPct)} % of a core`);
  row({ measure: 'false failures in a CPU-saturation minute (200.004)', value: falseFailures, unit: 'hosts', target: { op: '<=', value: 0 }, note: `${os.cpus().length} busy processes beside controller and swarm; controller got ${fmt(saturated.cpuPct)} % core` });
  row({
    measure: 'false degrades in that minute (200.005 major)',
    value: falseDegrades,
    unit: 'hosts',
    note: `event-loop delay max ${fmt(gaugeOf(metricsHot, 'starling_nodejs_eventloop_lag_max_seconds') * 1000)} ms (since the last scrape)`,
  });

  // Detection latency, one agent at a time.
  log(`stopping ${HEARTBEAT.kills} agents dead, one every ${HEARTBEAT.killGapMs / 1000} s`);
  const killed: Array<{ hostname: string; at: number }> = [];
  for (let i = 0; i < HEARTBEAT.kills; i++) {
    const hostname = hosts[HEARTBEAT.hosts - 1 - i]!.hostname;
    swarm.send({ type: 'kill', hostname });
    killed.push(await swarm.next('killed', 10_000));
    await sleep(HEARTBEAT.killGapMs);
  }
  await sleep(3_000);
  const events = await heartbeatEvents(client, killed[0]!.at - 1_000);
  const latency = (alarmId: string, severity: string, suffix: string) =>
    killed.map(({ hostname, at }) => {
      const e = raised(events, alarmId, severity).find((x) => x.entity_instance_id === `host=${hostname}${suffix}`);
      return e ? Date.parse(e.timestamp) - at : Infinity;
    });
  const degraded = latency('200.005', 'major', '.network=mgmt');
  const failed = latency('200.004', 'critical', '');
  const others = raised(events, '200.004').filter((e) => !killed.some((k) => e.entity_instance_id === `host=${k.hostname}`)).length;
  log(`kill → degraded p50 ${fmt(percentile(degraded, 50))} ms, p99 ${fmt(percentile(degraded, 99))} ms; kill → failed p50 ${fmt(percentile(failed, 50))} ms, p99 ${fmt(percentile(failed, 99))} ms`);
  const detail = (xs: number[]) => `${xs.filter(Number.isFinite).length}/${xs.length} seen; min ${fmt(Math.min(...xs))} ms, max ${fmt(Math.max(...xs))} ms`;
  row({ measure: 'kill → degraded p50 (6 missed pulses)', value: percentile(degraded, 50), unit: 'ms', target: { op: '<=', value: TARGETS.degradedMs }, note: detail(degraded) });
  row({ measure: 'kill → degraded p99', value: percentile(degraded, 99), unit: 'ms', target: { op: '<=', value: TARGETS.degradedMs }, note: 'from the 200.005 major event' });
  row({ measure: 'kill → failed p50 (10 missed pulses)', value: percentile(failed, 50), unit: 'ms', target: { op: '<=', value: TARGETS.failedMs }, note: detail(failed) });
  row({ measure: 'kill → failed p99', value: percentile(failed, 99), unit: 'ms', target: { op: '<=', value: TARGETS.failedMs }, note: `from the 200.004 event; ${others} other hosts failed meanwhile` });
  log(`part took ${((Date.now() - startedAt) / 1000).toFixed(0)} s after set-up`);
  return rows;
}

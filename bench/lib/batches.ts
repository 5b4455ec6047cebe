/**
 * Batched raise and clear through POST /api/v1/alarms/batch. Bodies are
 * serialised before the clock starts: the figure is the server's (plus
 * loopback HTTP), not this client's JSON.stringify.
 */
import type { BatchResult } from '../../src/resources/alarms/fault.service.js';
import type { Client } from './http.js';
import { percentile } from './report.js';

// Ten filesystems on each of 10,000 workers: 100,000 distinct alarm keys of
// one realistic definition (100.104, file system usage).
const FILESYSTEMS = ['/', '/var', '/var/log', '/opt', '/home', '/tmp', '/scratch', '/boot', '/srv', '/data'];

const key = (i: number) => ({
  alarm_id: '100.104',
  entity_instance_id: `host=worker-${Math.floor(i / FILESYSTEMS.length)}.filesystem=${FILESYSTEMS[i % FILESYSTEMS.length]}`,
});

export interface Payload {
  body: string;
  entries: number;
}

function bodies(total: number, perRequest: number, entry: (i: number) => object, field: 'raise' | 'clear'): Payload[] {
  const out: Payload[] = [];
  for (let start = 0; start < total; start += perRequest) {
    const items = [];
    for (let i = start; i < Math.min(total, start + perRequest); i++) items.push(entry(i));
    out.push({ body: JSON.stringify({ [field]: items }), entries: items.length });
  }
  return out;
}

export const raiseBodies = (total: number, perRequest: number): Payload[] =>
  bodies(
    total,
    perRequest,
    (i) => ({
      ...key(i),
      severity: i % 2 ? 'major' : 'critical',
      reason_text: `File System threshold exceeded; threshold ${i % 2 ? 80 : 90}%, actual ${91 + (i % 9)}%`,
    }),
    'raise',
  );

export const clearBodies = (total: number, perRequest: number): Payload[] => bodies(total, perRequest, key, 'clear');

export interface BatchRun {
  alarmsPerSecond: number;
  seconds: number;
  /** Per-request latency, ms. */
  p50: number;
  p99: number;
}

/**
 * Sends every body with `inFlight` requests outstanding at a time, and checks
 * each answer accounts for all of its entries as `expect` (created/cleared):
 * a fast wrong answer must not pass for throughput.
 */
export async function runBatches(client: Client, payloads: Payload[], inFlight: number, expect: 'created' | 'cleared'): Promise<BatchRun> {
  const latencies: number[] = [];
  let next = 0;
  let alarms = 0;
  const worker = async () => {
    while (next < payloads.length) {
      const { body, entries } = payloads[next++]!;
      const t0 = performance.now();
      const res = await client.request('POST', '/api/v1/alarms/batch', body);
      latencies.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`batch ${expect} answered ${res.status}: ${res.text.slice(0, 300)}`);
      const result = JSON.parse(res.text) as BatchResult;
      if (result[expect] !== entries) throw new Error(`batch expected ${entries} ${expect}, got ${JSON.stringify(result)}`);
      alarms += entries;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { alarmsPerSecond: alarms / seconds, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

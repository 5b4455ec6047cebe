import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceMonitor } from '../../src/agent/monitor/resource-monitor.js';
import { RESOURCE_POLICIES, ThresholdTracker } from '../../src/agent/monitor/threshold.js';
import type { AgentOp } from '../../src/protocol/agent-wire.js';

describe('threshold tracker', () => {
  const run = (values: number[]) => {
    const t = new ThresholdTracker(RESOURCE_POLICIES.cpu);
    return values.map((v) => t.sample(v)).map((d) => (d ? (d.change === 'clear' ? 'clear' : d.severity) : '-'));
  };

  test('raises only after 3 consecutive samples over the threshold', () => {
    assert.deepEqual(run([91, 92, 89, 91, 91, 91]), ['-', '-', '-', '-', '-', 'major']);
  });

  test('does not flap around the threshold (hysteresis), and clears only after 3 samples below it', () => {
    assert.deepEqual(run([91, 91, 91, 88, 86, 91, 87, 89, 84, 84, 84]), ['-', '-', 'major', '-', '-', '-', '-', '-', '-', '-', 'clear']);
  });

  test('escalates to critical and steps back to major', () => {
    assert.deepEqual(run([96, 96, 96, 92, 91, 90, 89]), ['-', '-', 'critical', '-', '-', '-', '-'], 'critical holds down to 90');
    assert.deepEqual(run([96, 96, 96, 88, 88, 88]), ['-', '-', 'critical', '-', '-', 'major']);
  });
});

describe('resource monitor', () => {
  test('turns samples into 100.101, 100.103 and per-mount 100.104 operations', () => {
    const ops: AgentOp[] = [];
    const m = new ResourceMonitor({ hostname: 'worker-1', send: (op) => ops.push(op) });
    let busy = 0;
    let total = 0;
    const sample = (cpuPct: number, mem: number, varPct: number) => {
      busy += cpuPct;
      total += 100;
      m.sample({
        memory_available_mib: 100,
        memory_used_pct: mem,
        cpu_times: { busy, total },
        filesystems: [
          { mount: '/', used_pct: 40, size_bytes: 1 },
          { mount: '/var', used_pct: varPct, size_bytes: 1 },
        ],
      });
    };
    sample(0, 10, 10); // first sample: CPU has no baseline yet
    for (let i = 0; i < 3; i++) sample(97, 85, 93);
    const raised = ops.filter((o) => o.kind === 'raise').map((o) => `${o.alarm_id} ${o.entity_instance_id} ${o.severity}`).sort();
    assert.deepEqual(raised, ['100.101 host=worker-1 critical', '100.103 host=worker-1 major', '100.104 host=worker-1.filesystem=/var critical']);
    assert.match(ops.find((o) => o.alarm_id === '100.101')!.reason_text!, /threshold 95%, actual 97\.0%/);
    ops.length = 0;
    for (let i = 0; i < 3; i++) sample(10, 20, 30);
    assert.deepEqual(ops.map((o) => `${o.kind} ${o.alarm_id}`).sort(), ['clear 100.101', 'clear 100.103', 'clear 100.104']);
  });
});

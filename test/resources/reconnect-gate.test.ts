/** The system controller's pacing of returning subclouds (reconnect-gate.ts), on a clock moved by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { UnavailableError } from '../../src/core/errors.js';
import { ReconnectGate } from '../../src/resources/subclouds/reconnect-gate.js';

const appointment = (gate: ReconnectGate, slot?: number): { afterMs: number; slot: number } | undefined => {
  try {
    gate.admit(slot);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof UnavailableError && err.pacing, String(err));
    assert.match(err.message, /coming back faster than 10\/s; report again in \d+ ms/);
    return err.pacing;
  }
};

test('a burst is let in at once; beyond it each gets the next slot, and is let in when it shows it', () => {
  const clock = new ManualClock(1_000_000);
  const gate = new ReconnectGate({ ratePerSecond: 10, burst: 3, clock });
  for (let i = 0; i < 3; i++) assert.equal(appointment(gate), undefined, `burst ${i}`);
  const first = appointment(gate)!;
  const second = appointment(gate)!;
  assert.deepEqual([first.afterMs, second.afterMs], [100, 200], 'one slot per 100 ms at 10/s');
  assert.equal(first.slot, 1_000_100);
  // Back at its slot (or up to a second early, timers differ): in, without taking another.
  clock.set(first.slot - 500);
  assert.equal(appointment(gate, first.slot), undefined);
  clock.set(second.slot);
  assert.equal(appointment(gate, second.slot), undefined);
  // Newcomers still queue behind the slots given.
  assert.ok(appointment(gate)!.slot > second.slot);
  // A slot shown too early, or long stale, queues again.
  assert.ok(appointment(gate, clock.now() + 5_000));
  assert.ok(appointment(gate, clock.now() - 120_000));
  // Once the storm is over, the burst refills: a lone subcloud is let in at once.
  clock.advance(10_000);
  assert.equal(appointment(gate), undefined);
});

/**
 * Full-jitter backoff: the window doubles to its cap; with an early window,
 * retries stay close together for the first part of an outage and then
 * widen as if they had widened all along; reset starts over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../src/protocol/backoff.js';

const ceilings = (b: Backoff, n: number, advance?: (i: number) => void) =>
  Array.from({ length: n }, (_, i) => {
    advance?.(i);
    return b.next() + 1; // random() = 1 - ε gives the ceiling
  });

test('the window doubles from the base to the cap', () => {
  const b = new Backoff({ baseMs: 1000, capMs: 45_000 }, () => 0.999999);
  assert.deepEqual(ceilings(b, 8), [1000, 2000, 4000, 8000, 16_000, 32_000, 45_000, 45_000]);
});

test('an early window keeps retries within its cap, then the widened backoff applies; reset starts over', () => {
  let now = 0;
  const b = new Backoff({ baseMs: 1000, capMs: 45_000, early: { windowMs: 30_000, capMs: 4000 } }, () => 0.999999, () => now);
  // Eight retries 4 s apart: the first 30 s of the outage.
  assert.deepEqual(ceilings(b, 8, (i) => (now = i * 4000)), [1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000]);
  now = 32_000;
  assert.equal(b.next() + 1, 45_000, 'past the window: as wide as eight doublings make it');
  b.reset();
  now = 100_000;
  assert.deepEqual(ceilings(b, 3), [1000, 2000, 4000]);
});

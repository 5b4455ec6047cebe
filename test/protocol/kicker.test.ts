/**
 * The kicker: a burst of kicks folds into at most two exchanges; a failed
 * kick with a retry policy tries again on its own until its news is
 * delivered; without one it is left to the main loop; nothing is sent after
 * a stop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKicker } from '../../src/protocol/kicker.js';
import { until } from '../helpers/until.js';

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a burst of kicks costs two exchanges', async () => {
  let sent = 0;
  let release: (() => void) | undefined;
  const kick = createKicker(
    () => {
      sent++;
      return new Promise<void>((resolve) => (release = resolve));
    },
    () => true,
  );
  for (let i = 0; i < 10; i++) kick();
  assert.equal(sent, 1);
  release!();
  await until('the folded kick', async () => sent === 2);
  release!();
  await settle(20);
  assert.equal(sent, 2);
});

test('a failed kick retries on its own until delivered', async () => {
  let attempts = 0;
  const kick = createKicker(
    async () => {
      attempts++;
      if (attempts < 4) throw new Error('link down');
    },
    () => true,
    { retry: { baseMs: 5, capMs: 10 } },
  );
  kick();
  await until('delivery on the fourth attempt', async () => attempts === 4);
  await settle(50);
  assert.equal(attempts, 4, 'no retry after the news was delivered');
});

test('without a retry policy a failed kick is left to the main loop', async () => {
  let attempts = 0;
  const kick = createKicker(
    async () => {
      attempts++;
      throw new Error('link down');
    },
    () => true,
  );
  kick();
  await settle(50);
  assert.equal(attempts, 1);
});

test('a stopped sender retries nothing', async () => {
  let attempts = 0;
  let stopped = false;
  const kick = createKicker(
    async () => {
      attempts++;
      stopped = true;
      throw new Error('stopping');
    },
    () => !stopped,
    { retry: { baseMs: 5, capMs: 5 } },
  );
  kick();
  await settle(50);
  assert.equal(attempts, 1);
});

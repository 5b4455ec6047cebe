import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { TransferGate } from '../../src/api/transfer-gate.js';

test('a transfer gate runs at most its limit at once; the next waits its turn, first come first served', async () => {
  const gate = new TransferGate(2);
  const client = () => new EventEmitter();
  const a = await gate.acquire(client());
  const b = await gate.acquire(client());
  const order: string[] = [];
  const c = gate.acquire(client()).then((release) => (order.push('c'), release));
  const d = gate.acquire(client()).then((release) => (order.push('d'), release));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'both wait while two run');
  assert.equal(gate.queued, 2);
  a();
  a(); // releasing twice frees one slot only
  const releaseC = await c;
  assert.deepEqual(order, ['c']);
  assert.equal(gate.running, 2);
  b();
  (await d)();
  releaseC();
  assert.equal(gate.running, 0);
  assert.equal(gate.peak, 2);
});

test('a client that goes away while waiting leaves the queue', async () => {
  const gate = new TransferGate(1);
  const release = await gate.acquire(new EventEmitter());
  const gone = new EventEmitter();
  const waiting = gate.acquire(gone);
  gone.emit('close');
  await assert.rejects(waiting, /went away/);
  assert.equal(gate.queued, 0);
  release();
  assert.equal(gate.running, 0);
});

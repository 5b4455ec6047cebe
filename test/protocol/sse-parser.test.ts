/** The SSE parser shared by the CLI, the dashboard and the tests. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from '../../src/protocol/sse-parser.js';

test('whole messages however the text is split; comments yield nothing; the last id is kept', () => {
  const p = new SseParser();
  assert.deepEqual(p.push(': keep-alive\n\nid: 7\nevent: se'), []);
  assert.deepEqual(p.push('t\ndata: {"a":1}\n\nevent: map\ndata: x'), [{ id: '7', event: 'set', data: '{"a":1}' }]);
  assert.equal(p.lastId, '7');
  assert.deepEqual(p.push('\n\n'), [{ event: 'map', data: 'x' }]);
});

test('data lines join with a newline; a message without an event is a "message"', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('data: one\ndata:\ndata: three\n\n'), [{ event: 'message', data: 'one\n\nthree' }]);
});

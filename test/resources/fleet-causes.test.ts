/** Issue 15 (small): the repair for alarms-blocking offers what would actually unblock the step. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { causeText } from '../../src/resources/strategies/fleet-causes.js';

test('alarms-blocking: strict is offered relaxed; relaxed is offered permissive, never relaxed again', () => {
  assert.match(causeText('alarms-blocking', 'strict').repair, /--alarm-restrictions relaxed/);
  assert.match(causeText('alarms-blocking').repair, /--alarm-restrictions relaxed/, 'unknown restrictions: the strict text');
  const relaxed = causeText('alarms-blocking', 'relaxed').repair;
  assert.doesNotMatch(relaxed, /--alarm-restrictions relaxed/);
  assert.match(relaxed, /management-affecting alarms.*--alarm-restrictions permissive/);
  assert.doesNotMatch(causeText('alarms-blocking', 'permissive').repair, /--alarm-restrictions/);
  assert.equal(causeText('offline', 'relaxed').repair, causeText('offline').repair, 'other causes are unchanged');
});

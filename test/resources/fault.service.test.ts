import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InputError} from '../../src/core/errors.js';
import { NotFoundError } from '../../src/core/errors.js';
import { listAlarms, summarizeAlarms } from '../../src/resources/alarms/alarm.store.js';
import { listEvents, pruneEvents } from '../../src/resources/events/event.store.js';
import { describeEachBackend } from '../helpers/backends.js';
import { faultFixture } from '../helpers/fault.js';

const cpu = (host: string, severity = 'major') => ({
  alarm_id: '100.101',
  entity_instance_id: `host=${host}`,
  severity,
  reason_text: `Platform CPU threshold exceeded; threshold 90%, actual 93%`,
});

describeEachBackend('fault service', (ctx) => {
  test('raise creates an alarm with catalogue fields and a set event', async () => {
    const f = faultFixture(ctx.database);
    const { alarm, outcome } = await f.service.raise(cpu('controller-0'));
    assert.equal(outcome, 'created');
    assert.equal(alarm.alarm_type, 'operational');
    assert.equal(alarm.probable_cause, 'threshold-crossed');
    assert.equal(alarm.entity_type_id, 'host');
    assert.equal(alarm.mgmt_affecting, true, '100.101 major is management-affecting');
    assert.equal(alarm.degrade_affecting, false, '100.101 degrades only at critical');
    const { rows } = await listEvents(f.db, {}, { limit: 10 });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.alarm_state, 'set');
    assert.equal(f.seen.length, 1);
  });

  test('raising again updates in place; an identical raise writes nothing', async () => {
    const f = faultFixture(ctx.database);
    const first = await f.service.raise(cpu('controller-0', 'major'));
    f.clock.advance(1000);
    const same = await f.service.raise(cpu('controller-0', 'major'));
    assert.equal(same.outcome, 'unchanged');
    assert.equal(same.alarm.timestamp, first.alarm.timestamp);
    f.clock.advance(1000);
    const worse = await f.service.raise(cpu('controller-0', 'critical'));
    assert.equal(worse.outcome, 'updated');
    assert.equal(worse.alarm.uuid, first.alarm.uuid, 'same alarm, updated in place');
    assert.equal(worse.alarm.severity, 'critical');
    assert.equal(worse.alarm.degrade_affecting, true);
    assert.notEqual(worse.alarm.timestamp, first.alarm.timestamp);
    const { rows } = await listAlarms(f.db, {}, { limit: 10 });
    assert.equal(rows.length, 1);
    const events = await listEvents(f.db, {}, { limit: 10 });
    assert.equal(events.rows.length, 2, 'two set events: created and updated; none for the identical raise');
  });

  test('unknown IDs, disallowed severities and log IDs are rejected with the field named', async () => {
    const f = faultFixture(ctx.database);
    await assert.rejects(f.service.raise({ ...cpu('c'), alarm_id: '999.999' }), (e: InputError) => e.field === 'alarm_id' && /unknown alarm ID/.test(e.message));
    await assert.rejects(f.service.raise(cpu('c', 'minor')), (e: InputError) => e.field === 'severity' && /allowed: critical, major/.test(e.message));
    await assert.rejects(f.service.raise({ ...cpu('c'), alarm_id: '401.007', severity: 'critical' }), (e: InputError) => /is a log/.test(e.message));
    assert.equal((await listAlarms(f.db, {}, { limit: 10 })).rows.length, 0);
  });

  test('a batch is atomic: one bad entry and nothing is written', async () => {
    const f = faultFixture(ctx.database);
    const raise = Array.from({ length: 50 }, (_, i) => cpu(`worker-${i}`));
    raise.push({ ...cpu('worker-bad'), severity: 'warning' });
    await assert.rejects(f.service.batch({ raise }), (e: InputError) => e.field === 'raise[50].severity');
    assert.equal((await listAlarms(f.db, {}, { limit: 100 })).rows.length, 0);
    assert.equal((await listEvents(f.db, {}, { limit: 100 })).rows.length, 0);
    assert.equal(f.seen.length, 0, 'nothing published');
  });

  test('a batch raises, clears and logs, and reports what it did', async () => {
    const f = faultFixture(ctx.database);
    await f.service.batch({ raise: [cpu('a'), cpu('b'), cpu('c')] });
    f.clock.advance(10);
    const r = await f.service.batch({
      raise: [cpu('a'), cpu('b', 'critical'), cpu('d')],
      clear: [{ alarm_id: '100.101', entity_instance_id: 'host=c' }, { alarm_id: '100.101', entity_instance_id: 'host=zzz' }],
      log: [{ alarm_id: '401.007', entity_instance_id: 'host=controller-0', severity: 'critical', reason_text: 'Swact complete' }],
    });
    assert.deepEqual(r, { created: 1, updated: 1, unchanged: 1, cleared: 1, not_active: 1, logged: 1 });
    const active = (await listAlarms(f.db, {}, { limit: 10 })).rows.map((a) => a.entity_instance_id).sort();
    assert.deepEqual(active, ['host=a', 'host=b', 'host=d']);
    const clears = await listEvents(f.db, { kind: 'alarms' }, { limit: 100 });
    assert.equal(clears.rows.filter((e) => e.alarm_state === 'clear').length, 1);
    assert.equal(clears.rows.find((e) => e.alarm_state === 'clear')!.severity, 'clear');
    const logs = await listEvents(f.db, { kind: 'logs' }, { limit: 100 });
    assert.equal(logs.rows.length, 1);
    const seqs = f.seen.flatMap((c) => (c.type === 'event' ? [c.event.seq] : []));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'published in sequence order');
  });

  test('a key in both raise and clear of one batch is refused', async () => {
    const f = faultFixture(ctx.database);
    await assert.rejects(
      f.service.batch({ raise: [cpu('a')], clear: [{ alarm_id: '100.101', entity_instance_id: 'host=a' }] }),
      (e: InputError) => e.field === 'clear[0]',
    );
  });

  test('clearing a missing alarm is NotFound singly, idempotent in batches', async () => {
    const f = faultFixture(ctx.database);
    await assert.rejects(f.service.clear({ alarm_id: '100.101', entity_instance_id: 'host=x' }), NotFoundError);
    const r = await f.service.batch({ clear: [{ alarm_id: '100.101', entity_instance_id: 'host=x' }] });
    assert.equal(r.not_active, 1);
  });

  test('suppression hides alarms unless asked, counts them apart, and is refused for unsuppressible IDs', async () => {
    const f = faultFixture(ctx.database);
    await f.service.batch({ raise: [cpu('a', 'critical'), cpu('b'), { alarm_id: '200.001', entity_instance_id: 'host=a', severity: 'warning', reason_text: 'locked' }] });
    await f.service.setSuppression(['100.101'], true, 'admin');
    assert.equal((await listAlarms(f.db, {}, { limit: 10 })).rows.length, 1);
    assert.equal((await listAlarms(f.db, { includeSuppressed: true }, { limit: 10 })).rows.length, 3);
    assert.deepEqual(await summarizeAlarms(f.db), { critical: 0, major: 0, minor: 0, warning: 1, suppressed: 2 });
    // New raises of a suppressed ID arrive suppressed.
    await f.service.raise(cpu('c'));
    assert.equal((await summarizeAlarms(f.db)).suppressed, 3);
    await assert.rejects(f.service.setSuppression(['200.001'], true, 'admin'), (e: InputError) => e.field === 'alarm_ids[0]');
    await f.service.setSuppression('all', false, 'admin');
    assert.equal((await listAlarms(f.db, {}, { limit: 10 })).rows.length, 4);
    const list = await f.service.suppressionList();
    assert.ok(list.every((s) => s.suppression_status === 'unsuppressed'));
    assert.ok(!list.some((s) => s.alarm_id === '200.001'), 'unsuppressible IDs are not listed');
  });

  test('filters: ids, severity, exact entity prefix (no wildcards), mgmt-affecting', async () => {
    const f = faultFixture(ctx.database);
    await f.service.batch({
      raise: [
        cpu('ctl-0', 'critical'),
        { alarm_id: '100.104', entity_instance_id: 'host=ctl-0.filesystem=/var', severity: 'major', reason_text: 'fs' },
        { alarm_id: '100.104', entity_instance_id: 'host=ctl%.filesystem=/var', severity: 'critical', reason_text: 'fs' },
        { alarm_id: '100.103', entity_instance_id: 'host=HOST-1', severity: 'major', reason_text: 'mem' },
      ],
    });
    const by = async (filter: Parameters<typeof listAlarms>[1]) =>
      (await listAlarms(f.db, filter, { limit: 10 })).rows.map((r) => r.entity_instance_id).sort();
    assert.deepEqual(await by({ alarmIds: ['100.104'] }), ['host=ctl%.filesystem=/var', 'host=ctl-0.filesystem=/var']);
    assert.deepEqual(await by({ severities: ['critical'] }), ['host=ctl%.filesystem=/var', 'host=ctl-0']);
    assert.deepEqual(await by({ entityPrefix: 'host=ctl%' }), ['host=ctl%.filesystem=/var'], '% is literal');
    assert.deepEqual(await by({ entityPrefix: 'host=host' }), [], 'prefix is case-sensitive');
    assert.deepEqual(await by({ mgmtAffecting: true }), ['host=ctl%.filesystem=/var', 'host=ctl-0']);
    assert.deepEqual(await by({ degradeAffecting: false }), ['host=HOST-1', 'host=ctl-0.filesystem=/var']);
  });

  test('keyset pagination visits every alarm once, newest first', async () => {
    const f = faultFixture(ctx.database);
    for (let i = 0; i < 5; i++) {
      await f.service.batch({ raise: Array.from({ length: 7 }, (_, j) => cpu(`h-${i}-${j}`)) });
      f.clock.advance(1000);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listAlarms(f.db, {}, { limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.rows.map((r) => r.entity_instance_id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.equal(pages, 9);
    assert.equal(seen.length, 35);
    assert.equal(new Set(seen).size, 35);
    assert.ok(seen[0]!.startsWith('host=h-4-'), 'newest first');
    await assert.rejects(listAlarms(f.db, {}, { limit: 4, cursor: 'bogus' }), (e: InputError) => e.field === 'cursor');
  });

  test('delete by uuid removes a stale alarm and logs its clear', async () => {
    const f = faultFixture(ctx.database);
    const { alarm } = await f.service.raise(cpu('a'));
    await f.service.deleteAlarm(alarm.uuid);
    assert.equal((await listAlarms(f.db, {}, { limit: 10 })).rows.length, 0);
    await assert.rejects(f.service.deleteAlarm(alarm.uuid), NotFoundError);
    const events = await listEvents(f.db, {}, { limit: 10 });
    assert.deepEqual(events.rows.map((e) => e.alarm_state), ['clear', 'set']);
  });

  test('pruning keeps the newest rows up to the retention', async () => {
    const f = faultFixture(ctx.database);
    for (let i = 0; i < 3; i++) await f.service.batch({ log: Array.from({ length: 100 }, () => ({ alarm_id: '401.007', entity_instance_id: 'host=c', severity: 'critical', reason_text: 'x' })) });
    assert.equal(await pruneEvents(f.db, 120), 180);
    const { rows } = await listEvents(f.db, {}, { limit: 500 });
    assert.equal(rows.length, 120);
    assert.equal(await pruneEvents(f.db, 120), 0);
  });
});

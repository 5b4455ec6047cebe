import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { createContext } from '../../src/cli/context.js';
import { watchAlarms } from '../../src/cli/watch.js';
import { loadCliEnvironment } from '../../src/core/config.js';
import { useLiveApi } from '../helpers/live-api.js';

describe('alarm list --watch', () => {
  const live = useLiveApi();

  test('redraws when an alarm is raised elsewhere, without polling', async () => {
    const frames: string[] = [];
    const { api, url } = live;
    const env = { STARLING_URL: url, STARLING_TOKEN: api.tokens.reader, HOME: '/nonexistent' };
    const ctx = createContext({ out: (s) => frames.push(s), err: () => undefined }, env, loadCliEnvironment(env), '/');
    const cmd = new Command().option('-o, --output <f>', '', 'json');
    const stop = new AbortController();
    const watching = watchAlarms(ctx, cmd, { limit: '100' }, stop.signal);
    const waitFor = async (pred: () => boolean) => {
      for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(pred());
    };
    await waitFor(() => frames.length === 1);
    assert.match(frames[0]!, /0 active/);
    await new Promise((r) => setTimeout(r, 200)); // let the stream connect
    await api.request('operator', 'POST', '/api/v1/alarms', { alarm_id: '100.101', entity_instance_id: 'host=w-1', severity: 'major', reason_text: 'cpu' });
    await waitFor(() => frames.length >= 2);
    assert.match(frames.at(-1)!, /1 active/);
    assert.match(frames.at(-1)!, /host=w-1/);
    stop.abort();
    await watching;
  });
});

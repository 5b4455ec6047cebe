import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import pino from 'pino';
import { PulseSender } from '../../src/agent/pulse-sender.js';
import { newPulseCredentials, pulseKey, readPulse, verifyPulse } from '../../src/protocol/pulse-wire.js';
import { until } from '../helpers/until.js';

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

describe('pulse sender', () => {
  test('pulses on a connected socket, each datagram its own (rising sequence, valid MAC), and stops when told', async () => {
    const rx = createSocket('udp4');
    const got: Buffer[] = [];
    rx.on('message', (d) => got.push(Buffer.from(d)));
    await new Promise<void>((resolve) => rx.bind(0, '127.0.0.1', resolve));
    const { log } = capturingLogger();
    const sender = new PulseSender({ controller: 'https://127.0.0.1:1', log });
    const credentials = newPulseCredentials();
    try {
      await sender.take({ ...credentials, port: rx.address().port, period_ms: 20 });
      await until('five pulses', async () => got.length >= 5, 5_000, 10);
      const key = pulseKey(credentials.key);
      const seqs = got.map((d) => {
        assert.ok(verifyPulse(d, key), 'every pulse carries the session key MAC');
        const pulse = readPulse(d)!;
        assert.equal(pulse.session, credentials.session);
        return pulse.seq;
      });
      // The reused buffer must not let a later pulse overwrite one not yet sent.
      assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), 'consecutive sequence numbers, none repeated');
      sender.stop();
      const stoppedAt = got.length;
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(got.length <= stoppedAt + 1, 'no pulses after stop');
    } finally {
      sender.stop();
      rx.close();
    }
  });

  test('a controller that is not listening is logged once, not at every pulse', async () => {
    // A port bound and closed again: nothing listens there, so the kernel answers each pulse with port-unreachable.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { log, lines } = capturingLogger();
    const sender = new PulseSender({ controller: 'https://127.0.0.1:1', log });
    try {
      await sender.take({ ...newPulseCredentials(), port, period_ms: 10 });
      await until('pulses sent', async () => sender.sent >= 20, 5_000, 10);
      const refusals = lines.filter((l) => l.includes('heartbeat refused'));
      assert.equal(refusals.length, 1, 'one line for the refusal');
      assert.ok(!lines.some((l) => l.includes('heartbeat socket error')), 'ECONNREFUSED is not a socket error warning');
    } finally {
      sender.stop();
    }
  });
});

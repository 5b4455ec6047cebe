/**
 * The child's side of renewal (client-renewal.ts): a reply asking for a
 * renewal starts one, unless the exchange it answers went out on a
 * connection with an older certificate than the child holds now. A long
 * poll held across a renewal comes back that way, and taking its request
 * started a second renewal right after the first (seen in the renewal test
 * over a flapping link, once in a full run).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/logging.js';
import { ClientRenewal } from '../../src/pki/client-renewal.js';

const tls = { ca: 'CA PEM', key: 'KEY PEM', cert: 'NEW CERT PEM' };
const made = { key: 'NEXT KEY PEM', csr: 'NEXT CSR PEM' };

function renewal() {
  let asked = 0;
  const r = new ClientRenewal({ commonName: 'subcloud:edge-1', log: silentLogger(), makeKey: async () => (asked++, made) }, undefined);
  return { r, asked: () => asked };
}

test('a reply asking for a renewal, to an exchange sent with the current certificate, starts one', async () => {
  const { r, asked } = renewal();
  const outcome = await r.take(tls, { renew_certificate: true }, tls.cert);
  assert.deepEqual(outcome, { pendingChanged: true, kick: true });
  assert.deepEqual(r.pending, made);
  assert.equal(asked(), 1);
});

test('the same reply to an exchange sent with an older certificate (a long poll held across the renewal) starts none', async () => {
  const { r, asked } = renewal();
  const outcome = await r.take(tls, { renew_certificate: true }, 'OLD CERT PEM');
  assert.deepEqual(outcome, { pendingChanged: false, kick: false });
  assert.equal(r.pending, undefined);
  assert.equal(asked(), 0);
});

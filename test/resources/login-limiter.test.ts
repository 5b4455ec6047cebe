/**
 * Issue 14, item 10: failed logins lock out only the address that earned it
 * (for that user), and guesses spread over many addresses slow down instead
 * of locking the user out for everyone.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { TooManyRequestsError } from '../../src/core/errors.js';
import { LoginLimiter } from '../../src/resources/auth/login-limiter.js';

const limits = { windowMs: 300_000, perUserAddress: 5, perAddress: 20, slowdownBaseMs: 500, slowdownCapMs: 8000 };

describe('login limiter', () => {
  test('five failures lock that user from that address only; the window frees it', () => {
    const clock = new ManualClock();
    const limiter = new LoginLimiter(clock, limits);
    for (let i = 0; i < 5; i++) {
      assert.equal(limiter.check('admin', '203.0.113.1'), 0);
      limiter.fail('admin', '203.0.113.1');
    }
    assert.throws(() => limiter.check('admin', '203.0.113.1'), (e: TooManyRequestsError) => e instanceof TooManyRequestsError && /user admin from 203\.0\.113\.1/.test(e.message));
    assert.equal(limiter.check('admin', '198.51.100.2'), 0, 'the admin from elsewhere is not held up');
    assert.equal(limiter.check('operator', '203.0.113.1'), 0, 'the address may still try another user');
    clock.advance(300_001);
    assert.equal(limiter.check('admin', '203.0.113.1'), 0);
  });

  test('guesses from many addresses slow every attempt for the user, doubling to the cap, and never refuse it', () => {
    const clock = new ManualClock();
    const limiter = new LoginLimiter(clock, limits);
    const delays: number[] = [];
    for (let i = 0; i < 40; i++) {
      const address = `198.18.${i % 10}.1`;
      delays.push(limiter.check('admin', address));
      limiter.fail('admin', address);
    }
    assert.deepEqual(delays.slice(0, 6), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(delays.slice(6, 11), [500, 1000, 2000, 4000, 8000]);
    assert.ok(delays.slice(11).every((d) => d === 8000));
    assert.equal(limiter.check('admin', '192.0.2.10'), 8000, 'the real admin, from a fresh address, gets in late, not never');
    limiter.succeed('admin', '192.0.2.10');
    clock.advance(300_001);
    assert.equal(limiter.check('admin', '192.0.2.10'), 0, 'the slowdown ends with the window');
  });

  test('an address spraying user names is refused after twenty', () => {
    const limiter = new LoginLimiter(new ManualClock(), limits);
    for (let i = 0; i < 20; i++) limiter.fail(`nobody${i}`, '203.0.113.7');
    assert.throws(() => limiter.check('admin', '203.0.113.7'), /address 203\.0\.113\.7/);
  });
});

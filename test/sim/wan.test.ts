import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { InputError } from '../../src/core/errors.js';
import {
  LinkDownError,
  LinkLossError,
  PROFILES,
  WanLink,
  impairedFetch,
  parseProfile,
  seededRandom,
  type Random,
  type WanProfile,
} from '../../src/sim/wan/index.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A stream that always draws `value`: phase 0, and losses chosen by the test. */
const fixed = (value: number): Random => ({ next: () => value, fork: () => fixed(value) });

const profile = (overrides: Partial<WanProfile>): WanProfile => ({ name: 'test', latencyMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0, ...overrides });

const draws = (random: Random, n = 5) => Array.from({ length: n }, () => random.next());

/** The [start, end) windows in which the link is down, scanning [from, to) in 1 s steps. */
const downWindows = (link: WanLink, clock: ManualClock, spanMs: number) => {
  const start = clock.now();
  const windows: [number, number][] = [];
  for (let t = 0; t < spanMs; t += SECOND) {
    const down = !link.isUp(start + t);
    const last = windows.at(-1);
    if (down && last && last[1] === t) last[1] = t + SECOND;
    else if (down) windows.push([t, t + SECOND]);
  }
  return windows;
};

describe('WAN profiles', () => {
  it('parses every built-in profile by name', () => {
    for (const [name, builtIn] of Object.entries(PROFILES)) assert.deepEqual(parseProfile(name), builtIn);
    assert.equal(parseProfile('satellite').latencyMs * 2, 600, 'a GEO round trip');
    assert.deepEqual(parseProfile('satellite').flap, { upMs: 285 * SECOND, downMs: 15 * SECOND });
  });

  it('applies overrides on top of a profile, with units', () => {
    const p = parseProfile(' rural, loss=0.02, latency=100 ');
    assert.deepEqual(p, { ...PROFILES.rural, name: 'rural,loss=0.02,latency=100', loss: 0.02, latencyMs: 100 });
    const q = parseProfile('satellite,jitter=1.5s,bandwidth=512k,flap=none,outage=5m/2h');
    assert.equal(q.jitterMs, 1500);
    assert.equal(q.bandwidthBps, 512_000);
    assert.equal(q.flap, undefined);
    assert.ok(!('flap' in q));
    assert.deepEqual(q.outages, { durationMs: 5 * MINUTE, everyMs: 120 * MINUTE });
    assert.deepEqual(parseProfile('lan,flap=20s/100ms').flap, { upMs: 20 * SECOND, downMs: 100 });
    assert.equal(parseProfile('lte,bandwidth=0').bandwidthBps, 0);
    assert.ok(Object.isFrozen(p));
  });

  it('rejects bad input naming the field and the reason', () => {
    const cases: [string, RegExp, string][] = [
      ['x', /^profile: unknown profile "x" \(known: lan, metro, lte, rural, leo, satellite\)$/, 'profile'],
      ['', /^profile: unknown profile ""/, 'profile'],
      ['constructor', /^profile: unknown profile "constructor"/, 'profile'],
      ['rural,loss', /^profile: expected key=value, got "loss"$/, 'profile'],
      ['rural,colour=red', /^profile: unknown setting "colour" \(known: latency, jitter, loss, bandwidth, outage, flap\)$/, 'profile'],
      ['rural,loss=1.5', /^profile loss: must be between 0 and 1/, 'profile.loss'],
      ['rural,loss=-0.1', /^profile loss: must be between 0 and 1/, 'profile.loss'],
      ['rural,loss=', /^profile loss: must be between 0 and 1/, 'profile.loss'],
      ['rural,latency=-5', /^profile latency: must be a duration/, 'profile.latency'],
      ['rural,latency=5d', /^profile latency: must be a duration/, 'profile.latency'],
      ['rural,jitter=fast', /^profile jitter: must be a duration/, 'profile.jitter'],
      ['rural,bandwidth=lots', /^profile bandwidth: must be bits per second/, 'profile.bandwidth'],
      ['rural,outage=5m', /^profile outage: must be DOWN\/EVERY like 5m\/2h, or none/, 'profile.outage'],
      ['rural,outage=2h/1h', /^profile outage: the outage \(7200000 ms\) must be shorter than its period \(3600000 ms\)$/, 'profile.outage'],
      ['rural,flap=0/15s', /^profile flap: both durations must be above zero/, 'profile.flap'],
      ['rural,flap=1s/x', /^profile flap: must be a duration/, 'profile.flap'],
    ];
    for (const [spec, message, field] of cases) {
      assert.throws(
        () => parseProfile(spec),
        (error: unknown) => {
          assert.ok(error instanceof InputError, spec);
          assert.match(error.message, message, spec);
          assert.equal(error.field, field, spec);
          assert.equal(error.code, 'invalid_input');
          return true;
        },
      );
    }
  });
});

describe('seeded random', () => {
  it('gives the same draws for the same seed and label, and different ones otherwise', () => {
    assert.deepEqual(draws(seededRandom(42).fork('subcloud-1')), draws(seededRandom(42).fork('subcloud-1')));
    assert.deepEqual(draws(seededRandom('42')), draws(seededRandom(42)), 'a --seed string and number agree');
    assert.notDeepEqual(draws(seededRandom(42).fork('subcloud-1')), draws(seededRandom(42).fork('subcloud-2')));
    assert.notDeepEqual(draws(seededRandom(42).fork('subcloud-1')), draws(seededRandom(43).fork('subcloud-1')));
    assert.notDeepEqual(draws(seededRandom(42).fork('a').fork('b')), draws(seededRandom(42).fork('b').fork('a')));
  });

  it('forks independently of what the parent has drawn', () => {
    const parent = seededRandom(7);
    const before = draws(parent.fork('link'));
    draws(parent, 100);
    assert.deepEqual(draws(parent.fork('link')), before);
  });

  it('draws uniformly in [0, 1)', () => {
    const values = draws(seededRandom(1).fork('uniform'), 20_000);
    assert.ok(values.every((v) => v >= 0 && v < 1));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    const tenths = new Array<number>(10).fill(0);
    for (const v of values) tenths[Math.floor(v * 10)]!++;
    assert.ok(tenths.every((n) => n > 1800 && n < 2200), `buckets ${tenths.join(',')}`);
  });
});

describe('WAN link', () => {
  it('flaps a satellite link down for 15 s every 5 minutes, from its phase', () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const link = new WanLink({ profile: PROFILES.satellite, random: fixed(0), now: () => clock.now() });
    assert.equal(link.isUp(), true);
    assert.equal(link.nextChangeAt(), t0 + 285 * SECOND);
    assert.equal(link.isUp(t0 + 285 * SECOND - 1), true);
    assert.equal(link.isUp(t0 + 285 * SECOND), false);
    assert.equal(link.nextChangeAt(t0 + 290 * SECOND), t0 + 300 * SECOND);
    assert.equal(link.isUp(t0 + 300 * SECOND - 1), false);
    assert.equal(link.isUp(t0 + 300 * SECOND), true);
    clock.advance(585 * SECOND);
    assert.equal(link.isUp(), false, 'the clock function is used when no time is given');
    assert.deepEqual(downWindows(link, new ManualClock(t0), 15 * MINUTE), [
      [285 * SECOND, 300 * SECOND],
      [585 * SECOND, 600 * SECOND],
      [885 * SECOND, 900 * SECOND],
    ]);
  });

  it('draws a per-link phase from the seed', () => {
    const windowsOf = (seed: number, label: string) => {
      const clock = new ManualClock();
      const link = new WanLink({ profile: PROFILES.satellite, random: seededRandom(seed).fork(label), now: () => clock.now() });
      return downWindows(link, clock, 16 * MINUTE);
    };
    const a = windowsOf(42, 'subcloud-1');
    assert.ok(a.length >= 3);
    for (const [start, end] of a.slice(1, -1)) assert.equal(end - start, 15 * SECOND);
    for (let i = 1; i < a.length - 1; i++) assert.equal(a[i]![0] - a[i - 1]![0], 5 * MINUTE);
    assert.deepEqual(windowsOf(42, 'subcloud-1'), a);
    assert.notDeepEqual(windowsOf(42, 'subcloud-2'), a);
  });

  it('schedules rural outages of 5 minutes every 2 hours', () => {
    const clock = new ManualClock();
    const link = new WanLink({ profile: PROFILES.rural, random: seededRandom(3).fork('rural'), now: () => clock.now() });
    const windows = downWindows(link, clock, 4 * 60 * MINUTE);
    assert.ok(windows.length >= 2);
    const inner = windows.filter(([start, end]) => start > 0 && end < 4 * 60 * MINUTE);
    for (const [start, end] of inner) assert.equal(end - start, 5 * MINUTE);
  });

  it('cut() overrides the schedule until restore(), and tells listeners', () => {
    const clock = new ManualClock();
    const link = new WanLink({ profile: PROFILES.lan, random: seededRandom(1), now: () => clock.now() });
    const seen: boolean[] = [];
    const unsubscribe = link.onChange(() => seen.push(link.isUp()));
    assert.equal(link.nextChangeAt(), undefined, 'lan has no schedule');
    link.cut();
    link.cut();
    assert.equal(link.isUp(), false);
    assert.equal(link.isCut, true);
    link.restore();
    assert.equal(link.isUp(), true);
    unsubscribe();
    link.cut();
    assert.deepEqual(seen, [false, true]);

    const satellite = new WanLink({ profile: PROFILES.satellite, random: fixed(0), now: () => clock.now() });
    clock.advance(290 * SECOND);
    satellite.cut();
    satellite.restore();
    assert.equal(satellite.isUp(), false, 'restore() hands back to the schedule, which says down');
  });

  it('computes delay from latency, jitter and bandwidth', () => {
    const random = seededRandom(9);
    const slow = new WanLink({ profile: profile({ latencyMs: 10, bandwidthBps: 8000 }), random });
    assert.equal(slow.delayMs(1000), 10 + 1000, '1000 bytes at 8 kbit/s take a second');
    assert.equal(slow.serializationMs(0), 0);
    assert.equal(slow.rttMs, 20);
    const unlimited = new WanLink({ profile: profile({ latencyMs: 10 }), random });
    assert.equal(unlimited.delayMs(10_000_000), 10);
    const jittery = new WanLink({ profile: profile({ latencyMs: 10, jitterMs: 5 }), random });
    const delays = Array.from({ length: 200 }, () => jittery.delayMs(0));
    assert.ok(delays.every((d) => d >= 10 && d < 15), 'jitter only adds to the latency');
    assert.ok(new Set(delays).size > 100);
  });

  it('loses exchanges with the profile probability, on both legs', () => {
    const never = new WanLink({ profile: profile({ loss: 0 }), random: seededRandom(5) });
    const always = new WanLink({ profile: profile({ loss: 1 }), random: seededRandom(5) });
    const sometimes = new WanLink({ profile: profile({ loss: 0.05 }), random: seededRandom(5) });
    assert.ok(Array.from({ length: 1000 }, () => never.lost()).every((l) => !l));
    assert.ok(Array.from({ length: 1000 }, () => always.lost()).every((l) => l));
    const legs = Array.from({ length: 20_000 }, () => sometimes.lostLeg());
    const lost = legs.filter(Boolean).length / legs.length;
    assert.ok(lost > 0.04 && lost < 0.06, `lost ${lost}`);
    const requests = legs.filter((l) => l === 'request').length;
    const responses = legs.filter((l) => l === 'response').length;
    assert.ok(requests > 0.35 * (requests + responses) && responses > 0.35 * (requests + responses));
  });
});

describe('impaired fetch', () => {
  /** A link on a manual clock, with a sleep that records each wait and moves the clock. */
  const setup = (p: WanProfile, random: Random = seededRandom(1), onSleep?: (ms: number) => void) => {
    const clock = new ManualClock();
    const link = new WanLink({ profile: p, random, now: () => clock.now() });
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      clock.advance(ms);
      onSleep?.(ms);
    };
    return { clock, link, slept, sleep };
  };
  const sizes = { requestBytes: 100, responseBytes: 1000 };

  it('fails fast with ECONNREFUSED while the link is down', async () => {
    const { link, slept, sleep } = setup(profile({ latencyMs: 50 }));
    const fetch = impairedFetch(link, { sleep });
    link.cut();
    let sent = 0;
    await assert.rejects(
      fetch(async () => ++sent, sizes),
      (e: unknown) => e instanceof LinkDownError && e.code === 'ECONNREFUSED',
    );
    assert.equal(sent, 0);
    assert.deepEqual(slept, []);
  });

  it('resets a held exchange the moment the link goes down, after the far end has it', async () => {
    const { link, sleep } = setup(profile({ latencyMs: 50 }));
    const fetch = impairedFetch(link, { sleep });
    let received = 0;
    let release: (v: string) => void = () => undefined;
    const held = fetch(() => {
      received++;
      // The far end holds it (a long poll); the link goes down meanwhile.
      queueMicrotask(() => link.cut());
      return new Promise<string>((resolve) => (release = resolve));
    }, sizes);
    await assert.rejects(held, (e: unknown) => e instanceof LinkDownError && e.code === 'ECONNRESET');
    assert.equal(received, 1, 'the far end had the request');
    release('too late');
  });

  it('waits the one-way delay each way, with serialization', async () => {
    const { link, slept, sleep } = setup(profile({ latencyMs: 50, bandwidthBps: 8000 }));
    const fetch = impairedFetch(link, { sleep });
    assert.equal(await fetch(async () => 'pong', sizes), 'pong');
    assert.deepEqual(slept, [50 + 100, 50 + 1000]);
  });

  it("delivers the far end's error after the reply delay", async () => {
    const { link, slept, sleep } = setup(profile({ latencyMs: 50 }));
    const fetch = impairedFetch(link, { sleep });
    await assert.rejects(
      fetch(async () => {
        throw new Error('409 conflict');
      }, sizes),
      /409 conflict/,
    );
    assert.deepEqual(slept, [50, 50]);
  });

  it('times out a lost request without running it', async () => {
    const { link, slept, sleep } = setup(profile({ latencyMs: 50, loss: 1 }), fixed(0.2));
    let sent = 0;
    await assert.rejects(
      impairedFetch(link, { sleep })(async () => ++sent, sizes),
      (e: unknown) => e instanceof LinkLossError && e.code === 'ETIMEDOUT' && e.leg === 'request',
    );
    assert.equal(sent, 0);
    assert.deepEqual(slept, [200], 'the default timeout is 2 round trips');
  });

  it('runs the exchange whose response is lost, then times out', async () => {
    const { link, slept, sleep } = setup(profile({ latencyMs: 50, loss: 1 }), fixed(0.7));
    let sent = 0;
    await assert.rejects(
      impairedFetch(link, { sleep, lossTimeoutMs: 30 })(async () => ++sent, sizes),
      (e: unknown) => e instanceof LinkLossError && e.leg === 'response',
    );
    assert.equal(sent, 1, 'the far end acted');
    assert.deepEqual(slept, [30, 50]);
  });

  it('resets an exchange when the link drops mid-way', async () => {
    const cutOnSleep: { link?: WanLink } = {};
    const { link, sleep } = setup(profile({ latencyMs: 50 }), seededRandom(1), () => cutOnSleep.link?.cut());
    cutOnSleep.link = link;
    let sent = 0;
    await assert.rejects(
      impairedFetch(link, { sleep })(async () => ++sent, sizes),
      (e: unknown) => e instanceof LinkDownError && e.code === 'ECONNRESET',
    );
    assert.equal(sent, 0, 'the request never arrived');
  });

  it('works on real timers', async () => {
    const link = new WanLink({ profile: profile({ latencyMs: 1 }), random: seededRandom(1) });
    assert.equal(await impairedFetch(link)(async () => 'ok', sizes), 'ok');
  });
});

/**
 * Puts a WanLink in front of any request a simulated subcloud makes. It
 * wraps a `send` function rather than an HTTP client, so the simulator can
 * use it with fetch, app.inject() or a direct call alike.
 *
 * The errors carry the `code` of the Node network error they stand for, so
 * client retry logic that looks at `err.code` treats them the same way.
 */
import type { WanLink } from './link-state.js';

export interface ExchangeSizes {
  requestBytes: number;
  responseBytes: number;
}

export type ImpairedFetch = <T>(send: () => Promise<T>, sizes: ExchangeSizes) => Promise<T>;

export interface ImpairedFetchOptions {
  /**
   * How long the client waits for a lost exchange before it gives up,
   * counted from when it sent: short, so simulated clients retry soon.
   * @default 2 × the link's round trip (at least 1 ms)
   */
  lossTimeoutMs?: number;
  /** Waits; inject one that moves a fake clock in tests. @default real timers */
  sleep?: (ms: number) => Promise<void>;
}

/** The link was down: refused at once, or reset if it dropped mid-exchange. */
export class LinkDownError extends Error {
  constructor(
    readonly code: 'ECONNREFUSED' | 'ECONNRESET',
    message = code === 'ECONNREFUSED' ? 'link down: connection refused' : 'link dropped during the exchange: connection reset',
  ) {
    super(message);
    this.name = 'LinkDownError';
  }
}

/** The request or its reply was lost; the client noticed by timing out. */
export class LinkLossError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly leg: 'request' | 'response') {
    super(`${leg} lost on the link: timed out`);
    this.name = 'LinkLossError';
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Settles as `pending` does, unless the link goes down first (by hand or on its schedule): then ECONNRESET at once. */
function unlessCut<T>(link: WanLink, pending: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = () => {
      clearTimeout(timer);
      unsubscribe();
    };
    const check = () => {
      if (link.isUp()) return arm();
      settle();
      reject(new LinkDownError('ECONNRESET'));
    };
    const arm = () => {
      clearTimeout(timer);
      const at = link.nextChangeAt();
      if (at !== undefined) timer = setTimeout(check, Math.max(0, at - link.now()) + 1).unref();
    };
    const unsubscribe = link.onChange(check);
    arm();
    pending.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error as Error);
      },
    );
  });
}

/**
 * Returns a function that runs `send` as if across `link`: refused at once
 * while the link is down; otherwise the request's one-way delay, `send`,
 * then the response's delay; what `send` returned or threw arrives after
 * that delay. A link that drops in between, or while `send` is pending,
 * resets the exchange. A lost
 * request never runs `send`; a lost response runs it (the far end acts)
 * and still fails. Both fail with LinkLossError once the loss timeout has
 * passed since sending, or when `send` settles if that is later.
 */
export function impairedFetch(link: WanLink, options: ImpairedFetchOptions = {}): ImpairedFetch {
  const sleep = options.sleep ?? realSleep;
  const lossTimeoutMs = options.lossTimeoutMs ?? Math.max(1, 2 * link.rttMs);
  const wait = (ms: number) => (ms > 0 ? sleep(ms) : Promise.resolve());

  return async <T>(send: () => Promise<T>, sizes: ExchangeSizes): Promise<T> => {
    if (!link.isUp()) throw new LinkDownError('ECONNREFUSED');
    const lost = link.lostLeg();
    if (lost === 'request') {
      await wait(lossTimeoutMs);
      throw new LinkLossError('request');
    }
    const timedOut = lost === 'response' ? wait(lossTimeoutMs) : undefined;
    await wait(link.delayMs(sizes.requestBytes));
    if (!link.isUp()) throw new LinkDownError('ECONNRESET');
    // The far end's answer, success or error, crosses the link like any reply; a link that goes down while the far
    // end holds the request (a long poll) resets it then, as a real cut resets the connection under it.
    const outcome = await unlessCut(
      link,
      send().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    if (timedOut) {
      await timedOut;
      throw new LinkLossError('response');
    }
    await wait(link.delayMs(sizes.responseBytes));
    if (!link.isUp()) throw new LinkDownError('ECONNRESET');
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
}

/**
 * An extra, short report beside the held long poll, so that a change (an
 * alarm raised, a job finished) goes up now rather than at the next
 * interval. Kicks made while one is in flight fold into one more right
 * after it, so a burst of changes costs two exchanges, not one each.
 *
 * A failed kick still carries news, so with a `retry` policy it tries again
 * on its own short backoff (full jitter, a few seconds at most) instead of
 * waiting out the main loop's idle backoff, which widens to 45 s for
 * subclouds. Behind a link that drops for 15 s, a finished step is then
 * reported within seconds of the link's return, not up to half a minute
 * later. Only sites with news retry this fast, so a fleet-wide outage does
 * not turn into a synchronized wave when the link returns.
 */
import { Backoff, type BackoffPolicy } from './backoff.js';

export interface KickerOptions {
  /** Retry a failed kick on this backoff; without it a failed kick is left to the main loop. */
  retry?: BackoffPolicy;
  random?: () => number;
}

export function createKicker(send: () => Promise<void>, canSend: () => boolean, options: KickerOptions = {}): () => void {
  const backoff = options.retry ? new Backoff(options.retry, options.random) : undefined;
  let running = false;
  let again = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const kick = (): void => {
    if (!canSend()) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(retryTimer);
    retryTimer = undefined;
    running = true;
    void send()
      .then(
        () => {
          backoff?.reset();
          return false;
        },
        () => backoff !== undefined,
      )
      .then((failed) => {
        running = false;
        if (again) {
          again = false;
          kick();
        } else if (failed && backoff) {
          retryTimer = setTimeout(kick, backoff.next());
          // A pending retry never keeps the process alive; canSend() ends it after a stop.
          retryTimer.unref();
        }
      });
  };
  return kick;
}

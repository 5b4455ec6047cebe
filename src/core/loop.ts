/**
 * A background loop: runs `tick` every `intervalMs`, never two at once,
 * logging (not throwing) failures so one bad tick does not end the loop.
 */
import type { Logger } from './logging.js';

export interface Loop {
  /** Stops scheduling and waits for a running tick to finish. */
  stop(): Promise<void>;
  /** Runs a tick now (tests, and start-up catch-up). */
  runNow(): Promise<void>;
}

export function startLoop(options: { name: string; intervalMs: number; tick: () => Promise<void>; log: Logger }): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const run = (): Promise<void> => {
    running ??= options
      .tick()
      .catch((err: unknown) => options.log.error({ err, loop: options.name }, 'background loop tick failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void run().then(schedule), options.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    runNow: run,
  };
}

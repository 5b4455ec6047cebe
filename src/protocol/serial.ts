/**
 * Runs tasks one at a time, in the order they were given, whatever became
 * of the one before (a failure does not block the next). Child sides apply
 * desired states this way: a kick's reply and the long poll's must not
 * apply concurrently.
 */
export function createSerial(): <T>(task: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = last.catch(() => undefined).then(task);
    last = run;
    return run;
  };
}

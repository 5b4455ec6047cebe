/**
 * An extra, short report beside the held long poll, so that a change (an
 * alarm raised) goes up now rather than at the next interval. Kicks made
 * while one is in flight fold into one more right after it, so a burst of
 * changes costs two exchanges, not one each. A failed kick is left to the
 * main loop, which retries with backoff.
 */
export function createKicker(send: () => Promise<void>, canSend: () => boolean): () => void {
  let running = false;
  let again = false;
  const kick = (): void => {
    if (!canSend()) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    send()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          kick();
        }
      });
  };
  return kick;
}

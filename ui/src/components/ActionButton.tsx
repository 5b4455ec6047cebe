/**
 * A button that changes something. With `confirm`, the first press asks
 * (inline, so keyboard and screen reader users get the same question) and
 * only "Yes" acts. The server's error is shown beside it, as it was said.
 */
import { useState } from 'react';

interface Props {
  label: string;
  run: () => Promise<unknown>;
  confirm?: string;
  done?: () => void;
  danger?: boolean;
}

export function ActionButton({ label, run, confirm, done, danger }: Props) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const act = async () => {
    setAsking(false);
    setBusy(true);
    setError(undefined);
    try {
      await run();
      done?.();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="action">
      {asking ? (
        <span role="group" aria-label={`Confirm ${label}`} className="confirm">
          <span>{confirm}</span>
          <button type="button" className={danger ? 'danger' : 'primary'} onClick={() => void act()} autoFocus>
            Yes, {label.toLowerCase()}
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </span>
      ) : (
        <button type="button" className={danger ? 'danger' : ''} disabled={busy} onClick={() => (confirm ? setAsking(true) : void act())}>
          {busy ? `${label}…` : label}
        </button>
      )}
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </span>
  );
}

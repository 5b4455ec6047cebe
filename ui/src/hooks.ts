/** Reading API data into components: load, reload, poll, and who is logged in. */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { get } from './api';

export interface Resource<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/** GETs `path` (again when it changes, and every `pollMs` if given); null skips. */
export function useResource<T>(path: string | null, pollMs?: number): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    get<T>(path, abort.signal).then(
      (value) => {
        setData(value);
        setError(undefined);
      },
      (err: Error) => {
        if (!abort.signal.aborted) setError(err.message);
      },
    );
    return () => abort.abort();
  }, [path, tick]);
  useEffect(() => {
    if (!pollMs) return;
    const timer = setInterval(reload, pollMs);
    return () => clearInterval(timer);
  }, [pollMs, reload]);
  return { data, error, reload };
}

export type Role = 'admin' | 'operator' | 'reader';

export interface User {
  name: string;
  role: Role;
}

export const UserContext = createContext<User>({ name: '', role: 'reader' });

/** Whether the logged-in user may do what needs `role` (admin > operator > reader). */
export function useCan(): (needed: Role) => boolean {
  const { role } = useContext(UserContext);
  const rank = { reader: 0, operator: 1, admin: 2 };
  return (needed) => rank[role] >= rank[needed];
}

/** Runs `fn` once per animation frame at most, with the latest arguments. */
export function useFrameThrottle(fn: () => void): () => void {
  const pending = useRef(false);
  const latest = useRef(fn);
  latest.current = fn;
  return useCallback(() => {
    if (pending.current) return;
    pending.current = true;
    requestAnimationFrame(() => {
      pending.current = false;
      latest.current();
    });
  }, []);
}

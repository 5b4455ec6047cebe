/**
 * Hash routing in a few lines: `#/subclouds/farm-1` → ['subclouds', 'farm-1'].
 * The server only ever serves `/`, so a reload or a shared link always works.
 */
import { useEffect, useState } from 'react';

const parse = (): string[] =>
  window.location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);

export function useRoute(): string[] {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const update = () => setRoute(parse());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join('/')}`;

export const navigate = (...parts: string[]): void => {
  window.location.hash = href(...parts);
};

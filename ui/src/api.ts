/**
 * The dashboard's one way to the REST API: the session token goes in the
 * Authorization header, errors come back as ApiError carrying the server's
 * message and field (shown to the operator as they are), and a 401 ends the
 * session so the login page shows again.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'starling.token';
let onUnauthorized: () => void = () => undefined;

export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string | null): void {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  onUnauthorized(handler: () => void): void {
    onUnauthorized = handler;
  },
  /** The server refused the token (a 401 outside api(), e.g. on an event stream): back to the login page. */
  ended(): void {
    onUnauthorized();
  },
};

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = {};
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`api/v1${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body), signal: signal ?? null });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (parsed ?? {}) as { message?: string; field?: string };
    if (res.status === 401 && path !== '/auth/login') onUnauthorized();
    throw new ApiError(res.status, err.message ?? `HTTP ${res.status}`, err.field);
  }
  return parsed as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

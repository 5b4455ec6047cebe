/**
 * The three roles, after StarlingX's keystone roles:
 * - `admin`: everything, including users and the audit log.
 * - `operator`: operates the system (raise/clear alarms, suppress, host
 *   actions), but does not manage users.
 * - `reader`: reads everything but secrets; changes nothing.
 */
export const ROLES = ['admin', 'operator', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** Role sets routes declare. */
export const ANY_ROLE: readonly Role[] = ['admin', 'operator', 'reader'];
export const OPERATORS: readonly Role[] = ['admin', 'operator'];
export const ADMINS: readonly Role[] = ['admin'];

/**
 * Who may call a route: a user's role, `agent` (a host agent) or `subcloud`
 * (a subcloud reporting upward), each machine caller with its own
 * credential. Machine callers may call only routes that name them.
 */
export type CallerRole = Role | 'agent' | 'subcloud';
export const AGENTS: readonly CallerRole[] = ['agent'];
/** A subcloud reporting to this system controller, with its own credential. */
export const SUBCLOUDS: readonly CallerRole[] = ['subcloud'];

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/**
 * The settings every command shares, without the server's validated
 * schema (server-config.ts): a host agent or a CLI call loads only this, so
 * it does not pay for the schema compiler (see bench:site's idle agent RSS).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/**
 * - `standalone`: one site; it manages no subclouds.
 * - `systemcontroller`: the central cloud of a distributed cloud: the only role that adds and manages subclouds.
 * - `subcloud`: a site that reports to a system controller (--system-controller, --enroll-token).
 */
export const SITE_ROLES = ['standalone', 'systemcontroller', 'subcloud'] as const;
export type SiteRole = (typeof SITE_ROLES)[number];
export const SYSTEM_MODES = ['simplex', 'duplex', 'standard'] as const;

export type Env = Readonly<Record<string, string | undefined>>;

/** The default data folder: $XDG_DATA_HOME/starling. */
export function defaultDataDir(env: Env): string {
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'starling');
}

/** The agent's default state folder: $XDG_STATE_HOME/starling/agent. */
export function defaultAgentStateDir(env: Env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'starling', 'agent');
}

/** What the CLI needs from its environment. */
export interface CliEnvironment {
  /** STARLING_URL: overrides the stored login's URL. */
  url: string | undefined;
  /** STARLING_TOKEN: overrides the stored login's token. */
  token: string | undefined;
  /** STARLING_CA_FILE: the CA (PEM file) to trust for the controller, instead of the one stored at login. */
  caFile: string | undefined;
  /** Folder for the CLI's stored login (`$XDG_CONFIG_HOME/starling`). */
  configDir: string;
  /** NO_COLOR / non-TTY output is handled by the caller; this is only for tests. */
  env: Env;
}

export function loadCliEnvironment(env: Env): CliEnvironment {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return Object.freeze({
    url: env.STARLING_URL || undefined,
    token: env.STARLING_TOKEN || undefined,
    caFile: env.STARLING_CA_FILE || undefined,
    configDir: join(base, 'starling'),
    env,
  });
}

/** What every CLI command gets: its environment, output, and a client. */
import type { Command } from 'commander';
import type { CliEnvironment, Env } from '../core/config.js';
import { createClient, type ApiClient } from './client.js';
import { resolveTarget } from './credentials.js';
import type { OutputFormat } from './output.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Asks the operator (a line from standard input); absent or undefined when nobody can answer. */
  ask?: (question: string) => Promise<string | undefined>;
}

export interface CliContext extends CliIo {
  env: CliEnvironment;
  /** The raw environment, for `serve` and `demo` (server config reads it). */
  processEnv: Env;
  cwd: string;
  /** How to invoke this CLI in printed hints ("starling", or "node bin/starling.js" from a clone). */
  self: string;
  /** A client for the stored login (or STARLING_URL/STARLING_TOKEN). */
  client(): ApiClient;
  /** The `-o` format in effect for a command. */
  format(command: Command): OutputFormat;
}

export function createContext(io: CliIo, processEnv: Env, env: CliEnvironment, cwd: string, self = 'starling'): CliContext {
  return {
    ...io,
    env,
    processEnv,
    cwd,
    self,
    client() {
      const { url, token, ca } = resolveTarget(env);
      return createClient(url, token, ca);
    },
    format(command) {
      return (command.optsWithGlobals() as { output: OutputFormat }).output;
    },
  };
}

/** Commander collects repeated/comma-separated values through this. */
export const commaList = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

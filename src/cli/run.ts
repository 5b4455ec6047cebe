/** Runs the CLI once: parses, executes, and turns any failure into one line and an exit code. */
import { CommanderError } from 'commander';
import { loadCliEnvironment, type Env } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { createContext, type CliIo } from './context.js';
import { CliError } from './errors.js';
import { buildProgram } from './program.js';

export async function runCli(argv: string[], io: CliIo, env: Env, cwd: string, self?: string): Promise<number> {
  const ctx = createContext(io, env, loadCliEnvironment(env), cwd, self);
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help).
      return err.exitCode;
    }
    if (err instanceof CliError || err instanceof ConfigError) io.err(`Error: ${err.message}`);
    else io.err(`Error: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}

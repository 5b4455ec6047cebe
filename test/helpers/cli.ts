import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process with its own config folder, over real HTTP. */
export function cliRunner(extraEnv: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'starling-cli-'));
  const env: Record<string, string> = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...extraEnv };
  const run = async (...argv: string[]): Promise<CliResult> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }, env, home);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  return { run, env, home };
}

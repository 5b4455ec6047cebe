/** Real `starling` processes for end-to-end tests (the built binary). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { caFileOf, trustController } from './tls.js';

export const BIN = fileURLToPath(new URL('../../bin/starling.js', import.meta.url));

export interface Served {
  child: ChildProcess;
  url: string;
  /** The CA file a client trusts for this controller (absent on plain HTTP). */
  caFile: string | undefined;
  output: () => string;
  /** Waits for exit; returns the exit code or signal. */
  exited: Promise<number | string>;
}

/** Starts `starling serve` on a free port and waits for its URL line. */
export async function startServe(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    env: { PATH: process.env.PATH ?? '', STARLING_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${text}`)), 20_000);
    const check = () => {
      const m = /controller at (https?:\/\/\S+) /.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`serve exited early:\n${text}`)));
  });
  const caFile = /clients trust the CA in (\S+) /.exec(text)?.[1];
  if (caFile) trustController(url, caFile);
  return { child, url, caFile, output: () => text, exited };
}

/** Runs the CLI binary to completion; `input` is what the operator types (standard input), none by default. */
export function runBin(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    // Trusts the CA of the controller it talks to, as an operator's STARLING_CA_FILE does.
    const caFile = env.STARLING_URL ? caFileOf(env.STARLING_URL) : undefined;
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...(caFile ? { STARLING_CA_FILE: caFile } : {}), ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin!.end(input);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

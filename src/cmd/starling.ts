/** The `starling` binary. */
import { basename, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { runCli } from '../cli/run.js';

/** One line from standard input (a terminal, or a pipe in scripts and tests); undefined when it ends first. */
function ask(question: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
    let answered = false;
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
    rl.once('close', () => {
      if (!answered) resolve(undefined);
    });
  });
}

// Installed, the bin is on PATH as "starling"; from a clone it is bin/starling.js.
const script = process.argv[1] ?? 'starling';
const self = basename(script) === 'starling' ? 'starling' : `node ${relative(process.cwd(), script) || script}`;

// Output piped into `head` and the like: the reader left, so stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(
  process.argv.slice(2),
  { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n'), ask },
  process.env,
  process.cwd(),
  self,
);
if (code !== 0) process.exitCode = code;

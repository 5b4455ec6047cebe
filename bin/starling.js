#!/usr/bin/env node
// The compiled CLI; `npm install` builds it (the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cmd/starling.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('starling is not built yet: run "npm run build" (npm install does it too)\n');
  process.exit(1);
}
await import(entry.href);

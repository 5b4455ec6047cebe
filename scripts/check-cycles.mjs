#!/usr/bin/env node
// Fails if any relative import chain under src/ forms a cycle (type-only
// imports included: they couple modules all the same).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const files = [];
const walk = (p) => (statSync(p).isDirectory() ? readdirSync(p).forEach((e) => walk(join(p, e))) : p.endsWith('.ts') && files.push(resolve(p)));
walk('src');

const graph = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps = [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) => resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  graph.set(file, deps.filter((d) => files.includes(d)));
}

const state = new Map(); // 1 visiting, 2 done
const cycles = [];
const visit = (node, stack) => {
  state.set(node, 1);
  stack.push(node);
  for (const dep of graph.get(node)) {
    if (state.get(dep) === 1) cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => relative('.', f)));
    else if (!state.get(dep)) visit(dep, stack);
  }
  stack.pop();
  state.set(node, 2);
};
for (const f of files) if (!state.get(f)) visit(f, []);

if (cycles.length) {
  console.error(`import cycles (${cycles.length}):\n${cycles.map((c) => '  ' + c.join(' -> ')).join('\n')}`);
  process.exit(1);
}
console.log(`no import cycles in ${files.length} files`);

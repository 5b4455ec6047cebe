// Writes a .gz beside each built dashboard file, so the server sends the
// compressed copy (@fastify/static preCompressed) without compressing on
// every request. Prints the sizes: the JavaScript's gzip size is what a
// browser downloads first.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('../dist/ui/', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(js|css|html|svg|json)$/.test(name)) files.push(path);
  }
};
walk(root);
let jsGzip = 0;
for (const path of files) {
  const gz = gzipSync(readFileSync(path), { level: 9 });
  writeFileSync(`${path}.gz`, gz);
  if (path.endsWith('.js')) jsGzip += gz.length;
  if (process.env.STARLING_UI_SIZES) console.log(`${relative(root, path)}: ${gz.length} bytes gzip`);
}
console.log(`dashboard: ${files.length} files compressed; JavaScript ${(jsGzip / 1024).toFixed(1)} kB gzip`);

/**
 * Serves the dashboard (the React app Vite builds into dist/ui) at `/`.
 * Hash routing means the server only ever serves index.html and its assets,
 * so a reload or a shared link works without a catch-all route. Assets
 * carry content hashes in their names and are cached for a year; index.html
 * is always re-read. When the app was not built (a checkout without
 * `npm run build`), `/` says so instead of a bare 404.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** dist/ui beside the package's package.json, from src/ (tsx) or dist/ (built) alike. */
export function dashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'ui');
}

export async function installDashboard(app: FastifyInstance, dir = dashboardDir()): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('The dashboard is not built: run "npm run build". The API is at /api/v1 and its documentation at /api/docs.\n'),
    );
    return;
  }
  const assets = join(dir, 'assets');
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    preCompressed: true,
    index: ['index.html'],
    setHeaders: (res, path) => {
      res.header('cache-control', path.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.header('x-content-type-options', 'nosniff');
    },
  });
}

/**
 * A controller for one describe block: a fresh SQLite database, the
 * assembled app listening on a free loopback port, torn down afterwards.
 * Call inside describe(); read `.api` and `.url` inside tests.
 */
import { after, before } from 'node:test';
import { createTestDatabase, type TestDatabase } from './backends.js';
import { createTestApi, type TestApi } from './api.js';

export interface LiveApi {
  readonly api: TestApi;
  readonly url: string;
}

export function useLiveApi(options: Parameters<typeof createTestApi>[1] = {}): LiveApi {
  let database: TestDatabase;
  const live = {} as { api: TestApi; url: string };
  before(async () => {
    database = await createTestDatabase('sqlite');
    live.api = await createTestApi(database, options);
    live.url = await live.api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await live.api.close();
    await database.dispose();
  });
  return live;
}

/** Reading paginated lists ({items, next_cursor}) from the API. */
import type { CliContext } from './context.js';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Fetches one page, or every page with `all`. */
export async function fetchPages<T>(ctx: CliContext, path: string, query: Record<string, string | number | boolean | undefined>, all: boolean): Promise<Page<T>> {
  const client = ctx.client();
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.request<Page<T>>('GET', path, { query: { ...query, cursor } });
    items.push(...page.items);
    if (!all || !page.next_cursor) return { items, next_cursor: page.next_cursor };
    cursor = page.next_cursor;
  }
}

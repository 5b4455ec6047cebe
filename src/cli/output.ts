/**
 * Output formats: bordered tables like StarlingX's CLIs (prettytable) by
 * default, or `-o json` / `-o yaml` for scripts.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

// Required on first use, not imported: most calls print tables or JSON, and
// `starling agent` (which loads this module with the rest of the CLI) would
// otherwise carry the YAML library in its resident memory for nothing.
const require = createRequire(import.meta.url);
const toYaml = (value: unknown): string => (require('yaml') as typeof Yaml).stringify(value);

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

const cell = (v: unknown): string => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v));

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const fmt = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line, fmt(headers), line, ...rows.map(fmt), line].join('\n');
}

/** A list: a table of the chosen columns, or the raw items as JSON/YAML. */
export function renderList<T>(format: OutputFormat, items: T[], columns: Column<T>[]): string {
  if (format === 'json') return JSON.stringify(items, null, 2);
  if (format === 'yaml') return toYaml(items).trimEnd();
  return table(
    columns.map((c) => c.header),
    items.map((item) => columns.map((c) => cell(c.value(item)))),
  );
}

/** One object: a Property/Value table, or JSON/YAML. */
export function renderObject(format: OutputFormat, value: object): string {
  if (format === 'json') return JSON.stringify(value, null, 2);
  if (format === 'yaml') return toYaml(value).trimEnd();
  return table(
    ['Property', 'Value'],
    Object.entries(value).map(([k, v]) => [k, typeof v === 'object' && v !== null && !Array.isArray(v) ? JSON.stringify(v) : cell(v)]),
  );
}

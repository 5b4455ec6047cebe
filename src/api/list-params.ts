/** Parsing of comma-separated filter values, with errors that name the field. */
import { InputError } from '../core/errors.js';

export function parseList(value: string | undefined, field: string, check: (item: string) => boolean, expected: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0 || items.length > 100) throw new InputError(`${field}: give 1 to 100 comma-separated values`, field);
  for (const item of items) {
    if (!check(item)) throw new InputError(`${field}: ${JSON.stringify(item.slice(0, 40))} is not ${expected}`, field);
  }
  return items;
}

export const isAlarmId = (s: string): boolean => /^\d{3}\.\d{3}$/.test(s);

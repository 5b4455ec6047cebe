/**
 * Durations as operators write them: `30d`, `12h`, `90m`, `45s`, or pieces
 * together (`1d12h`), as Velero's --ttl and kubectl take them.
 */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WHOLE = /^(?:\d+[smhd])+$/;
const PIECE = /(\d+)([smhd])/g;

/** Milliseconds, or undefined when `text` is not such a duration (or is zero). */
export function parseDurationText(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(PIECE)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest text for `ms` in whole units (`30d`, `36h`, `90m`), as parseDurationText reads it. */
export function formatDurationText(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) if (ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}

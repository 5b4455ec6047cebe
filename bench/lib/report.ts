/** Percentiles and the final table: one row per figure, with its target and verdict. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface Row {
  backend: string;
  measure: string;
  value: number;
  unit: string;
  /** Absent for figures printed for information only. */
  target?: Target;
  note?: string;
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function verdict(row: Row): string {
  if (!row.target) return 'info';
  const ok = row.target.op === '>=' ? row.value >= row.target.value : row.value <= row.target.value;
  return ok ? 'PASS' : 'MISS';
}

/** `firstColumn` names what `Row.backend` holds (a backend in the fm bench, a scenario in the site bench). */
export function printTable(rows: readonly Row[], firstColumn = 'Backend'): void {
  const cells = rows.map((r) => [
    r.backend,
    r.measure,
    `${fmt(r.value)} ${r.unit}`,
    r.target ? `${r.target.op} ${fmt(r.target.value)}` : '',
    verdict(r),
    r.note ?? '',
  ]);
  const header = [firstColumn, 'Measurement', 'Result', 'Target', 'Verdict', 'Note'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  // Numbers right-aligned so magnitudes line up.
  const line = (c: string[]) => c.map((s, i) => (i === 2 || i === 3 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join(' | ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-+-'));
  let previous = '';
  for (const [i, c] of cells.entries()) {
    if (previous && rows[i]!.backend !== previous) console.log(widths.map((w) => '-'.repeat(w)).join('-+-'));
    previous = rows[i]!.backend;
    console.log(line(c));
  }
}

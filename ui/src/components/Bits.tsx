/** Small shared pieces: state badges, progress bars, errors, tables, time. */
import type { ReactNode } from 'react';

export function Badge({ value }: { value: string | null | undefined }) {
  const v = value ?? '—';
  return <span className={`badge s-${v.replace(/[^a-zA-Z0-9-]/g, '')}`}>{v}</span>;
}

export function Progress({ done, total, label }: { done: number; total: number; label: string }) {
  const pct = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <span className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
      <span className="bar" style={{ width: `${pct}%` }} />
      <span className="label">
        {done} / {total}
      </span>
    </span>
  );
}

export function ErrorText({ error }: { error: string | undefined }) {
  return error ? (
    <p role="alert" className="error">
      {error}
    </p>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return <p className="muted">Loading {what}…</p>;
}

/** A column header that sorts the table: a button in the header cell, its order announced through aria-sort. */
export interface SortableHead {
  label: string;
  sort: 'ascending' | 'descending';
  onSort: () => void;
}

interface TableProps {
  caption: string;
  head: Array<string | SortableHead>;
  rows: ReactNode[][];
  empty?: string;
  /** A class per row (by index), e.g. to colour it by state; the row must also say the state in text. */
  rowClass?: (index: number) => string | undefined;
}

function HeadCell({ head }: { head: string | SortableHead }) {
  if (typeof head === 'string') return <th scope="col">{head}</th>;
  return (
    <th scope="col" aria-sort={head.sort}>
      <button type="button" className="sort" onClick={head.onSort}>
        {head.label} <span aria-hidden="true">{head.sort === 'ascending' ? '▲' : '▼'}</span>
      </button>
    </th>
  );
}

export function Table({ caption, head, rows, empty, rowClass }: TableProps) {
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <HeadCell key={typeof h === 'string' ? h : h.label} head={h} />
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={head.length} className="muted">
                {empty ?? 'None.'}
              </td>
            </tr>
          ) : (
            rows.map((r, i) => (
              <tr key={i} className={rowClass?.(i)}>
                {r.map((c, j) => (
                  <td key={j}>{c}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

/** The audit log (admin): every mutating request, who made it, and how it ended. */
import { useState } from 'react';
import type { Page } from '../api';
import { Badge, ErrorText, Table, when } from '../components/Bits';
import { useResource } from '../hooks';

interface Entry {
  seq: number;
  at: string;
  user: string | null;
  role: string | null;
  source: string;
  method: string;
  route: string;
  target_id: string | null;
  status: number;
  outcome: string;
}

export function Audit() {
  const [outcome, setOutcome] = useState('');
  const [cursor, setCursor] = useState<string[]>([]);
  const page = useResource<Page<Entry>>(`/audit?limit=100${outcome ? `&outcome=${outcome}` : ''}${cursor.length ? `&cursor=${encodeURIComponent(cursor.at(-1)!)}` : ''}`);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <div className="filters">
        <label>
          Outcome
          <select
            value={outcome}
            onChange={(e) => {
              setOutcome(e.target.value);
              setCursor([]);
            }}
          >
            <option value="">All</option>
            <option>success</option>
            <option>denied</option>
            <option>failure</option>
          </select>
        </label>
        <button type="button" disabled={cursor.length === 0} onClick={() => setCursor((c) => c.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!page.data?.next_cursor} onClick={() => setCursor((c) => [...c, page.data!.next_cursor!])}>
          Older
        </button>
      </div>
      <ErrorText error={page.error} />
      <Table
        caption="Mutating requests, newest first"
        head={['When', 'User', 'Role', 'Source', 'Request', 'Target', 'Status', 'Outcome']}
        rows={(page.data?.items ?? []).map((e) => [when(e.at), e.user ?? '—', e.role ?? '—', e.source, `${e.method} ${e.route}`, e.target_id ?? '', e.status, <Badge value={e.outcome} />])}
      />
    </section>
  );
}

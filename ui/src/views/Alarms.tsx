/**
 * Active alarms, live: the list re-reads when the change stream says an
 * alarm was set or cleared (at most every half second, however many arrive),
 * so an alarm raised anywhere shows without a reload. Filter by severity and
 * entity; suppress or unsuppress an alarm ID (operator).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Page } from '../api';
import { ActionButton } from '../components/ActionButton';
import { Badge, ErrorText, Table, when } from '../components/Bits';
import { useCan, useResource } from '../hooks';
import { subscribe } from '../sse';

interface Alarm {
  uuid: string;
  alarm_id: string;
  entity_instance_id: string;
  severity: string;
  reason_text: string;
  proposed_repair_action: string;
  timestamp: string;
  suppression: boolean;
  suppression_status: 'suppressed' | 'unsuppressed';
  mgmt_affecting: boolean;
}

interface Summary {
  critical: number;
  major: number;
  minor: number;
  warning: number;
  suppressed: number;
}

const SEVERITIES = ['critical', 'major', 'minor', 'warning'];

/** Reloads at most every `ms`, and once more after the last call. */
function useCoalesced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      fn();
    }, ms);
  }, [fn, ms]);
}

export function Alarms() {
  const can = useCan();
  const [severity, setSeverity] = useState('');
  const [entity, setEntity] = useState('');
  const [suppressed, setSuppressed] = useState(false);
  const [live, setLive] = useState(false);
  const query = new URLSearchParams({ limit: '500', include_suppressed: String(suppressed) });
  if (severity) query.set('severity', severity);
  if (entity.trim()) query.set('entity', entity.trim());
  const alarms = useResource<Page<Alarm>>(`/alarms?${query}`);
  const summary = useResource<Summary>('/alarms/summary');
  const reloadBoth = useCallback(() => {
    alarms.reload();
    summary.reload();
  }, [alarms.reload, summary.reload]);
  const changed = useCoalesced(reloadBoth, 500);
  useEffect(() => subscribe('/stream', (m) => ['set', 'clear', 'suppression', 'reset'].includes(m.event) && changed(), setLive), [changed]);

  const suppress = (a: Alarm, status: 'suppressed' | 'unsuppressed') => api('PATCH', '/suppressions', { alarm_ids: [a.alarm_id], suppression_status: status });
  const s = summary.data;
  return (
    <section aria-labelledby="alarms-title">
      <h1 id="alarms-title">Alarms</h1>
      <p className="summary" aria-live="polite">
        {s ? (
          <>
            <Badge value="critical" /> {s.critical} <Badge value="major" /> {s.major} <Badge value="minor" /> {s.minor} <Badge value="warning" /> {s.warning} · {s.suppressed} suppressed
          </>
        ) : (
          'Reading the summary…'
        )}{' '}
        <span className="muted">{live ? '· live' : '· connecting…'}</span>
      </p>
      <div className="filters">
        <label>
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">All</option>
            {SEVERITIES.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          Entity starts with
          <input type="search" value={entity} onChange={(e) => setEntity(e.target.value)} placeholder="host=worker-1" />
        </label>
        <label className="check">
          <input type="checkbox" checked={suppressed} onChange={(e) => setSuppressed(e.target.checked)} /> Include suppressed
        </label>
      </div>
      <ErrorText error={alarms.error} />
      <Table
        caption="Active alarms, newest first"
        head={['Severity', 'Alarm ID', 'Entity', 'Reason', 'Proposed repair', 'Time', ...(can('operator') ? ['Actions'] : [])]}
        empty="No active alarms."
        rows={(alarms.data?.items ?? []).map((a) => [
          <Badge value={a.suppression_status === 'suppressed' ? 'suppressed' : a.severity} />,
          a.alarm_id,
          a.entity_instance_id,
          a.reason_text,
          a.proposed_repair_action,
          when(a.timestamp),
          ...(can('operator')
            ? [
                a.suppression ? (
                  a.suppression_status === 'suppressed' ? (
                    <ActionButton label="Unsuppress" run={() => suppress(a, 'unsuppressed')} done={reloadBoth} />
                  ) : (
                    <ActionButton label="Suppress" confirm={`Suppress every ${a.alarm_id} alarm?`} run={() => suppress(a, 'suppressed')} done={reloadBoth} />
                  )
                ) : (
                  <span className="muted">not suppressible</span>
                ),
              ]
            : []),
        ])}
      />
    </section>
  );
}

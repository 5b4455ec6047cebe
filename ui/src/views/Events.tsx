/** The event log as a timeline, newest first: alarm sets and clears, and logs. */
import { useState } from 'react';
import type { Page } from '../api';
import { Badge, ErrorText, when } from '../components/Bits';
import { useResource } from '../hooks';

interface Event {
  uuid: string;
  seq: number;
  alarm_id: string;
  alarm_state: string;
  entity_instance_id: string;
  severity: string;
  reason_text: string;
  timestamp: string;
}

export function Events() {
  const [type, setType] = useState('');
  const events = useResource<Page<Event>>(`/events?limit=200${type ? `&type=${type}` : ''}`, 5000);
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Events</h1>
      <div className="filters">
        <label>
          Show
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">Everything</option>
            <option value="alarms">Alarm sets and clears</option>
            <option value="logs">Logs</option>
          </select>
        </label>
      </div>
      <ErrorText error={events.error} />
      <ol className="timeline" aria-label="Event log, newest first">
        {(events.data?.items ?? []).map((e) => (
          <li key={e.uuid}>
            <time dateTime={e.timestamp}>{when(e.timestamp)}</time> <Badge value={e.alarm_state} /> <Badge value={e.severity} /> <strong>{e.alarm_id}</strong> {e.entity_instance_id} — {e.reason_text}
          </li>
        ))}
      </ol>
    </section>
  );
}

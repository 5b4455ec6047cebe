/** Listing alarms (and paging any list) for the CLI: shared by `alarm list` and `--watch`. */
import type { AlarmView } from '../resources/alarms/alarm.views.js';
import type { CliContext } from './context.js';
import type { Column } from './output.js';

export const ALARM_COLUMNS: Column<AlarmView>[] = [
  { header: 'UUID', value: (a) => a.uuid },
  { header: 'Alarm ID', value: (a) => a.alarm_id },
  { header: 'Reason Text', value: (a) => a.reason_text },
  { header: 'Entity ID', value: (a) => a.entity_instance_id },
  { header: 'Severity', value: (a) => a.severity },
  { header: 'Time Stamp', value: (a) => a.timestamp },
];

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface AlarmListOptions {
  alarmId?: string[];
  severity?: string[];
  entity?: string;
  mgmtAffecting?: boolean;
  degradeAffecting?: boolean;
  includeSuppressed?: boolean;
  limit: string;
  all?: boolean;
  watch?: boolean;
}

export function alarmQuery(o: AlarmListOptions) {
  return {
    alarm_id: o.alarmId?.join(','),
    severity: o.severity?.join(','),
    entity: o.entity,
    mgmt_affecting: o.mgmtAffecting,
    degrade_affecting: o.degradeAffecting,
    include_suppressed: o.includeSuppressed,
    limit: o.limit,
  };
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

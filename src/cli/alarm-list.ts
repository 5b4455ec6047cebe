/** Listing alarms (and paging any list) for the CLI: shared by `alarm list` and `--watch`. */
import type { AlarmView } from '../resources/alarms/alarm.views.js';
import type { Column } from './output.js';

export const ALARM_COLUMNS: Column<AlarmView>[] = [
  { header: 'UUID', value: (a) => a.uuid },
  { header: 'Alarm ID', value: (a) => a.alarm_id },
  { header: 'Reason Text', value: (a) => a.reason_text },
  { header: 'Entity ID', value: (a) => a.entity_instance_id },
  { header: 'Severity', value: (a) => a.severity },
  { header: 'Time Stamp', value: (a) => a.timestamp },
];


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

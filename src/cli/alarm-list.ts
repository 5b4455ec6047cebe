/** Listing alarms (and paging any list) for the CLI: shared by `alarm list` and `--watch`. */
import type { AlarmView } from '../resources/alarms/alarm.views.js';
import type { FleetAlarmView } from '../resources/subclouds/fleet-alarms.js';
import { CliError } from './errors.js';
import type { Column } from './output.js';

/** The fields a local alarm and a subcloud's alarm (fleet list) share. */
type ListedAlarm = Pick<AlarmView, 'uuid' | 'alarm_id' | 'reason_text' | 'entity_instance_id' | 'severity' | 'timestamp'>;

export const ALARM_COLUMNS: Column<ListedAlarm>[] = [
  { header: 'UUID', value: (a) => a.uuid },
  { header: 'Alarm ID', value: (a) => a.alarm_id },
  { header: 'Reason Text', value: (a) => a.reason_text },
  { header: 'Entity ID', value: (a) => a.entity_instance_id },
  { header: 'Severity', value: (a) => a.severity },
  { header: 'Time Stamp', value: (a) => a.timestamp },
];

/** `alarm list --fleet`: the subclouds' alarms, with the subcloud first. */
export const FLEET_ALARM_COLUMNS: Column<FleetAlarmView>[] = [
  { header: 'Subcloud', value: (a) => a.subcloud },
  ...ALARM_COLUMNS,
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
  fleet?: boolean;
  subcloud?: string;
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

/** The query for GET /api/v1/fleet/alarms; refuses the local-only filters. */
export function fleetAlarmQuery(o: AlarmListOptions) {
  const localOnly = ([['entity', o.entity], ['mgmt-affecting', o.mgmtAffecting], ['degrade-affecting', o.degradeAffecting], ['include-suppressed', o.includeSuppressed], ['watch', o.watch]] as const).find(([, v]) => v);
  if (localOnly) throw new CliError(`--${localOnly[0]} is not available with --fleet`);
  return { subcloud: o.subcloud, alarm_id: o.alarmId?.join(','), severity: o.severity?.join(','), limit: o.limit };
}

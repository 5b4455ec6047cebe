/**
 * The API's view of alarms and events: StarlingX fm's field names, ISO
 * timestamps, booleans as booleans.
 */
import type { AlarmRow, EventRow } from '../../db/schema.js';
import type { Catalogue } from './catalogue.js';

export interface AlarmView {
  uuid: string;
  alarm_id: string;
  alarm_state: 'set';
  entity_type_id: string;
  entity_instance_id: string;
  timestamp: string;
  severity: string;
  reason_text: string;
  alarm_type: string;
  probable_cause: string;
  proposed_repair_action: string;
  service_affecting: boolean;
  /** Whether the alarm's definition allows suppressing it. */
  suppression: boolean;
  suppression_status: 'suppressed' | 'unsuppressed';
  mgmt_affecting: boolean;
  degrade_affecting: boolean;
}

export interface EventView {
  uuid: string;
  /** Position in the event log; also the change stream's event id. */
  seq: number;
  alarm_id: string;
  alarm_state: string;
  entity_type_id: string;
  entity_instance_id: string;
  timestamp: string;
  severity: string;
  reason_text: string;
  alarm_type: string;
  probable_cause: string;
  proposed_repair_action: string;
  service_affecting: boolean;
  suppression_status: 'suppressed' | 'unsuppressed';
}

const iso = (ms: number): string => new Date(ms).toISOString();
const status = (flag: number): 'suppressed' | 'unsuppressed' => (flag ? 'suppressed' : 'unsuppressed');

export function toAlarmView(row: AlarmRow, catalogue: Catalogue): AlarmView {
  return {
    uuid: row.uuid,
    alarm_id: row.alarm_id,
    alarm_state: 'set',
    entity_type_id: row.entity_type_id,
    entity_instance_id: row.entity_instance_id,
    timestamp: iso(row.timestamp),
    severity: row.severity,
    reason_text: row.reason_text,
    alarm_type: row.alarm_type,
    probable_cause: row.probable_cause,
    proposed_repair_action: row.proposed_repair_action,
    service_affecting: row.service_affecting === 1,
    suppression: catalogue.get(row.alarm_id)?.suppressible ?? false,
    suppression_status: status(row.suppressed),
    mgmt_affecting: row.mgmt_affecting === 1,
    degrade_affecting: row.degrade_affecting === 1,
  };
}

export function toEventView(row: EventRow): EventView {
  return {
    uuid: row.uuid,
    seq: row.seq,
    alarm_id: row.alarm_id,
    alarm_state: row.alarm_state,
    entity_type_id: row.entity_type_id,
    entity_instance_id: row.entity_instance_id,
    timestamp: iso(row.timestamp),
    severity: row.severity,
    reason_text: row.reason_text,
    alarm_type: row.alarm_type,
    probable_cause: row.probable_cause,
    proposed_repair_action: row.proposed_repair_action,
    service_affecting: row.service_affecting === 1,
    suppression_status: status(row.suppressed),
  };
}

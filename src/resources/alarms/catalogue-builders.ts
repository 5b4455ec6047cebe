/**
 * Builders for alarm and log definitions: the defaults most definitions
 * share, so the data files list only what differs.
 */
import type { AlarmDefinition, AlarmType, Severity } from './catalogue.js';

export type Def = Omit<AlarmDefinition, 'alarmId' | 'kind' | 'maintenanceAction' | 'serviceAffecting' | 'suppressible' | 'degradeAffectingSeverity'> &
  Partial<Pick<AlarmDefinition, 'maintenanceAction' | 'serviceAffecting' | 'suppressible' | 'degradeAffectingSeverity'>>;

export const CONTACT = 'If the problem persists, contact next level of support.';

export function alarm(alarmId: string, d: Def): AlarmDefinition {
  return {
    alarmId,
    kind: 'alarm',
    maintenanceAction: 'none',
    serviceAffecting: false,
    suppressible: true,
    degradeAffectingSeverity: 'none',
    ...d,
  };
}

export function log(alarmId: string, description: string, entityTypeId: string, entityInstanceIdFormat: string, severity: Severity, alarmType: AlarmType, probableCause: string): AlarmDefinition {
  return {
    alarmId,
    kind: 'log',
    description,
    entityTypeId,
    entityInstanceIdFormat,
    severities: [severity],
    alarmType,
    probableCause,
    proposedRepairAction: 'none',
    maintenanceAction: 'none',
    serviceAffecting: false,
    suppressible: false,
    mgmtAffectingSeverity: 'none',
    degradeAffectingSeverity: 'none',
  };
}

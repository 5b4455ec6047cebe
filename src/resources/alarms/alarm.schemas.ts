/** Request and response schemas for alarms, events and suppression. */
import { Type } from '@sinclair/typebox';
import { PageQuery, StringEnum, Text } from '../../api/schemas.js';
import { SEVERITIES } from './catalogue.js';

export const AlarmIdField = Type.String({ pattern: '^\\d{3}\\.\\d{3}$', description: 'Alarm ID, GGG.NNN', examples: ['100.101'] });
export const EntityField = Text({ maxLength: 255, description: 'Entity instance id, e.g. host=controller-0.filesystem=/var' });
const ReasonField = Text({ maxLength: 255, description: 'Reason text (StarlingX allows 255 characters)' });

export const AlarmSchema = Type.Object(
  {
    uuid: Type.String(),
    alarm_id: Type.String(),
    alarm_state: Type.Literal('set'),
    entity_type_id: Type.String(),
    entity_instance_id: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
    severity: Type.String(),
    reason_text: Type.String(),
    alarm_type: Type.String(),
    probable_cause: Type.String(),
    proposed_repair_action: Type.String(),
    service_affecting: Type.Boolean(),
    suppression: Type.Boolean({ description: 'Whether the definition allows suppression' }),
    suppression_status: StringEnum(['suppressed', 'unsuppressed'] as const),
    mgmt_affecting: Type.Boolean(),
    degrade_affecting: Type.Boolean(),
  },
  { title: 'Alarm' },
);

export const EventSchema = Type.Object(
  {
    uuid: Type.String(),
    seq: Type.Integer(),
    alarm_id: Type.String(),
    alarm_state: Type.String({ description: 'set, clear, log or msg' }),
    entity_type_id: Type.String(),
    entity_instance_id: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
    severity: Type.String({ description: 'The severity; "clear" for clear events' }),
    reason_text: Type.String(),
    alarm_type: Type.String(),
    probable_cause: Type.String(),
    proposed_repair_action: Type.String(),
    service_affecting: Type.Boolean(),
    suppression_status: StringEnum(['suppressed', 'unsuppressed'] as const),
  },
  { title: 'Event' },
);

export const RaiseBody = Type.Object(
  {
    alarm_id: AlarmIdField,
    entity_instance_id: EntityField,
    severity: StringEnum(SEVERITIES),
    reason_text: ReasonField,
    entity_type_id: Type.Optional(Text({ maxLength: 255, description: "Defaults to the definition's entity type" })),
  },
  { additionalProperties: false },
);

export const ClearBody = Type.Object({ alarm_id: AlarmIdField, entity_instance_id: EntityField }, { additionalProperties: false });

export const LogBody = Type.Object(
  {
    alarm_id: AlarmIdField,
    entity_instance_id: EntityField,
    severity: StringEnum(SEVERITIES),
    reason_text: ReasonField,
    entity_type_id: Type.Optional(Text({ maxLength: 255 })),
    alarm_state: Type.Optional(StringEnum(['log', 'msg'] as const, { default: 'log' })),
  },
  { additionalProperties: false },
);

/** Agents and subclouds send up to this many entries per array per request. */
export const BATCH_MAX = 5000;

export const BatchBody = Type.Object(
  {
    raise: Type.Optional(Type.Array(RaiseBody, { maxItems: BATCH_MAX })),
    clear: Type.Optional(Type.Array(ClearBody, { maxItems: BATCH_MAX })),
    log: Type.Optional(Type.Array(LogBody, { maxItems: BATCH_MAX })),
  },
  { additionalProperties: false },
);

export const BatchResultSchema = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  cleared: Type.Integer(),
  not_active: Type.Integer(),
  logged: Type.Integer(),
});

const FilterCommon = {
  alarm_id: Type.Optional(Type.String({ maxLength: 800, description: 'Alarm IDs, comma-separated' })),
  severity: Type.Optional(Type.String({ maxLength: 100, description: 'Severities, comma-separated' })),
  entity: Type.Optional(Text({ maxLength: 255, description: 'Entity instance id prefix (exact, case-sensitive)' })),
  include_suppressed: Type.Boolean({ default: false }),
  ...PageQuery,
};

export const AlarmListQuery = Type.Object(
  {
    ...FilterCommon,
    mgmt_affecting: Type.Optional(Type.Boolean()),
    degrade_affecting: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const EventListQuery = Type.Object(
  {
    ...FilterCommon,
    type: Type.Optional(StringEnum(['alarms', 'logs'] as const, { description: 'alarms: set/clear; logs: log/msg' })),
  },
  { additionalProperties: false },
);

export const UuidParams = Type.Object({ uuid: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const SummarySchema = Type.Object({
  critical: Type.Integer(),
  major: Type.Integer(),
  minor: Type.Integer(),
  warning: Type.Integer(),
  suppressed: Type.Integer(),
});

export const DefinitionSchema = Type.Object(
  {
    alarm_id: Type.String(),
    kind: StringEnum(['alarm', 'log'] as const),
    description: Type.String(),
    entity_type_id: Type.String(),
    entity_instance_id_format: Type.String(),
    severities: Type.Array(Type.String()),
    alarm_type: Type.String(),
    probable_cause: Type.String(),
    proposed_repair_action: Type.String(),
    maintenance_action: Type.String(),
    service_affecting: Type.Boolean(),
    suppressible: Type.Boolean(),
    mgmt_affecting_severity: Type.String(),
    degrade_affecting_severity: Type.String(),
  },
  { title: 'AlarmDefinition' },
);

export const SuppressionSchema = Type.Object({
  alarm_id: Type.String(),
  description: Type.String(),
  suppression_status: StringEnum(['suppressed', 'unsuppressed'] as const),
});

export const SuppressionBody = Type.Object(
  {
    alarm_ids: Type.Union([Type.Array(AlarmIdField, { minItems: 1, maxItems: 200 }), Type.Literal('all')], {
      description: 'Alarm IDs, or "all" (unsuppress only)',
    }),
    suppression_status: StringEnum(['suppressed', 'unsuppressed'] as const),
  },
  { additionalProperties: false },
);

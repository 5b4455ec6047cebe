/**
 * The host agent ↔ site controller messages (POST /api/v1/agent/report).
 *
 * A report carries a sequence number, the hash of the agent's status, the
 * status itself only when it changed (or the controller asks), volatile
 * resource figures every few minutes, and the unacknowledged queued
 * operations. With nothing new it is a few dozen bytes. The reply carries
 * the acknowledged operation sequence and, only when the agent's known
 * generation is stale, the desired state.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum, Text } from '../api/schemas.js';
import { SEVERITIES } from '../resources/alarms/catalogue.js';
import { RenewalReplyFields, RenewalReportFields } from './certificate-wire.js';
import { PulseSessionSchema } from './pulse-wire.js';

export const AgentOpSchema = Type.Object(
  {
    kind: StringEnum(['raise', 'clear', 'log'] as const),
    alarm_id: Type.String({ pattern: '^\\d{3}\\.\\d{3}$' }),
    entity_instance_id: Text({ maxLength: 255 }),
    severity: Type.Optional(StringEnum(SEVERITIES)),
    reason_text: Type.Optional(Text({ maxLength: 255 })),
  },
  { additionalProperties: false },
);
export type AgentOp = Static<typeof AgentOpSchema>;

/** What the controller asks of the host's deployer (a release to deploy, or to roll back from). */
export const SoftwareTargetSchema = Type.Object({
  /** Changes with every new request, so a retried one is recognised. */
  key: Type.String(),
  action: StringEnum(['deploy', 'rollback'] as const),
  release_id: Type.String(),
  files: Type.Array(Type.Object({ path: Type.String(), sha256: Type.String(), size: Type.Integer(), executable: Type.Boolean() })),
  health_check: Type.Union([Type.String(), Type.Null()]),
});
export type SoftwareTarget = Static<typeof SoftwareTargetSchema>;

/** The host's software as its agent reports it. */
export const SoftwareStatusSchema = Type.Object(
  {
    driver: Type.String({ maxLength: 16 }),
    running: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    previous: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    /** Free bytes where deployments are kept. */
    free_bytes: Type.Integer({ minimum: 0 }),
    /** The outcome of the last target carried out. */
    result: Type.Optional(
      Type.Object(
        { key: Type.String({ maxLength: 128 }), ok: Type.Boolean(), evidence: Type.Optional(Type.String({ maxLength: 4096 })) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SoftwareStatus = Static<typeof SoftwareStatusSchema>;

export const AgentStatusSchema = Type.Object(
  {
    boot_id: Type.String({ maxLength: 64 }),
    booted_at: Type.Integer({ description: 'epoch ms' }),
    agent_version: Type.String({ maxLength: 32 }),
    inventory: Type.Unknown(),
    /** The generation and configuration token the agent has applied. */
    applied: Type.Object({ generation: Type.Integer({ minimum: 0 }), config_token: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]) }),
    /** One-shot actions (reboot ...) the agent has carried out. */
    completed_actions: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 }),
    software: Type.Optional(SoftwareStatusSchema),
  },
  { additionalProperties: false },
);
export type AgentStatus = Static<typeof AgentStatusSchema>;

export const ReportSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 0 }),
    status_hash: Type.String({ maxLength: 64 }),
    status: Type.Optional(AgentStatusSchema),
    stats: Type.Optional(Type.Unknown()),
    ops: Type.Array(Type.Object({ seq: Type.Integer({ minimum: 1 }), op: AgentOpSchema }, { additionalProperties: false }), { maxItems: 1000 }),
    known_generation: Type.Integer({ minimum: 0 }),
    wait_ms: Type.Integer({ minimum: 0, maximum: 120_000, description: 'Hold the reply up to this long until the desired state changes' }),
    pulse: Type.Optional(
      Type.Object(
        {
          instance: Type.String({ pattern: '^[0-9a-f]{16}$', description: 'This agent process (random per start)' }),
          session: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$', description: 'The heartbeat session it pulses on' })),
        },
        { additionalProperties: false, description: 'Sent by agents that pulse the host heartbeat (UDP); the reply hands out or ends their session' },
      ),
    ),
    ...RenewalReportFields,
  },
  { additionalProperties: false },
);
export type Report = Static<typeof ReportSchema>;

export const DesiredSchema = Type.Object({
  generation: Type.Integer(),
  administrative: Type.String(),
  config: Type.Unknown(),
  config_token: Type.String(),
  actions: Type.Array(Type.Object({ id: Type.String(), kind: Type.String() })),
  software: Type.Optional(Type.Union([SoftwareTargetSchema, Type.Null()])),
});
export type Desired = Static<typeof DesiredSchema>;

export const ReplySchema = Type.Object({
  ack_op_seq: Type.Integer(),
  generation: Type.Integer(),
  need_status: Type.Optional(Type.Boolean()),
  desired: Type.Optional(DesiredSchema),
  report_interval_ms: Type.Integer(),
  pulse: Type.Optional(Type.Union([PulseSessionSchema, Type.Null()], { description: 'A heartbeat session to pulse on; null: stop pulsing (the site has the heartbeat off)' })),
  ...RenewalReplyFields,
});
export type Reply = Static<typeof ReplySchema>;

/** One-shot actions the controller can ask of an agent. */
export type AgentActionKind = 'reboot' | 'reinstall' | 'recover';

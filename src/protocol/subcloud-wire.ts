/**
 * The subcloud ↔ system controller messages (POST /api/v1/dc/report), the
 * same pattern as the host agent's: sequence numbers, a status hash with the
 * status only when it changed, queued operations applied exactly once, and a
 * long poll for the desired state. The operations are the subcloud's alarm
 * changes (a delta sync of its active alarms); their sequence numbers are
 * the subcloud's event-log sequence numbers, so the event log, written in the
 * same transaction as the alarm change, is the durable queue. A snapshot of
 * all active alarms replaces the system controller's copy when asked for
 * (after enrolling) or when the subcloud pruned events not yet delivered.
 *
 * The desired state carries, per sync endpoint (identity, platform,
 * software), the content hash the subcloud should have and, when a managed
 * subcloud's applied hash differs, the content itself.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum, Text } from '../api/schemas.js';
import { SEVERITIES } from '../resources/alarms/catalogue.js';
import { CaRenewalReplyFields, CaRenewalReportFields, RenewalReplyFields, RenewalReportFields } from './certificate-wire.js';

export const SubcloudOpSchema = Type.Object(
  {
    kind: StringEnum(['raise', 'clear'] as const),
    alarm_id: Type.String({ pattern: '^\\d{3}\\.\\d{3}$' }),
    entity_instance_id: Text({ maxLength: 255 }),
    uuid: Type.Optional(Type.String({ maxLength: 64 })),
    severity: Type.Optional(StringEnum(SEVERITIES)),
    reason_text: Type.Optional(Text({ minLength: 0, maxLength: 255 })),
    mgmt_affecting: Type.Optional(Type.Boolean()),
    timestamp: Type.Optional(Type.Integer({ description: 'epoch ms when raised on the subcloud' })),
  },
  { additionalProperties: false },
);
export type SubcloudOp = Static<typeof SubcloudOpSchema>;

/**
 * A job the system controller gives a subcloud (fleet orchestration): fetch
 * a release from the system controller (prestage) and, for sw-deploy, run a
 * site sw-deploy strategy for it with these options. `key` names the job:
 * the subcloud carries out each key once, however often it is sent.
 */
export const SiteJobSchema = Type.Object(
  {
    key: Type.String({ maxLength: 64 }),
    type: StringEnum(['sw-deploy', 'prestage'] as const),
    release_id: Type.String({ maxLength: 64 }),
    /** Fetch the release's content before deploying (always for prestage). */
    prestage: Type.Boolean(),
    /** Per-subcloud bandwidth cap for fetching content; 0 for none. */
    bytes_per_second: Type.Integer({ minimum: 0 }),
    strategy: Type.Object({
      controller_apply_type: StringEnum(['serial', 'ignore'] as const),
      worker_apply_type: StringEnum(['serial', 'parallel', 'ignore'] as const),
      max_parallel_worker_hosts: Type.Integer({ minimum: 2, maximum: 10 }),
      alarm_restrictions: StringEnum(['strict', 'relaxed', 'permissive'] as const),
    }),
  },
  { additionalProperties: false },
);
export type SiteJob = Static<typeof SiteJobSchema>;

export const SITE_JOB_STATES = ['accepted', 'prestaging', 'creating', 'applying', 'finishing', 'complete', 'failed'] as const;
export type SiteJobState = (typeof SITE_JOB_STATES)[number];

/** How far a subcloud got with its job, reported in its status. */
export const SiteJobStatusSchema = Type.Object(
  {
    key: Type.String({ maxLength: 64 }),
    state: StringEnum(SITE_JOB_STATES),
    /** What it is doing or waiting for (the site strategy's current step). */
    details: Type.String({ maxLength: 2000 }),
    /** Site strategy steps done of all, when applying. */
    steps: Type.Optional(Type.Object({ done: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) })),
    /** Content fetched of all, while prestaging. */
    bytes: Type.Optional(Type.Object({ done: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) })),
    /** On failure: a cause code (site-job.ts lists them) and the evidence. */
    failure: Type.Optional(Type.Object({ cause: Type.String({ maxLength: 64 }), where: Type.String({ maxLength: 255 }), evidence: Type.String({ maxLength: 2000 }) })),
  },
  { additionalProperties: false },
);
export type SiteJobStatus = Static<typeof SiteJobStatusSchema>;

export const SubcloudStatusSchema = Type.Object(
  {
    software_version: Type.String({ maxLength: 64 }),
    hosts: Type.Object({ total: Type.Integer({ minimum: 0 }), available: Type.Integer({ minimum: 0 }), degraded: Type.Integer({ minimum: 0 }), failed: Type.Integer({ minimum: 0 }), offline: Type.Integer({ minimum: 0 }) }),
    /** Applied content hash per sync endpoint (platform, identity, software). */
    endpoints: Type.Record(Type.String({ maxLength: 32 }), Type.String({ maxLength: 64 })),
    /** Why an endpoint's content could not be applied, by endpoint. */
    sync_errors: Type.Optional(Type.Record(Type.String({ maxLength: 32 }), Type.String({ maxLength: 1000 }))),
    /** Releases deployed (or committed) on the subcloud: what a fleet sw-deploy strategy looks at. */
    releases: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
    /** The orchestration job's progress, while the system controller gives one. */
    orchestration: Type.Optional(SiteJobStatusSchema),
    /** The subcloud's certificate that expires first (the fleet's certificate expiry view). */
    certificates: Type.Optional(
      Type.Object(
        { soonest: Type.Object({ name: Type.String({ maxLength: 255 }), type: Type.String({ maxLength: 32 }), not_after: Type.Integer({ description: 'epoch ms' }) }, { additionalProperties: false }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SubcloudStatus = Static<typeof SubcloudStatusSchema>;

export const SubcloudReportSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 0 }),
    status_hash: Type.String({ maxLength: 64 }),
    status: Type.Optional(SubcloudStatusSchema),
    ops: Type.Array(Type.Object({ seq: Type.Integer({ minimum: 1 }), op: SubcloudOpSchema }, { additionalProperties: false }), { maxItems: 2000 }),
    /** All active alarms as of event sequence `up_to_seq`: replaces the system controller's copy. */
    snapshot: Type.Optional(
      Type.Object({ up_to_seq: Type.Integer({ minimum: 0 }), alarms: Type.Array(SubcloudOpSchema, { maxItems: 50_000 }) }, { additionalProperties: false }),
    ),
    known_generation: Type.Integer({ minimum: 0 }),
    /** The sync token of the last desired endpoint hashes received. */
    known_sync: Type.Optional(Type.String({ maxLength: 64 })),
    /** The subcloud has moved to another system controller (rehome): this one should let it go. */
    rehomed_to: Type.Optional(Type.String({ maxLength: 2048 })),
    wait_ms: Type.Integer({ minimum: 0, maximum: 120_000 }),
    ...RenewalReportFields,
    ...CaRenewalReportFields,
  },
  { additionalProperties: false },
);
export type SubcloudReport = Static<typeof SubcloudReportSchema>;

export const EndpointDesiredSchema = Type.Object({
  hash: Type.String(),
  /** Present when the subcloud is managed and its applied hash differs. */
  content: Type.Optional(Type.Unknown()),
});
export type EndpointDesired = Static<typeof EndpointDesiredSchema>;

export const SubcloudDesiredSchema = Type.Object({
  generation: Type.Integer(),
  system_controller_url: Type.Union([Type.String(), Type.Null()]),
  management_state: Type.String(),
  sync: Type.String({ description: 'token over the endpoint hashes' }),
  endpoints: Type.Record(Type.String(), EndpointDesiredSchema),
  /** Hand-over to another system controller: enroll there with this token, then switch. */
  rehome: Type.Optional(Type.Object({ url: Type.String(), enroll_token: Type.String() })),
  /** The orchestration job to carry out; absent when there is none. */
  orchestration: Type.Optional(SiteJobSchema),
});
export type SubcloudDesired = Static<typeof SubcloudDesiredSchema>;

export const SubcloudReplySchema = Type.Object({
  ack_op_seq: Type.Integer(),
  generation: Type.Integer(),
  need_status: Type.Optional(Type.Boolean()),
  need_snapshot: Type.Optional(Type.Boolean()),
  desired: Type.Optional(SubcloudDesiredSchema),
  report_interval_ms: Type.Integer(),
  ...RenewalReplyFields,
  ...CaRenewalReplyFields,
});
export type SubcloudReply = Static<typeof SubcloudReplySchema>;

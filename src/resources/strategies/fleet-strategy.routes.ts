/** /api/v1/sw-update-strategy (dcmanager: GET|POST|DELETE /v1.0/sw-update-strategy, POST .../actions, GET .../steps[/{cloud}]). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, StringEnum } from '../../api/schemas.js';
import { ANY_ROLE, OPERATORS } from '../users/roles.js';
import type { FleetStrategyService } from './fleet-strategy.service.js';
import { FLEET_STATES, FLEET_TYPES, MAX_PARALLEL_SUBCLOUDS } from './fleet-strategy.types.js';
import { ALARM_RESTRICTIONS } from './sw-strategy.plan.js';

const Count = Type.Object({ done: Type.Integer(), total: Type.Integer() });
const CauseSchema = Type.Object({ cause: Type.String(), what: Type.String(), where: Type.String(), evidence: Type.String(), repair: Type.String() }, { title: 'StepCause' });
const StepSchema = Type.Object(
  {
    cloud: Type.String(),
    stage: Type.Integer(),
    state: Type.String({ description: 'initial, then StarlingX step states (sw-deploy pre-check, prestaging-packages, create/apply/finish VIM sw-deploy strategy), complete, failed or aborted' }),
    details: Type.String(),
    progress: Type.Union([Type.Object({ steps: Type.Optional(Count), bytes: Type.Optional(Count) }), Type.Null()]),
    cause: Type.Union([CauseSchema, Type.Null()]),
    started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'FleetStrategyStep' },
);
const StrategySchema = Type.Object(
  {
    type: StringEnum(FLEET_TYPES),
    release_id: Type.String({ description: 'sw-deploy and prestage: the release; empty for ca-update' }),
    ca_update: Type.Optional(
      Type.Object({
        phase: Type.Union([StringEnum(['trust-both', 'update-certs', 'trust-new'] as const), Type.Null()], { description: 'The rotation phase: both roots trusted, certificates renewed under the new root, the new root alone' }),
        old_root: Type.Union([Type.String(), Type.Null()]),
        new_root: Type.Union([Type.String(), Type.Null()]),
        subject: Type.Union([Type.String(), Type.Null()]),
        expiry_date: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      }),
    ),
    state: StringEnum(FLEET_STATES),
    subcloud_apply_type: StringEnum(['parallel', 'serial'] as const),
    max_parallel_subclouds: Type.Integer(),
    stop_on_failure: Type.Boolean(),
    with_prestage: Type.Boolean(),
    target: Type.Object({ group: Type.Optional(Type.String()), subcloud: Type.Optional(Type.String()) }),
    job: Type.Optional(Type.Object({
      strategy: Type.Object({ controller_apply_type: Type.String(), worker_apply_type: Type.String(), max_parallel_worker_hosts: Type.Integer(), alarm_restrictions: Type.String() }),
      bytes_per_second: Type.Integer({ description: 'Per-subcloud bandwidth cap while fetching content; 0 for none' }),
    }, { description: 'sw-deploy and prestage: the site strategy options and fetch cap' })),
    reason: Type.String(),
    steps: Type.Object({ total: Type.Integer(), initial: Type.Integer(), in_progress: Type.Integer(), complete: Type.Integer(), failed: Type.Integer(), aborted: Type.Integer() }),
    failures_by_cause: Type.Array(Type.Object({ cause: Type.String(), what: Type.String(), repair: Type.String(), count: Type.Integer(), subclouds: Type.Array(Type.String()), evidence: Type.String() })),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'FleetStrategy' },
);
const CreateSchema = Type.Object(
  {
    type: StringEnum(FLEET_TYPES),
    release: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'sw-deploy and prestage: the release' })),
    expiry_date: Type.Optional(Type.String({ maxLength: 64, description: "ca-update: the new root CA's expiry date (default ten years)" })),
    subject: Type.Optional(Type.String({ maxLength: 255, description: 'ca-update: the new root CA\'s subject (e.g. "CN=fleet root CA 2027, O=Example")' })),
    group: Type.Optional(Type.String({ maxLength: 255, description: 'Target a subcloud group (its apply type and max parallel apply)' })),
    subcloud: Type.Optional(Type.String({ maxLength: 255, description: 'Target one subcloud' })),
    subcloud_apply_type: Type.Optional(StringEnum(['parallel', 'serial'] as const)),
    max_parallel_subclouds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PARALLEL_SUBCLOUDS })),
    stop_on_failure: Type.Optional(Type.Boolean()),
    with_prestage: Type.Optional(Type.Boolean()),
    prestage_mbps: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000, description: 'Per-subcloud bandwidth cap for fetching the release, Mbit/s' })),
    controller_apply_type: Type.Optional(StringEnum(['serial', 'ignore'] as const)),
    worker_apply_type: Type.Optional(StringEnum(['serial', 'parallel', 'ignore'] as const)),
    max_parallel_worker_hosts: Type.Optional(Type.Integer({ minimum: 2, maximum: 10 })),
    alarm_restrictions: Type.Optional(StringEnum(ALARM_RESTRICTIONS)),
  },
  { additionalProperties: false },
);

export const fleetStrategyRoutes =
  ({ fleet }: { fleet: FleetStrategyService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['orchestration'];
    const path = '/sw-update-strategy';
    app.get(path, { config: { roles: ANY_ROLE }, schema: { tags, summary: 'Show the fleet strategy: state, step counts, failures grouped by cause', response: { 200: StrategySchema, ...errorResponses } } }, async () => fleet.show());
    app.post(
      path,
      {
        config: { roles: OPERATORS },
        schema: {
          tags,
          summary: 'Create a fleet sw-deploy, prestage or ca-update strategy',
          description:
            'sw-deploy and prestage: one step per managed, online subcloud that lacks the release (sw-deploy: whose software is out-of-sync). Fails when a target\'s sync is unknown, when nothing needs doing, or when a group\'s settings are overridden. ' +
            'ca-update: rotates the fleet root CA (after kube-rootca-update), one step per enrolled subcloud: both roots trusted, certificates renewed under the new root, the old root dropped.',
          body: CreateSchema,
          response: { 200: StrategySchema, ...errorResponses },
        },
      },
      async (request) => {
        request.auditTarget = request.body.release ? `${request.body.type} ${request.body.release}` : request.body.type;
        return fleet.create(request.body);
      },
    );
    app.post(
      `${path}/actions`,
      {
        config: { roles: OPERATORS },
        schema: { tags, summary: 'apply or abort the fleet strategy', body: Type.Object({ action: StringEnum(['apply', 'abort'] as const) }, { additionalProperties: false }), response: { 200: StrategySchema, ...errorResponses } },
      },
      async (request) => (request.body.action === 'apply' ? fleet.apply() : fleet.abort()),
    );
    app.delete(path, { config: { roles: OPERATORS }, schema: { tags, summary: 'Delete the fleet strategy (not while it applies)', response: { 204: Type.Null(), ...errorResponses } } }, async (_r, reply) => {
      await fleet.delete();
      return reply.code(204).send(null);
    });
    app.get(
      `${path}/steps`,
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags,
          summary: 'List the fleet strategy steps (strategy-step list)',
          querystring: Type.Object({ state: Type.Optional(Type.String({ maxLength: 64 })), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }), offset: Type.Integer({ minimum: 0, default: 0 }) }),
          response: { 200: Type.Object({ items: Type.Array(StepSchema), total: Type.Integer() }), ...errorResponses },
        },
      },
      async (request) => fleet.steps(request.query),
    );
    app.get(
      `${path}/steps/:cloud`,
      { config: { roles: ANY_ROLE }, schema: { tags, summary: "One subcloud's step (strategy-step show)", params: Type.Object({ cloud: Type.String({ maxLength: 255 }) }), response: { 200: StepSchema, ...errorResponses } } },
      async (request) => (await fleet.steps({ cloud: request.params.cloud, limit: 1 })).items[0]!,
    );
  };

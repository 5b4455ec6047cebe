/** /api/v1/orchestration/sw-deploy/strategy (StarlingX VIM: GET|POST|DELETE /api/orchestration/sw-upgrade/strategy, POST .../actions). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, StringEnum } from '../../api/schemas.js';
import { ANY_ROLE, OPERATORS } from '../users/roles.js';
import { ALARM_RESTRICTIONS, STEP_RESULTS, STRATEGY_STATES } from './sw-strategy.plan.js';
import type { SwStrategyService } from './sw-strategy.service.js';

const StepSchema = Type.Object({
  name: Type.String(),
  entity_names: Type.Array(Type.String()),
  timeout_s: Type.Integer(),
  result: StringEnum(STEP_RESULTS),
  reason: Type.String(),
  started_at: Type.Union([Type.Integer(), Type.Null()]),
  finished_at: Type.Union([Type.Integer(), Type.Null()]),
});
const OptionsSchema = Type.Object({
  release: Type.String({ maxLength: 64 }),
  controller_apply_type: StringEnum(['serial', 'ignore'] as const, { default: 'serial' }),
  worker_apply_type: StringEnum(['serial', 'parallel', 'ignore'] as const, { default: 'serial' }),
  max_parallel_worker_hosts: Type.Integer({ minimum: 2, maximum: 10, default: 2 }),
  alarm_restrictions: StringEnum(ALARM_RESTRICTIONS, { default: 'strict' }),
});
const StrategySchema = Type.Object(
  {
    type: Type.Literal('sw-deploy'),
    state: StringEnum(STRATEGY_STATES),
    options: OptionsSchema,
    reason: Type.String({ description: 'Why it failed or timed out: the step, its hosts and the evidence' }),
    abort_requested: Type.Boolean(),
    progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
    current: Type.Union([Type.Object({ stage: Type.String(), step: Type.String(), entity_names: Type.Array(Type.String()) }), Type.Null()]),
    stages: Type.Array(Type.Object({ name: Type.String(), steps: Type.Array(StepSchema) })),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'SwDeployStrategy' },
);

export const strategyRoutes =
  ({ strategy }: { strategy: SwStrategyService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['orchestration'];
    const path = '/orchestration/sw-deploy/strategy';
    app.get(path, { config: { roles: ANY_ROLE }, schema: { tags, summary: 'Show the sw-deploy strategy with its stages and steps', response: { 200: StrategySchema, ...errorResponses } } }, async () => strategy.show());
    app.post(
      path,
      {
        config: { roles: OPERATORS },
        schema: { tags, summary: 'Create a sw-deploy strategy: built from the hosts and the release into stages and steps', body: Type.Object(OptionsSchema.properties, { additionalProperties: false }), response: { 200: StrategySchema, ...errorResponses } },
      },
      async (request) => {
        request.auditTarget = request.body.release;
        return strategy.create(request.body);
      },
    );
    app.post(
      `${path}/actions`,
      {
        config: { roles: OPERATORS },
        schema: { tags, summary: 'apply-all or abort the strategy', body: Type.Object({ action: StringEnum(['apply-all', 'abort'] as const) }, { additionalProperties: false }), response: { 200: StrategySchema, ...errorResponses } },
      },
      async (request) => (request.body.action === 'apply-all' ? strategy.apply() : strategy.abort()),
    );
    app.delete(path, { config: { roles: OPERATORS }, schema: { tags, summary: 'Delete the strategy (not while it applies)', response: { 204: Type.Null(), ...errorResponses } } }, async (_r, reply) => {
      await strategy.delete();
      return reply.code(204).send(null);
    });
  };

/** /api/v1/software/deploy: USM's deploy on this site (POST /deploy/precheck|start|activate|complete|abort ..., /deploy_host/{h}). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, StringEnum } from '../../api/schemas.js';
import { ANY_ROLE, OPERATORS } from '../users/roles.js';
import { DEPLOY_STATES, HOST_DEPLOY_STATES, type DeployService, type DeployView } from './deploy.service.js';

const HostDeploySchema = Type.Object(
  {
    hostname: Type.String(),
    state: StringEnum(HOST_DEPLOY_STATES),
    running: Type.Union([Type.String(), Type.Null()], { description: 'The release the host runs, as its agent reports' }),
    error: Type.Union([Type.String(), Type.Null()], { description: 'Why the host deploy failed (health check output ...)' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'HostDeploy' },
);
const DeploySchema = Type.Object(
  {
    release_id: Type.String(),
    from_release: Type.Union([Type.String(), Type.Null()]),
    state: StringEnum(DEPLOY_STATES),
    reboot_required: Type.Boolean(),
    started_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    hosts: Type.Array(HostDeploySchema),
  },
  { title: 'SoftwareDeploy' },
);
const PrecheckSchema = Type.Object(
  {
    release_id: Type.String(),
    ok: Type.Boolean(),
    forced: Type.Boolean(),
    findings: Type.Array(Type.Object({ check: Type.String(), ok: Type.Boolean(), detail: Type.String() })),
  },
  { title: 'DeployPrecheck' },
);
const StartBody = Type.Object(
  { release: Type.String({ maxLength: 64 }), force: Type.Boolean({ default: false, description: 'Ignore management-affecting alarms' }) },
  { additionalProperties: false },
);
const HostRef = Type.Object({ hostname: Type.String({ maxLength: 63 }) });
const Empty = Type.Object({}, { additionalProperties: false });

export const deployRoutes =
  ({ deploy }: { deploy: DeployService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['software'];
    app.get('/software/deploy', { config: { roles: ANY_ROLE }, schema: { tags, summary: 'Show the deploy in progress (software deploy show)', response: { 200: DeploySchema, ...errorResponses } } }, async () => deploy.show());
    app.get(
      '/software/deploy/hosts',
      { config: { roles: ANY_ROLE }, schema: { tags, summary: 'Each host in the deploy (software deploy host-list)', response: { 200: Type.Object({ items: Type.Array(HostDeploySchema) }), ...errorResponses } } },
      async () => ({ items: await deploy.hostList() }),
    );
    app.post(
      '/software/deploy/precheck',
      {
        config: { roles: OPERATORS },
        schema: { tags, summary: 'Check a release can be deployed: alarms, hosts, requires, disk (software deploy precheck)', body: StartBody, response: { 200: PrecheckSchema, ...errorResponses } },
      },
      async (request) => {
        request.auditTarget = request.body.release;
        return deploy.precheck(request.body.release, { force: request.body.force });
      },
    );
    app.post(
      '/software/deploy/start',
      { config: { roles: OPERATORS }, schema: { tags, summary: 'Start deploying a release; runs the precheck first (software deploy start)', body: StartBody, response: { 200: DeploySchema, ...errorResponses } } },
      async (request) => {
        request.auditTarget = request.body.release;
        return deploy.start(request.body.release, { force: request.body.force });
      },
    );
    app.post(
      '/software/deploy/hosts/:hostname',
      {
        config: { roles: OPERATORS },
        schema: { tags, summary: "Deploy the release on a host (software deploy host); reboot-required releases need the host locked", params: HostRef, body: Type.Optional(Empty), response: { 200: DeploySchema, ...errorResponses } },
      },
      async (request) => deploy.deployHost(request.params.hostname),
    );
    app.post(
      '/software/deploy/hosts/:hostname/rollback',
      { config: { roles: OPERATORS }, schema: { tags, summary: 'Roll a host back after an abort (software deploy host-rollback)', params: HostRef, body: Type.Optional(Empty), response: { 200: DeploySchema, ...errorResponses } } },
      async (request) => deploy.rollbackHost(request.params.hostname),
    );
    const step = (path: string, summary: string, run: () => Promise<DeployView>) =>
      app.post(path, { config: { roles: OPERATORS }, schema: { tags, summary, body: Type.Optional(Empty), response: { 200: DeploySchema, ...errorResponses } } }, async () => run());
    step('/software/deploy/activate', 'Activate the deployed release (software deploy activate)', () => deploy.activate());
    step('/software/deploy/complete', 'Complete the deploy: the release becomes deployed (software deploy complete)', () => deploy.complete());
    step('/software/deploy/abort', 'Abort the deploy and start rolling it back (software deploy abort)', () => deploy.abort());
    step('/software/deploy/activate-rollback', 'Undo the activation after an abort (software deploy activate-rollback)', () => deploy.activateRollback());
    app.delete(
      '/software/deploy',
      { config: { roles: OPERATORS }, schema: { tags, summary: 'Clear a completed or rolled-back deploy (software deploy delete)', response: { 204: Type.Null(), ...errorResponses } } },
      async (_request, reply) => {
        await deploy.delete();
        return reply.code(204).send(null);
      },
    );
  };

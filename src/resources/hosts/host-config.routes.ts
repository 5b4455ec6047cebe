/** /api/v1/hosts/{hostname}/{cpu,memory,kernel}: configuration changes (locked hosts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, StringEnum } from '../../api/schemas.js';
import { ADMINS } from '../users/roles.js';
import { parseCpuList } from './host-config.js';
import type { HostConfigService } from './host-config.service.js';
import { HostnameParams, HostSchema } from './host.schemas.js';
import { CPU_FUNCTIONS, KERNELS } from './host.types.js';

const common = (summary: string, description: string) => ({
  config: { roles: ADMINS },
  schema: { tags: ['hosts'], summary, description: `${description} The host must be locked; 250.001 is raised until its agent applies the change.`, params: HostnameParams },
});

export const hostConfigRoutes =
  ({ configs }: { configs: HostConfigService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const base = common('Assign a function to CPUs (host-cpu-modify)', 'SMT siblings must be given together; every NUMA node keeps a platform core.');
    app.post(
      '/hosts/:hostname/cpu',
      {
        ...base,
        schema: {
          ...base.schema,
          body: Type.Object({ function: StringEnum(CPU_FUNCTIONS), cpus: Type.String({ pattern: '^[0-9,\\- ]+$', maxLength: 512, description: 'Logical CPU ids, e.g. 2-3,6-7' }) }, { additionalProperties: false }),
          response: { 200: HostSchema, ...errorResponses },
        },
      },
      async (request) => configs.modify(request.params.hostname, { kind: 'cpu', function: request.body.function, cpus: parseCpuList(request.body.cpus) }),
    );

    const mem = common('Set hugepages on a NUMA node (host-memory-modify)', 'Hugepages must fit in the node, less the platform reserve (1 GiB or 10 %).');
    app.post(
      '/hosts/:hostname/memory',
      {
        ...mem,
        schema: {
          ...mem.schema,
          body: Type.Object(
            {
              numa_node: Type.Integer({ minimum: 0, maximum: 63 }),
              hugepages_2m: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
              hugepages_1g: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: HostSchema, ...errorResponses },
        },
      },
      async (request) => configs.modify(request.params.hostname, { kind: 'memory', ...request.body }),
    );

    const kernel = common('Choose the kernel (host-kernel-modify)', 'standard or lowlatency; takes effect at the next boot.');
    app.post(
      '/hosts/:hostname/kernel',
      {
        ...kernel,
        schema: { ...kernel.schema, body: Type.Object({ kernel: StringEnum(KERNELS) }, { additionalProperties: false }), response: { 200: HostSchema, ...errorResponses } },
      },
      async (request) => configs.modify(request.params.hostname, { kind: 'kernel', kernel: request.body.kernel }),
    );
  };

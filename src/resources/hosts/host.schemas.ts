/** Request and response schemas for hosts. */
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../../api/schemas.js';
import { HOSTNAME_PATTERN } from './host.service.js';
import { PERSONALITIES } from './host.types.js';

export const HostnameParams = Type.Object({ hostname: Type.String({ pattern: HOSTNAME_PATTERN, maxLength: 63 }) }, { additionalProperties: false });

export const HostSchema = Type.Object(
  {
    id: Type.String(),
    hostname: Type.String(),
    personality: Type.String(),
    subfunctions: Type.String(),
    administrative: Type.String({ description: 'locked | unlocked' }),
    operational: Type.String({ description: 'enabled | disabled' }),
    availability: Type.String({ description: 'available | online | offline | degraded | failed | intest' }),
    task: Type.Union([Type.String(), Type.Null()]),
    controller_role: Type.Union([Type.String(), Type.Null()], { description: 'active | standby (controllers)' }),
    uptime: Type.Union([Type.Integer(), Type.Null()], { description: 'seconds, as last reported' }),
    config_status: Type.String(),
    config_target: Type.String({ description: 'Desired configuration token' }),
    config_applied: Type.Union([Type.String(), Type.Null()], { description: 'Token the agent last applied' }),
    generation: Type.Integer(),
    observed_generation: Type.Integer(),
    config: Type.Unknown(),
    inventory: Type.Unknown(),
    agent_version: Type.Union([Type.String(), Type.Null()]),
    enrolled: Type.Boolean(),
    last_report_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Host' },
);

/** The list view: everything but the inventory and configuration (see show). */
export const HostSummarySchema = Type.Omit(HostSchema, ['inventory', 'config'], { title: 'HostSummary' });

export const HostListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512, description: 'next_cursor from the previous page' })),
  },
  { additionalProperties: false },
);

export const AddHostBody = Type.Object(
  { hostname: Type.String({ pattern: HOSTNAME_PATTERN, maxLength: 63 }), personality: StringEnum(PERSONALITIES) },
  { additionalProperties: false },
);

export const EnrollTicketSchema = Type.Object({
  host: HostSchema,
  enroll_token: Type.String({ description: "One-time; give it to the agent with --enroll-token. On a controller serving TLS it ends in .<sha256 of the controller's CA>, which the agent pins" }),
  expires_at: Type.String({ format: 'date-time' }),
});

/** Request and response schemas for subclouds and groups. */
import { Type } from '@sinclair/typebox';
import { StringEnum, Text } from '../../api/schemas.js';
import { APPLY_TYPES, MANAGEMENT_STATES, SUBCLOUD_NAME_PATTERN } from './subcloud.types.js';

export const SubcloudRef = Type.Object({ subcloud: Type.String({ pattern: SUBCLOUD_NAME_PATTERN, description: 'Name or id' }) }, { additionalProperties: false });
export const GroupRef = Type.Object({ group: Type.String({ pattern: SUBCLOUD_NAME_PATTERN, description: 'Name or id' }) }, { additionalProperties: false });

const Counts = Type.Object({ critical: Type.Integer(), major: Type.Integer(), minor: Type.Integer(), warning: Type.Integer() });

export const SubcloudSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    description: Type.String(),
    location: Type.String(),
    group_id: Type.Integer(),
    group_name: Type.String(),
    management_state: Type.String({ description: 'managed | unmanaged' }),
    availability_status: Type.String({ description: 'online | offline' }),
    deploy_status: Type.String(),
    backup_status: Type.String(),
    prestage_status: Type.Union([Type.String(), Type.Null()]),
    software_version: Type.Union([Type.String(), Type.Null()]),
    error_description: Type.String(),
    system_controller_url: Type.Union([Type.String(), Type.Null()]),
    last_report_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    alarm_counts: Counts,
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Subcloud' },
);

export const SubcloudDetailSchema = Type.Intersect(
  [
    SubcloudSchema,
    Type.Object({
      endpoint_sync_status: Type.Array(Type.Object({ endpoint_type: Type.String(), sync_status: Type.String() })),
      hosts: Type.Union(
        [Type.Object({ total: Type.Integer(), available: Type.Integer(), degraded: Type.Integer(), failed: Type.Integer(), offline: Type.Integer() }), Type.Null()],
        { description: 'Host counts as last reported; null until the subcloud reports' },
      ),
      releases: Type.Array(Type.String(), { description: 'Releases deployed on the subcloud, as last reported' }),
    }),
  ],
  { title: 'SubcloudDetail' },
);

export const SubcloudListQuery = Type.Object(
  {
    group: Type.Optional(Type.String({ pattern: SUBCLOUD_NAME_PATTERN })),
    availability_status: Type.Optional(StringEnum(['online', 'offline'] as const)),
    management_state: Type.Optional(StringEnum(MANAGEMENT_STATES)),
    name: Type.Optional(Type.String({ maxLength: 63, description: 'Name prefix' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const AddSubcloudBody = Type.Object(
  {
    name: Type.String({ pattern: SUBCLOUD_NAME_PATTERN }),
    description: Type.Optional(Text({ minLength: 0, maxLength: 255 })),
    location: Type.Optional(Text({ minLength: 0, maxLength: 255 })),
    group: Type.Optional(Type.String({ pattern: SUBCLOUD_NAME_PATTERN, description: 'Group name or id (default: Default)' })),
    migrate: Type.Optional(Type.Boolean({ description: 'Adopt a subcloud another system controller manages (rehome): created rehome-pending; give the token to the old one' })),
  },
  { additionalProperties: false },
);

export const UpdateSubcloudBody = Type.Object(
  {
    description: Type.Optional(Text({ minLength: 0, maxLength: 255 })),
    location: Type.Optional(Text({ minLength: 0, maxLength: 255 })),
    group: Type.Optional(Type.String({ pattern: SUBCLOUD_NAME_PATTERN })),
    system_controller_url: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2048, description: 'Where the subcloud reports; reaches it as desired state' })),
    enroll_token: Type.Optional(
      Type.String({ minLength: 8, maxLength: 128, description: 'Rehome: the token from `subcloud add --migrate` on the system controller at system_controller_url' }),
    ),
  },
  { additionalProperties: false },
);

export const GroupSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    description: Type.String(),
    update_apply_type: Type.String(),
    max_parallel_subclouds: Type.Integer(),
    subclouds: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'SubcloudGroup' },
);

const GroupFields = {
  description: Type.Optional(Text({ minLength: 0, maxLength: 255 })),
  update_apply_type: Type.Optional(StringEnum(APPLY_TYPES)),
  max_parallel_subclouds: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
};
export const CreateGroupBody = Type.Object({ name: Type.String({ pattern: SUBCLOUD_NAME_PATTERN }), ...GroupFields }, { additionalProperties: false });
export const UpdateGroupBody = Type.Object({ name: Type.Optional(Type.String({ pattern: SUBCLOUD_NAME_PATTERN })), ...GroupFields }, { additionalProperties: false });

export const SubcloudErrorSchema = Type.Object(
  {
    cause: Type.String({ description: 'Short code: enroll_token_expired, sync_failed:identity, offline, rehome_failed ...' }),
    what: Type.String({ description: 'What failed' }),
    evidence: Type.String({ description: 'What shows it' }),
    repair: Type.String({ description: 'Proposed repair action' }),
    first_at: Type.String({ format: 'date-time' }),
    last_at: Type.String({ format: 'date-time' }),
    count: Type.Integer({ description: 'Times recorded while active' }),
    cleared_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null while active' }),
  },
  { title: 'SubcloudError' },
);

export const SubcloudErrorsSchema = Type.Object({
  name: Type.String(),
  error_description: Type.String({ description: "The latest active error's what and evidence, or \"No errors present\"" }),
  error_cause: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(SubcloudErrorSchema, { description: 'Active errors, most recent first; with all=true, then the cleared ones' }),
});

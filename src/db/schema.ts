/**
 * The database as Kysely sees it. One schema for SQLite and PostgreSQL:
 * times are epoch milliseconds (bigint), booleans are 0/1 integers, and JSON
 * is text, so that the same SQL runs on both.
 */
import type { Generated, Insertable, Selectable } from 'kysely';
import type { BackupSchedulesTable, BackupsTable } from './backup-tables.js';

export type Flag = 0 | 1;

export interface SettingsTable {
  key: string;
  value: string;
}

export interface UsersTable {
  id: string;
  name: string;
  role: string;
  password_hash: string;
  /** Bumped on password change or demotion; session tokens carrying an older value are refused. */
  token_version: number;
  /** On a subcloud: 1 when the user came from the system controller's identity sync. */
  synced: Generated<Flag>;
  created_at: number;
  updated_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  /** sha256 of the token; the token itself is shown once and never stored. */
  token_hash: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
}

/** A session token ended by logout, remembered until it would have expired. */
export interface EndedSessionsTable {
  token_hash: string;
  user_id: string;
  ended_at: number;
  expires_at: number;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: number;
  user_name: string | null;
  role: string | null;
  source: string;
  method: string;
  route: string;
  target_id: string | null;
  status: number;
  outcome: string;
}

/** The fields an alarm and an event-log row share (StarlingX fm's shape). */
interface FaultFields {
  alarm_id: string;
  entity_instance_id: string;
  entity_type_id: string;
  severity: string;
  reason_text: string;
  alarm_type: string;
  probable_cause: string;
  proposed_repair_action: string;
  service_affecting: Flag;
  suppressed: Flag;
  timestamp: number;
}

export interface AlarmsTable extends FaultFields {
  uuid: string;
  mgmt_affecting: Flag;
  degrade_affecting: Flag;
  created_at: number;
}

export interface EventLogTable extends FaultFields {
  /** Monotonic; doubles as the change stream's event id. */
  seq: Generated<number>;
  uuid: string;
  alarm_state: string;
}

export interface SuppressionsTable {
  alarm_id: string;
  suppressed_at: number;
  suppressed_by: string | null;
}

export interface SystemTable {
  id: number;
  name: string;
  mode: string;
  role: string;
  software_version: string;
  created_at: number;
  updated_at: number;
}

export interface HostsTable {
  id: string;
  hostname: string;
  personality: string;
  subfunctions: string;
  administrative: string;
  operational: string;
  availability: string;
  controller_role: string | null;
  task: string | null;
  generation: number;
  /** Desired configuration (HostConfig), JSON. */
  config: string;
  config_token: string;
  /** Pending one-shot actions for the agent, JSON array. */
  actions: string;
  observed_generation: number;
  applied_config_token: string | null;
  /** JSON SoftwareTarget for the agent, or null. */
  software_target: string | null;
  /** JSON of the agent's last reported software status, or null. */
  software_status: string | null;
  /** Last reported inventory, JSON. */
  inventory: string | null;
  status_hash: string | null;
  uptime_s: number | null;
  agent_version: string | null;
  boot_id: string | null;
  booted_at: number | null;
  stats: string | null;
  stats_at: number | null;
  last_report_at: number | null;
  /** Highest queued-operation sequence applied from this host's agent. */
  last_op_seq: number;
  /** Maintenance's view of the heartbeat: none, ok, degraded, failed. */
  heartbeat: string;
  recovery_requested_at: number | null;
  enroll_token_hash: string | null;
  enroll_expires_at: number | null;
  credential_hash: string | null;
  enrolled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SubcloudGroupsTable {
  id: Generated<number>;
  name: string;
  description: string;
  update_apply_type: string;
  max_parallel_subclouds: number;
  created_at: number;
  updated_at: number;
}

export interface SubcloudsTable {
  id: Generated<number>;
  name: string;
  description: string;
  location: string;
  group_id: number;
  management_state: string;
  availability_status: string;
  deploy_status: string;
  backup_status: string;
  prestage_status: string | null;
  software_version: string | null;
  error_description: string;
  error_cause: string | null;
  system_controller_url: string | null;
  generation: Generated<number>;
  status: string | null;
  status_hash: string | null;
  last_report_at: number | null;
  last_op_seq: Generated<number>;
  audit_fail_count: Generated<number>;
  alarms_critical: Generated<number>;
  alarms_major: Generated<number>;
  alarms_minor: Generated<number>;
  alarms_warning: Generated<number>;
  enroll_token_hash: string | null;
  enroll_expires_at: number | null;
  credential_hash: string | null;
  enrolled_at: number | null;
  /** 0 until a full alarm snapshot arrived after enrolling. */
  alarms_synced: Generated<Flag>;
  /** JSON {url, enroll_token} while the subcloud is being handed to another system controller. */
  rehome: string | null;
  /** JSON SiteJob the subcloud is to carry out (fleet orchestration); null for none. */
  orchestration: string | null;
  /** Expiry of the subcloud's soonest-expiring certificate, as it last reported (epoch ms); null until it reports one. */
  certificate_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SubcloudEndpointsTable {
  subcloud_id: number;
  endpoint_type: string;
  sync_status: string;
  applied_hash: string | null;
  out_of_sync_since: number | null;
  updated_at: number;
}

export interface SubcloudAlarmsTable {
  subcloud_id: number;
  uuid: string;
  alarm_id: string;
  entity_instance_id: string;
  severity: string;
  reason_text: string;
  mgmt_affecting: Flag;
  timestamp: number;
}

/**
 * A failure on a subcloud: what failed, the evidence, a proposed repair.
 * At most one active (cleared_at null) row per (subcloud_id, cause);
 * recording the cause again bumps count and last_at.
 */
export interface SubcloudErrorsTable {
  id: Generated<number>;
  subcloud_id: number;
  /** Short code: enroll_token_expired, sync_failed:identity, offline, rehome_failed ... */
  cause: string;
  what: string;
  evidence: string;
  /** Proposed repair action; `{name}` stands for the subcloud's name. */
  repair: string;
  first_at: number;
  last_at: number;
  count: Generated<number>;
  cleared_at: number | null;
}

export interface ReleaseKeysTable {
  key_id: string;
  public_key: string;
  name: string;
  added_at: number;
}

export interface ReleasesTable {
  id: string;
  version: string;
  kind: string;
  /** available, deploying, deployed, removing, unavailable, committed, upload-failed */
  state: string;
  /** JSON list of release ids. */
  requires: string;
  reboot_required: Flag;
  unremovable: Flag;
  summary: string;
  /** release.json exactly as signed. */
  metadata: string;
  /** release.sig (JSON: key_id, signature). */
  signature: string;
  key_id: string;
  size_bytes: number;
  uploaded_at: number;
  updated_at: number;
}

export interface SoftwareDeployTable {
  /** Always 1: one deploy at a time. */
  id: number;
  release_id: string;
  from_release: string | null;
  state: string;
  reboot_required: Flag;
  activated: Flag;
  started_at: number;
  updated_at: number;
}

export interface SoftwareDeployHostsTable {
  host_id: string;
  /** pending, deploying, deployed, failed, rollback-pending, rollback-deploying, rollback-deployed, rollback-failed */
  state: string;
  error: string | null;
  updated_at: number;
}

export interface SwStrategyTable {
  /** Always 1: one strategy at a time. */
  id: number;
  type: string;
  /** JSON StrategyOptions. */
  options: string;
  state: string;
  /** JSON Stage[] with every step's result. */
  stages: string;
  abort_requested: Flag;
  reason: string;
  created_at: number;
  updated_at: number;
}

export interface FleetStrategyTable {
  /** Always 1: one fleet strategy at a time. */
  id: number;
  /** Names this strategy's jobs, so a report about an older one is not taken for it. */
  uuid: string;
  type: string;
  release_id: string;
  subcloud_apply_type: string;
  max_parallel_subclouds: number;
  stop_on_failure: Flag;
  with_prestage: Flag;
  /** JSON {group?, subcloud?}: what it was created for. */
  target: string;
  /** JSON site strategy options and prestage bandwidth. */
  options: string;
  state: string;
  reason: string;
  created_at: number;
  updated_at: number;
}

export interface FleetStrategyStepsTable {
  subcloud_id: number;
  subcloud_name: string;
  job_key: string;
  /** Order of starting (group order, then name). */
  stage: number;
  state: string;
  details: string;
  /** JSON {done, total, bytes_done?, bytes_total?} as last reported. */
  progress: string | null;
  /** JSON StepCause when it failed. */
  cause: string | null;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

/** A certificate held or issued here (src/resources/certificates). */
export interface CertificatesTable {
  id: string;
  /** Unique: `platform`, `platform-ca`, `fleet-root-ca`, `subcloud-ica`, or `<type>/<owner>` for one issued to a child. */
  name: string;
  /** CertificateType (certificate.types.ts). */
  type: string;
  /** `auto` (Starling renews it) or `manual` (an operator installed it). */
  renewal: string;
  /** The certificate, then its chain up to (and with) its CA, PEM. */
  pem: string;
  /** PKCS#8 PEM; only when the private key lives here. */
  key_pem: string | null;
  subject: string;
  issuer: string;
  /** JSON list of DNS names and IP addresses. */
  sans: string;
  not_before: number;
  not_after: number;
  /** sha256 of the certificate's DER, hex. */
  fingerprint: string;
  /** The host name or subcloud name it was issued to. */
  owner: string | null;
  created_at: number;
  updated_at: number;
}

/** A platform backup this controller made (src/resources/backups). */

export interface Schema {
  settings: SettingsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  ended_sessions: EndedSessionsTable;
  audit_log: AuditLogTable;
  alarms: AlarmsTable;
  event_log: EventLogTable;
  suppressions: SuppressionsTable;
  system: SystemTable;
  hosts: HostsTable;
  subcloud_groups: SubcloudGroupsTable;
  subclouds: SubcloudsTable;
  subcloud_endpoints: SubcloudEndpointsTable;
  subcloud_alarms: SubcloudAlarmsTable;
  subcloud_errors: SubcloudErrorsTable;
  release_keys: ReleaseKeysTable;
  releases: ReleasesTable;
  software_deploy: SoftwareDeployTable;
  software_deploy_hosts: SoftwareDeployHostsTable;
  sw_strategy: SwStrategyTable;
  fleet_strategy: FleetStrategyTable;
  fleet_strategy_steps: FleetStrategyStepsTable;
  certificates: CertificatesTable;
  backups: BackupsTable;
  backup_schedules: BackupSchedulesTable;
}

export type UserRow = Selectable<UsersTable>;
export type AlarmRow = Selectable<AlarmsTable>;
export type NewAlarmRow = Insertable<AlarmsTable>;
export type EventRow = Selectable<EventLogTable>;
export type NewEventRow = Insertable<EventLogTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type SystemRow = Selectable<SystemTable>;
export type HostRow = Selectable<HostsTable>;
export type SubcloudGroupRow = Selectable<SubcloudGroupsTable>;
export type SubcloudRow = Selectable<SubcloudsTable>;
export type SubcloudErrorRow = Selectable<SubcloudErrorsTable>;
export type ReleaseRow = Selectable<ReleasesTable>;
export type CertificateRow = Selectable<CertificatesTable>;
export type BackupRow = Selectable<BackupsTable>;
export type BackupScheduleRow = Selectable<BackupSchedulesTable>;

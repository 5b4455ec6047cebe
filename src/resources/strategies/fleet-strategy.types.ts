/**
 * A fleet strategy's vocabulary (dcmanager's sw-update-strategy): its
 * states, its steps' states, what it is created with and how it is shown.
 */
import type { SiteJob, SiteJobState } from '../../protocol/subcloud-wire.js';
import type { AlarmRestrictions } from './sw-strategy.plan.js';

export const FLEET_TYPES = ['sw-deploy', 'prestage', 'ca-update'] as const;
export type FleetType = (typeof FLEET_TYPES)[number];
export const FLEET_STATES = ['initial', 'applying', 'abort requested', 'aborting', 'complete', 'aborted', 'failed'] as const;
export type FleetState = (typeof FLEET_STATES)[number];

/** StarlingX's step states for a subcloud, by the job state the subcloud reports. */
export const SW_DEPLOY_STEP: Record<SiteJobState | 'sent', string> = {
  sent: 'sw-deploy pre-check',
  accepted: 'sw-deploy pre-check',
  prestaging: 'prestaging-packages',
  creating: 'create VIM sw-deploy strategy',
  applying: 'apply VIM sw-deploy strategy',
  finishing: 'finish sw-deploy strategy',
  complete: 'complete',
  failed: 'failed',
};
export const PRESTAGE_STEP: Record<SiteJobState | 'sent', string> = {
  sent: 'prestage-precheck',
  accepted: 'prestage-precheck',
  prestaging: 'prestaging-packages',
  creating: 'prestaging-packages',
  applying: 'prestaging-packages',
  finishing: 'prestaging-packages',
  complete: 'complete',
  failed: 'failed',
};
/** A step that has not started, and the states a step ends in. */
export const STEP_INITIAL = 'initial';
export const STEP_DONE = ['complete', 'failed', 'aborted'] as const;
/** Step states in which nothing runs: waiting to start, or finished. Any other state is a step in progress. */
export const STEP_NOT_RUNNING: readonly string[] = [STEP_INITIAL, ...STEP_DONE];

/** StarlingX: prestage runs on at most 250 subclouds at once. */
export const PRESTAGE_MAX_PARALLEL = 250;
export const MAX_PARALLEL_SUBCLOUDS = 5000;

export interface FleetCreate {
  type: FleetType;
  /** sw-deploy and prestage: the release. */
  release?: string;
  /** ca-update: the new root CA's expiry (ISO date) and subject (DN). */
  expiry_date?: string;
  subject?: string;
  group?: string;
  subcloud?: string;
  subcloud_apply_type?: 'parallel' | 'serial';
  max_parallel_subclouds?: number;
  stop_on_failure?: boolean;
  with_prestage?: boolean;
  /** Per-subcloud bandwidth cap while fetching content, Mbit/s; 0 for none. */
  prestage_mbps?: number;
  controller_apply_type?: 'serial' | 'ignore';
  worker_apply_type?: 'serial' | 'parallel' | 'ignore';
  max_parallel_worker_hosts?: number;
  alarm_restrictions?: AlarmRestrictions;
}

export interface StepCause {
  cause: string;
  what: string;
  /** The subcloud and the place in it: "edge-7: upgrade-hosts controller-0". */
  where: string;
  evidence: string;
  repair: string;
}

export interface FleetStepView {
  cloud: string;
  stage: number;
  state: string;
  details: string;
  progress: { steps?: { done: number; total: number }; bytes?: { done: number; total: number } } | null;
  cause: StepCause | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface CauseGroup {
  cause: string;
  what: string;
  repair: string;
  count: number;
  /** Up to ten subclouds with this cause. */
  subclouds: string[];
  /** One failure's evidence, as an example. */
  evidence: string;
}

export interface FleetStrategyView {
  type: FleetType;
  release_id: string;
  /** ca-update: the rotation's phase and both roots. */
  ca_update?: { phase: 'trust-both' | 'update-certs' | 'trust-new' | null; old_root: string | null; new_root: string | null; subject: string | null; expiry_date: string | null };
  state: FleetState;
  subcloud_apply_type: 'parallel' | 'serial';
  max_parallel_subclouds: number;
  stop_on_failure: boolean;
  with_prestage: boolean;
  target: { group?: string; subcloud?: string };
  /** sw-deploy and prestage: each subcloud's site strategy options and fetch cap. */
  job?: Pick<SiteJob, 'strategy' | 'bytes_per_second'>;
  reason: string;
  steps: { total: number; initial: number; in_progress: number; complete: number; failed: number; aborted: number };
  failures_by_cause: CauseGroup[];
  created_at: string;
  updated_at: string;
}

/**
 * A site sw-deploy strategy's plan (StarlingX VIM `sw-manager
 * sw-deploy-strategy`): stages of steps, built from the hosts and the
 * release at creation, each step with a timeout. The plan and every step's
 * state live in one JSON column, so the runner resumes from the row after a
 * restart.
 */
export const STRATEGY_STATES = [
  'initial', 'building', 'build-failed', 'ready-to-apply', 'applying', 'apply-failed', 'apply-timeout', 'applied', 'aborting', 'abort-failed', 'aborted',
] as const;
export type StrategyState = (typeof STRATEGY_STATES)[number];
export const STEP_RESULTS = ['initial', 'inprogress', 'success', 'failed', 'timed-out', 'aborted'] as const;
export type StepResult = (typeof STEP_RESULTS)[number];
export const APPLY_TYPES = ['serial', 'parallel', 'ignore'] as const;
export const ALARM_RESTRICTIONS = ['strict', 'relaxed', 'permissive'] as const;
export type AlarmRestrictions = (typeof ALARM_RESTRICTIONS)[number];

export type StepName =
  | 'query-alarms' | 'sw-deploy-precheck' | 'start-upgrade' | 'lock-hosts' | 'upgrade-hosts' | 'unlock-hosts' | 'system-stabilize' | 'activate-upgrade' | 'complete-upgrade' | 'sw-deploy-delete';

export interface Step {
  name: StepName;
  entity_names: string[];
  timeout_s: number;
  result: StepResult;
  reason: string;
  started_at: number | null;
  finished_at: number | null;
}

export interface Stage {
  name: string;
  steps: Step[];
}

export interface StrategyOptions {
  release: string;
  controller_apply_type: 'serial' | 'ignore';
  worker_apply_type: 'serial' | 'parallel' | 'ignore';
  max_parallel_worker_hosts: number;
  alarm_restrictions: AlarmRestrictions;
}

/** StarlingX step timeouts, in seconds. */
const TIMEOUT: Record<StepName, number> = {
  'query-alarms': 60,
  'sw-deploy-precheck': 60,
  'start-upgrade': 300,
  'lock-hosts': 900,
  'upgrade-hosts': 1800,
  'unlock-hosts': 1800,
  'system-stabilize': 300,
  'activate-upgrade': 300,
  'complete-upgrade': 300,
  'sw-deploy-delete': 300,
};

const step = (name: StepName, entity_names: string[] = []): Step => ({ name, entity_names, timeout_s: TIMEOUT[name], result: 'initial', reason: '', started_at: null, finished_at: null });

/** The steps that take one batch of hosts through the deploy. */
function hostSteps(hosts: string[], rebootRequired: boolean): Step[] {
  return rebootRequired
    ? [step('lock-hosts', hosts), step('upgrade-hosts', hosts), step('unlock-hosts', hosts), step('system-stabilize', hosts)]
    : [step('upgrade-hosts', hosts), step('system-stabilize', hosts)];
}

export function buildPlan(options: StrategyOptions, hosts: Array<{ hostname: string; personality: string }>, rebootRequired: boolean): Stage[] {
  const stages: Stage[] = [{ name: 'sw-upgrade-query', steps: [step('query-alarms'), step('sw-deploy-precheck')] }, { name: 'sw-upgrade-start', steps: [step('start-upgrade')] }];
  const controllers = hosts.filter((h) => h.personality === 'controller').map((h) => h.hostname);
  const workers = hosts.filter((h) => h.personality !== 'controller').map((h) => h.hostname);
  // Controllers one at a time: the other keeps the site running.
  if (options.controller_apply_type !== 'ignore') for (const c of controllers) stages.push({ name: 'sw-upgrade-controllers', steps: hostSteps([c], rebootRequired) });
  if (options.worker_apply_type !== 'ignore') {
    const size = options.worker_apply_type === 'parallel' ? options.max_parallel_worker_hosts : 1;
    for (let i = 0; i < workers.length; i += size) stages.push({ name: 'sw-upgrade-worker-hosts', steps: hostSteps(workers.slice(i, i + size), rebootRequired) });
  }
  stages.push({ name: 'sw-upgrade-complete', steps: [step('activate-upgrade'), step('complete-upgrade')] }, { name: 'sw-deploy-delete', steps: [step('sw-deploy-delete')] });
  return stages;
}

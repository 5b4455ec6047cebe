/**
 * Subclouds and groups, with StarlingX dcmanager's field and state names
 * (reference §1).
 */

/** - `managed`: the system controller syncs and orchestrates it. - `unmanaged`: left alone. */
export const MANAGEMENT_STATES = ['managed', 'unmanaged'] as const;
export type ManagementState = (typeof MANAGEMENT_STATES)[number];

/** - `online`: reporting within its audit windows. - `offline`: two audit windows missed (280.001). */
export type AvailabilityStatus = 'online' | 'offline';

/**
 * The deploy states that apply to a Starling subcloud (it enrolls; it is
 * not installed by the system controller):
 * - `pre-enroll`: added, waiting for the subcloud to enroll with its token.
 * - `enrolling`: credential issued, first report not yet received.
 * - `enroll-failed`: enrollment refused (expired token ...); see error_description.
 * - `complete`: reporting.
 * - `rehome-pending`: added here with --migrate, waiting for the subcloud to arrive.
 * - `pre-rehome`: handed to another system controller; waiting for the subcloud to move.
 * - `rehoming`: arrived here (enrolled), first report not yet received.
 * - `rehome-failed`: the hand-over failed; see the subcloud's errors.
 * - `secondary`: adopted by another system controller; this one let it go.
 */
export const DEPLOY_STATUSES = ['pre-enroll', 'enrolling', 'enroll-failed', 'complete', 'rehome-pending', 'pre-rehome', 'rehoming', 'rehome-failed', 'secondary'] as const;
export type DeployStatus = (typeof DEPLOY_STATUSES)[number];

export const ENDPOINT_TYPES = ['platform', 'identity', 'software'] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];
export type SyncStatus = 'in-sync' | 'out-of-sync' | 'unknown';

export const APPLY_TYPES = ['parallel', 'serial'] as const;
export type ApplyType = (typeof APPLY_TYPES)[number];

/**
 * StarlingX's Default group: parallel, at most 2 at once. It is the first
 * group created, so it gets id 1 as in dcmanager; code finds it by name
 * (forcing the id would leave PostgreSQL's sequence behind).
 */
export const DEFAULT_GROUP = { name: 'Default', description: 'Default Subcloud Group', update_apply_type: 'parallel', max_parallel_subclouds: 2 } as const;

export const NO_ERRORS = 'No errors present';

export const SUBCLOUD_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';

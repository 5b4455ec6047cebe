/**
 * How an agent puts a release on its host. A deployer holds whole
 * deployments side by side and switches between them atomically, keeping
 * the previous one, so a failed health check — or a crash before the health
 * check passed — falls back to what ran before (as Mender and RAUC commit an
 * update only after a good boot).
 *
 * - `dir`: real A/B deployments in a folder (dir-deployer.ts);
 * - `ostree`: real OSTree commits and deployments where ostree is installed;
 * - `sim`: in memory, for the fleet simulator and tests.
 */
import type { ReleaseFile } from '../../resources/software/release-metadata.js';

export interface DeployRelease {
  id: string;
  files: ReleaseFile[];
  /** Content path run after the switch; non-zero exit (or timeout) rolls back. */
  health_check: string | null;
}

export interface DeployerState {
  /** The release the host runs (null: the base install, before any release). */
  running: string | null;
  /** What it ran before: where a rollback goes. */
  previous: string | null;
}

export interface DeployOutcome extends DeployerState {
  ok: boolean;
  /** Why it failed: the health check's output tail, or the error. */
  evidence?: string;
}

/** Puts one blob (by digest) at `dest`, verified; resumes partial files. */
export type FetchBlob = (file: Pick<ReleaseFile, 'sha256' | 'size'>, dest: string) => Promise<void>;

export interface Deployer {
  readonly name: string;
  /** Opens the store; a switch interrupted before its health check passed is undone here. */
  open(): Promise<DeployerState & { recovered?: string }>;
  state(): DeployerState;
  /** Fetches and verifies the release's content next to the running one. Idempotent. */
  stage(release: DeployRelease, fetchBlob: FetchBlob): Promise<void>;
  /** Switches to a staged release and runs its health check; on failure switches back. */
  activate(release: DeployRelease): Promise<DeployOutcome>;
  /** Switches back to the previous deployment. */
  rollback(): Promise<DeployOutcome>;
}

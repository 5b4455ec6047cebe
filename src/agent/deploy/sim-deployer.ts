/**
 * The simulated deployer: deployments in memory, for the fleet simulator
 * and tests. Content is not fetched; a release whose health check path is
 * named `fail` (or listed in `failing`) fails its health check and is
 * rolled back, as on a real host.
 */
import type { Deployer, DeployerState, DeployOutcome, DeployRelease } from './deployer.js';

export class SimDeployer implements Deployer {
  readonly name = 'sim';
  private current: DeployerState = { running: null, previous: null };
  private readonly staged = new Set<string>();

  constructor(private readonly failing: ReadonlySet<string> = new Set()) {}

  async open(): Promise<DeployerState> {
    return this.state();
  }

  state(): DeployerState {
    return { ...this.current };
  }

  async stage(release: DeployRelease): Promise<void> {
    this.staged.add(release.id);
  }

  async activate(release: DeployRelease): Promise<DeployOutcome> {
    if (!this.staged.has(release.id)) throw new Error(`release ${release.id} is not staged on this host`);
    if (this.current.running === release.id) return { ok: true, ...this.state() };
    if (this.failing.has(release.id) || release.health_check?.split('/').pop() === 'fail') {
      return { ok: false, ...this.state(), evidence: `health check ${release.health_check ?? ''} of ${release.id} failed [simulated]\nrolled back to ${this.current.running ?? 'the base install'}` };
    }
    this.current = { running: release.id, previous: this.current.running };
    return { ok: true, ...this.state() };
  }

  async rollback(): Promise<DeployOutcome> {
    if (this.current.running !== null) this.current = { running: this.current.previous, previous: this.current.running };
    return { ok: true, ...this.state() };
  }
}

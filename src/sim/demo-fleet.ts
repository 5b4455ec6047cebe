/**
 * The demo's simulated world around a real system controller, so a
 * newcomer sees a fleet at work: a few hundred virtual subclouds in groups
 * behind different links (metro, LTE, satellite), some never reporting
 * (offline), some unmanaged, a few alarms coming and going, four simulated
 * hosts of the controller itself with agents and inventory, and a signed
 * sample release deployed on the controller, so the managed subclouds are
 * out of sync and a fleet rollout is one command away. Everything goes
 * through the public API, as an operator's tools would, and every name,
 * description and summary says it is simulated.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostAgent } from '../agent/agent.js';
import { SimDriver } from '../agent/drivers/sim.js';
import type { ApiClient } from '../cli/client.js';
import type { Logger } from '../core/logging.js';
import { buildBundle } from '../resources/software/release-bundle.js';
import { generateReleaseKeys } from '../resources/software/release-signature.js';
import { FleetSimulator, SIMULATED_MARK } from './fleet-sim.js';
import { simulatedInventory } from './sim-inventory.js';
import { PROFILES, type ProfileName } from './wan/index.js';

export interface DemoFleetOptions {
  controller: string;
  /** An admin's session token (the simulated subclouds are added with it). */
  token: string;
  /** The API client with that token. */
  api: ApiClient;
  dataDir: string;
  log: Logger;
  /** Subclouds in all (default 240), spread over the groups below. */
  subclouds?: number;
  /** A simulated deploy's duration (default 20 s). */
  deployMs?: number;
}

export const DEMO_RELEASE = 'demo-1.0.1';

/** The groups: name, share of the fleet, link profile, and how a rollout treats them. */
const GROUPS: Array<{ name: string; share: number; profile: ProfileName; description: string; maxParallel: number; failRate: number }> = [
  { name: 'rail-backbone', share: 0.4, profile: 'metro', description: 'railway backbone sites on metro fibre', maxParallel: 20, failRate: 0 },
  { name: 'rural-lte', share: 0.35, profile: 'lte', description: 'rural radio sites on LTE backhaul', maxParallel: 10, failRate: 0.02 },
  { name: 'forest-sensors', share: 0.25, profile: 'satellite', description: 'fire-watch sensor sites on satellite links', maxParallel: 5, failRate: 0.05 },
];

const HOSTS: Array<{ hostname: string; personality: 'controller' | 'worker' }> = [
  { hostname: 'controller-0', personality: 'controller' },
  { hostname: 'controller-1', personality: 'controller' },
  { hostname: 'worker-0', personality: 'worker' },
  { hostname: 'worker-1', personality: 'worker' },
];

export class DemoFleet {
  readonly sims: FleetSimulator[] = [];
  readonly agents: HostAgent[] = [];

  constructor(private readonly options: DemoFleetOptions) {}

  /** The API under /api/v1, through the CLI's client (errors carry the server's message). */
  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.options.api.request<T>(method, `/api/v1${path}`, body === undefined ? {} : { body });
  }

  /** Builds the world; resolves once the subclouds are up and managed. */
  async start(): Promise<void> {
    // The name shows in the dashboard's header: nobody mistakes the demo for a real system.
    await this.call('PATCH', '/system', { name: `${SIMULATED_MARK} Starling demo` });
    await this.sampleRelease();
    await this.hosts();
    const total = this.options.subclouds ?? 240;
    for (const g of GROUPS) {
      await this.call('POST', '/subcloud-groups', { name: g.name, description: `${SIMULATED_MARK} ${g.description}`, max_parallel_subclouds: g.maxParallel });
      const sim = new FleetSimulator({
        controller: this.options.controller,
        token: this.options.token,
        subclouds: Math.max(1, Math.round(total * g.share)),
        hostsPerSubcloud: g.profile === 'satellite' ? 1 : 2,
        profile: PROFILES[g.profile],
        seed: `demo-${g.name}`,
        prefix: g.name,
        group: g.name,
        alarmChurnPerHour: 2,
        deployMs: this.options.deployMs ?? 20_000,
        deployFailRate: g.failRate,
        log: this.options.log,
      });
      this.sims.push(sim);
      await sim.start();
    }
    // A few sites that were added but never came up: they stay offline.
    for (let i = 1; i <= 4; i++) {
      await this.call('POST', '/subclouds', { name: `rural-lte-unreachable-${i}`, group: 'rural-lte', description: `${SIMULATED_MARK} added, never reported (its link is down)`, location: 'simulated' });
    }
    // Manage the subclouds that are online, but leave a few unmanaged, as a site under maintenance would be.
    let left = 0;
    for (const sim of this.sims) {
      for (const [i, s] of sim.sites.entries()) {
        if (i % 25 === 24) continue;
        await this.call('POST', `/subclouds/${s.name}/manage`, {}).catch(() => left++);
      }
    }
    if (left) this.options.log.info({ left }, 'demo: some subclouds were not online yet and stay unmanaged');
  }

  /** A signing key, trusted; a signed sample release, uploaded and deployed on the controller. */
  private async sampleRelease(): Promise<void> {
    const dir = join(this.options.dataDir, 'sample-release');
    const keys = generateReleaseKeys();
    await mkdir(join(dir, 'content', 'bin'), { recursive: true });
    await writeFile(join(this.options.dataDir, 'demo-release-key.pem'), keys.privatePem, { mode: 0o600 });
    await writeFile(join(dir, 'content', 'bin', 'edge-agent'), `#!/bin/sh\necho "edge-agent ${DEMO_RELEASE} (simulated)"\n`, { mode: 0o755 });
    await writeFile(join(dir, 'content', 'edge-agent.conf'), 'log_level=info\n');
    await writeFile(
      join(dir, 'release.json'),
      JSON.stringify({ id: DEMO_RELEASE, version: '1.0.1', kind: 'patch', summary: `${SIMULATED_MARK} sample patch for the demo: edge agent 1.0.1`, reboot_required: false }),
    );
    const bundle = join(this.options.dataDir, `${DEMO_RELEASE}.tar`);
    await buildBundle(dir, keys.privatePem, bundle);
    await this.call('POST', '/software/trust', { public_key: keys.publicPem });
    await this.options.api.upload('/api/v1/software/releases', bundle);
    for (const step of ['start', 'activate', 'complete']) await this.call('POST', `/software/deploy/${step}`, step === 'start' ? { release: DEMO_RELEASE } : {});
    await this.call('DELETE', '/software/deploy');
  }

  /** The controller's own hosts, each with a host agent on the simulated driver. */
  private async hosts(): Promise<void> {
    for (const h of HOSTS) {
      // AIO-Duplex with two workers; the mode changes while controller-0 is still locked, as StarlingX requires.
      if (h.hostname === 'controller-1') await this.call('PATCH', '/system', { mode: 'duplex' });
      const ticket = await this.call<{ enroll_token: string }>('POST', '/hosts', h);
      const agent = new HostAgent({
        controller: this.options.controller,
        hostname: h.hostname,
        stateDir: join(this.options.dataDir, 'agents', h.hostname),
        enrollToken: ticket.enroll_token,
        driver: new SimDriver(),
        inventory: async () => simulatedInventory(h.personality),
        log: this.options.log,
      });
      await agent.start();
      this.agents.push(agent);
    }
    // Into service, as an installer would leave them: unlock each once its agent has reported.
    for (const h of HOSTS) {
      for (let i = 0; i < 100; i++) {
        const host = await this.call<{ availability: string }>('GET', `/hosts/${h.hostname}`);
        if (host.availability !== 'offline') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await this.call('POST', `/hosts/${h.hostname}/actions`, { action: 'unlock' }).catch((err: Error) => this.options.log.warn({ host: h.hostname, err: err.message }, 'demo: could not unlock'));
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sims.map((s) => s.stop()), ...this.agents.map((a) => a.stop())]);
  }
}

/** `starling agent`: run the host agent until SIGINT/SIGTERM. */
import { hostname as osHostname } from 'node:os';
import { Option, type Command } from 'commander';
import { HostAgent } from '../../agent/agent.js';
import { LinuxDriver } from '../../agent/drivers/linux.js';
import { SimDriver } from '../../agent/drivers/sim.js';
import { readInventory, readResourceStats } from '../../agent/inventory/index.js';
import { ResourceMonitor } from '../../agent/monitor/resource-monitor.js';
import { StateDir } from '../../agent/state-dir.js';
import { DirDeployer } from '../../agent/deploy/dir-deployer.js';
import { OstreeDeployer } from '../../agent/deploy/ostree-deployer.js';
import { SimDeployer } from '../../agent/deploy/sim-deployer.js';
import { join } from 'node:path';
import { startLoop } from '../../core/loop.js';
import { defaultAgentStateDir, LOG_LEVELS } from '../../core/config.js';
import { durations } from '../../core/durations.js';
import { createLogger } from '../../core/logging.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

interface AgentFlags {
  controller: string;
  enrollToken?: string;
  hostname?: string;
  stateDir?: string;
  driver: 'linux' | 'sim';
  allowHostChanges?: boolean;
  deployDriver: 'dir' | 'ostree' | 'sim' | 'none';
  deployRoot?: string;
  logLevel: string;
}

export function registerAgentCommand(program: Command, ctx: CliContext): void {
  program
    .command('agent')
    .description('Run the host agent: enroll once, then report inventory and heartbeat and apply the desired configuration')
    .requiredOption('--controller <url>', 'site controller URL, e.g. http://controller-0:6385')
    .option('--enroll-token <token>', 'one-time token from "starling host add" (first start, or to re-enroll); it pins the controller\'s CA, so the agent refuses any other before sending it')
    .option('--hostname <name>', 'this host\'s name (default: the machine\'s hostname)')
    .option('--state-dir <dir>', 'folder for the credential and queue (default: ~/.local/state/starling/agent)')
    .addOption(new Option('--driver <driver>', 'host driver: linux reads this machine; sim simulates one').choices(['linux', 'sim']).default('linux'))
    .addOption(new Option('--deploy-driver <driver>', 'how releases are deployed: dir keeps A/B deployments in --deploy-root; ostree keeps them as OSTree commits there (needs ostree); sim simulates; none takes no software deploys').choices(['dir', 'ostree', 'sim', 'none']).default('dir'))
    .option('--deploy-root <dir>', 'folder of the dir deployer (default: <state-dir>/deployments)')
    .option('--allow-host-changes', 'let the linux driver change this machine (grub kernel and CPU isolation, hugepages, reboot); without it, changes are only recorded in the state folder')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .action(async (flags: AgentFlags) => {
      const hostname = (flags.hostname ?? osHostname()).toLowerCase();
      const stateDir = flags.stateDir ?? defaultAgentStateDir(ctx.processEnv);
      const log = createLogger({ level: flags.logLevel });
      const state = new StateDir(stateDir);
      const driver = flags.driver === 'sim' ? new SimDriver() : new LinuxDriver({ state, allowHostChanges: flags.allowHostChanges ?? false });
      const deployRoot = flags.deployRoot ?? join(stateDir, 'deployments');
      const deployer =
        flags.deployDriver === 'dir' ? new DirDeployer(deployRoot) : flags.deployDriver === 'ostree' ? new OstreeDeployer(deployRoot) : flags.deployDriver === 'sim' ? new SimDeployer() : undefined;
      const agent = new HostAgent({
        ...(deployer ? { deploy: { deployer, root: deployRoot } } : {}),
        controller: flags.controller.replace(/\/+$/, ''),
        hostname,
        stateDir,
        ...(flags.enrollToken ? { enrollToken: flags.enrollToken } : {}),
        driver,
        inventory: () => readInventory('/'),
        stats: () => readResourceStats('/'),
        log,
      });
      try {
        await agent.start();
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      // Resource alarms (100.101/103/104) go through the agent's queue like any other alarm change.
      const monitor = new ResourceMonitor({ hostname, send: (op) => agent.send(op) });
      const firstStats = await readResourceStats('/');
      monitor.clearStale(firstStats.filesystems.map((f) => f.mount));
      monitor.sample(firstStats);
      const sampler = startLoop({ name: 'resource-monitor', intervalMs: durations.resourceSampleMs, log, tick: async () => monitor.sample(await readResourceStats('/')) });
      ctx.out(`Starling agent for ${hostname} reporting to ${flags.controller} (driver ${driver.name}, deploy ${deployer?.name ?? 'none'}; state in ${stateDir})`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          ctx.err(`${signal}: stopping the agent`);
          setTimeout(() => process.exit(1), durations.shutdownGraceMs).unref();
          void sampler.stop().then(() => agent.stop()).then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}

/**
 * Simulated host agents over real HTTP, in a process of their own (spawned
 * by bench/site.bench.ts with an IPC channel), so the client's CPU is not
 * counted as the controller's.
 *
 * Each simulated agent does what src/agent/agent.ts does on the wire, minus
 * reading the machine: enroll, a first report with its full status, stats
 * and the start-up clears of the resource monitor, apply the desired state
 * from the reply (which changes its status, so the next report carries it
 * again), then long polls: wait_ms = the interval, known_generation = the
 * last reply's, the next report as soon as the reply arrives, over its own
 * keep-alive connection.
 *
 * A probe can add short reports (wait_ms 0, as the real agent's kick()
 * sends) from the agents in turn, on one connection of its own, and time
 * their round trip.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type * as EnrollmentModule from '../../src/pki/child-enrollment.js';
import type * as InventoryModule from '../../src/agent/inventory/index.js';
import type * as VersionModule from '../../src/core/version.js';
import type * as PulseModule from '../../src/protocol/pulse-wire.js';
import { createSocket } from 'node:dgram';
import type { AgentOp, AgentStatus, Reply } from '../../src/protocol/agent-wire.js';

export type ToSwarm =
  | { type: 'start'; url: string; ca?: string; hosts: Array<{ hostname: string; token: string }>; intervalMs: number; staggerMs: number; pulse?: boolean }
  | { type: 'probe'; perSecond: number }
  | { type: 'snapshot' }
  /** Stops an agent dead (as kill -9 would): no more pulses, no more reports, its connection closed. */
  | { type: 'kill'; hostname: string };

export type FromSwarm =
  | { type: 'enrolled'; seconds: number }
  | { type: 'up'; seconds: number }
  | { type: 'snapshot'; replies: number; errors: number; lastError: string | null; inFlight: number; probeMs: number[]; pulsing: number; pulsesSent: number }
  | { type: 'killed'; hostname: string; at: number }
  | { type: 'failed'; message: string };

/** Request timeout beyond the hold, as the real agent (durations.agentRequestMarginMs). */
const MARGIN_MS = 15_000;
const ENROLL_CONCURRENCY = 8;

// Runtime from dist/ (what `npm run bench:site` just built), types from src/, like the fm bench.
const fromDist = async <T>(path: string): Promise<T> => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
const { readInventory, readResourceStats } = await fromDist<typeof InventoryModule>('agent/inventory/index.js');
const { VERSION } = await fromDist<typeof VersionModule>('core/version.js');
const { enrollmentKey, clientTlsOptions } = await fromDist<typeof EnrollmentModule>('pki/child-enrollment.js');
const { encodePulse, pulseKey } = await fromDist<typeof PulseModule>('protocol/pulse-wire.js');

/** One UDP socket sends every agent's pulses (the controller tells sessions apart by their id and key, not by source). */
const udp = createSocket('udp4');
udp.unref();

/**
 * Over HTTPS each simulated agent enrolls with a certificate request and
 * reports over mutual TLS on its own connection, as a real agent does. They
 * share one key pair (as the fleet simulator's sites do), so the swarm's
 * CPU goes to the protocol; the controller still verifies and signs each.
 */
const tls: { ca?: string; key?: EnrollmentModule.EnrollmentKey } = {};
const agentFor = (options: http.AgentOptions, cert?: string): http.Agent =>
  tls.ca ? new https.Agent({ ...options, ...clientTlsOptions({ ca: tls.ca, ...(cert && tls.key ? { cert, key: tls.key.privateKeyPem } : {}) }) }) : new http.Agent(options);

const send = (m: FromSwarm) => process.send!(m);

function post(agent: http.Agent, url: string, body: string, token: string | undefined, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? https : http).request(
      url,
      {
        method: 'POST',
        agent,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`POST ${new URL(url).pathname} answered ${res.statusCode}: ${text.slice(0, 200)}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * This machine's inventory, its CPU list widened to a 32-thread worker
 * (16 cores x 2 SMT threads, 2 NUMA nodes) so the status is a realistic few
 * KB rather than a 2-CPU VM's 1.4 KB.
 */
async function inventoryTemplate(): Promise<InventoryModule.Inventory> {
  const inv = await readInventory('/');
  const model = inv.cpu === 'unknown' ? 'unknown' : inv.cpu.model;
  const cpus = Array.from({ length: 32 }, (_, id) => {
    const core = id % 16;
    return { id, socket: 0, core, numa_node: core < 8 ? 0 : 1, siblings: [core, core + 16] };
  });
  return { ...inv, cpu: { model, sockets: 1, cores: 16, threads: 32, numa_nodes: 2, cpus } };
}

const hashOf = (status: AgentStatus) => createHash('sha256').update(JSON.stringify(status)).digest('hex').slice(0, 16);

class SimAgent {
  /** Its own connection (with its client certificate over TLS), as each real agent has; a second for the probe's short reports. */
  readonly http: http.Agent;
  private seq = 0;
  private known = 0;
  private ackedHash: string | undefined;
  private needStatus = true;
  private stats: unknown;
  private ops: Array<{ seq: number; op: AgentOp }>;
  private readonly status: AgentStatus;
  private hash: string;
  /** Pulses the host heartbeat, as src/agent/pulse-sender.ts does, when the swarm was started with pulse. */
  private readonly instance: string | undefined;
  private session: string | undefined;
  pulseTimer: NodeJS.Timeout | undefined;
  dead = false;

  constructor(
    private readonly url: string,
    readonly credential: string,
    hostname: string,
    inventory: InventoryModule.Inventory,
    stats: InventoryModule.ResourceStats,
    certificate?: string,
    pulse = false,
  ) {
    this.instance = pulse ? randomUUID().replace(/-/g, '').slice(0, 16) : undefined;
    this.http = agentFor({ keepAlive: true, maxSockets: 2 }, certificate);
    // A MAC of its own, so 2,000 inventories are not one string.
    const n = Number(/\d+$/.exec(hostname)?.[0] ?? 0);
    const mac = `02:00:00:00:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
    const nics = inventory.nics.map((nic, i) => (i === 0 ? { ...nic, mac } : nic));
    this.status = {
      boot_id: randomUUID(),
      booted_at: Date.now() - 86_400_000,
      agent_version: VERSION,
      inventory: { ...inventory, nics },
      applied: { generation: 0, config_token: null },
      completed_actions: [],
    };
    this.hash = hashOf(this.status);
    this.stats = stats;
    // The resource monitor's clearStale() at agent start: CPU, memory and each filesystem.
    const host = `host=${hostname}`;
    const clears: Array<[string, string]> = [['100.101', host], ['100.103', host], ...stats.filesystems.map((f): [string, string] => ['100.104', `${host}.filesystem=${f.mount}`])];
    this.ops = clears.map(([alarm_id, entity_instance_id], i) => ({ seq: i + 1, op: { kind: 'clear', alarm_id, entity_instance_id } }));
  }

  /** One report; mirrors HostAgent.exchange(). */
  async exchange(waitMs: number, via: http.Agent = this.http): Promise<void> {
    const hash = this.hash;
    const includeStatus = this.needStatus || hash !== this.ackedHash;
    const stats = this.stats;
    const body = JSON.stringify({
      seq: ++this.seq,
      status_hash: hash,
      ...(includeStatus ? { status: this.status } : {}),
      ...(stats !== undefined ? { stats } : {}),
      ops: this.ops,
      known_generation: this.known,
      wait_ms: waitMs,
      ...(this.instance ? { pulse: { instance: this.instance, ...(this.session ? { session: this.session } : {}) } } : {}),
    });
    const reply = (await post(via, `${this.url}/api/v1/agent/report`, body, this.credential, waitMs + MARGIN_MS)) as Reply;
    if (includeStatus) this.ackedHash = hash;
    if (stats !== undefined) this.stats = undefined; // stats ride along every 5 minutes: once in this run
    this.needStatus = reply.need_status ?? false;
    this.ops = this.ops.filter((o) => o.seq > reply.ack_op_seq);
    if (reply.pulse && !this.dead) this.startPulses(reply.pulse, new URL(this.url).hostname);
    if (reply.desired) {
      // One-shot actions (unlock ...) are done at once.
      this.status.completed_actions = reply.desired.actions.map((a) => a.id).slice(-50);
      // "Applying" it changes the status (applied generation and token), so the next report carries the status again.
      this.status.applied = { generation: reply.desired.generation, config_token: reply.desired.config_token };
      this.hash = hashOf(this.status);
      this.known = reply.desired.generation;
    } else this.known = reply.generation;
  }

  private startPulses(session: PulseModule.PulseSession, address: string): void {
    clearInterval(this.pulseTimer);
    this.session = session.session;
    const id = Buffer.from(session.session, 'hex');
    const key = pulseKey(session.key);
    let seq = 0;
    const send = () => {
      udp.send(encodePulse(id, ++seq, key), session.port, address);
      pulsesSent++;
    };
    // A random phase, as agents started at different times have.
    setTimeout(() => {
      if (this.dead) return;
      send();
      this.pulseTimer = setInterval(send, session.period_ms);
    }, Math.random() * session.period_ms);
  }

  get pulsing(): boolean {
    return this.pulseTimer !== undefined;
  }

  kill(): void {
    this.dead = true;
    clearInterval(this.pulseTimer);
    this.pulseTimer = undefined;
    this.http.destroy();
  }
}

let pulsesSent = 0;

const counters = { replies: 0, errors: 0, lastError: null as string | null, inFlight: 0 };
let probeMs: number[] = [];
let probeTimer: NodeJS.Timeout | undefined;

async function runAgent(agent: SimAgent, intervalMs: number, onFirstReply: () => void): Promise<void> {
  let first = true;
  while (!agent.dead) {
    counters.inFlight++;
    try {
      await agent.exchange(intervalMs);
      counters.replies++;
      if (first) onFirstReply();
      first = false;
    } catch (err) {
      if (agent.dead) break;
      counters.errors++;
      counters.lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
    } finally {
      counters.inFlight--;
    }
  }
}

async function start(m: Extract<ToSwarm, { type: 'start' }>): Promise<SimAgent[]> {
  const inventory = await inventoryTemplate();
  const stats = await readResourceStats('/');
  const t0 = performance.now();
  if (m.ca) Object.assign(tls, { ca: m.ca, key: await enrollmentKey() });
  const enrollHttp = agentFor({ keepAlive: true, maxSockets: ENROLL_CONCURRENCY });
  const agents: SimAgent[] = new Array(m.hosts.length);
  let next = 0;
  const enroller = async () => {
    while (next < m.hosts.length) {
      const i = next++;
      const { hostname, token } = m.hosts[i]!;
      const secret = tls.ca ? token.replace(/\.[0-9a-f]{64}$/, '') : token;
      const body = JSON.stringify({ token: secret, hostname, ...(tls.key ? { csr: tls.key.csr } : {}) });
      const { credential, certificate } = (await post(enrollHttp, `${m.url}/api/v1/agent/enroll`, body, undefined, 30_000)) as { credential: string; certificate?: string };
      agents[i] = new SimAgent(m.url, credential, hostname, inventory, stats, certificate, m.pulse ?? false);
      byName.set(hostname, agents[i]!);
    }
  };
  await Promise.all(Array.from({ length: ENROLL_CONCURRENCY }, enroller));
  enrollHttp.destroy();
  send({ type: 'enrolled', seconds: (performance.now() - t0) / 1000 });

  // Starts spread evenly over one interval, as agents of a site coming up over time would be.
  const t1 = performance.now();
  let up = 0;
  const onFirstReply = () => {
    if (++up === agents.length) send({ type: 'up', seconds: (performance.now() - t1) / 1000 });
  };
  agents.forEach((agent, i) => setTimeout(() => void runAgent(agent, m.intervalMs, onFirstReply), (i * m.staggerMs) / agents.length));
  return agents;
}

function probe(agents: SimAgent[], perSecond: number): void {
  clearInterval(probeTimer);
  if (perSecond <= 0) return;
  let turn = 0;
  let busy = false;
  probeTimer = setInterval(() => {
    if (busy) return; // one at a time on the probe's connection
    busy = true;
    const agent = agents[turn++ % agents.length]!;
    const t0 = performance.now();
    // Under mutual TLS a connection carries one agent's certificate, so the probe uses the agent's own (its second socket beside the held long poll).
    agent
      .exchange(0)
      .then(() => probeMs.push(performance.now() - t0))
      .catch((err: Error) => {
        counters.errors++;
        counters.lastError = `probe: ${err.message}`;
      })
      .finally(() => (busy = false));
  }, 1000 / perSecond);
}

let agents: SimAgent[] = [];
const byName = new Map<string, SimAgent>();
process.on('message', (m: ToSwarm) => {
  if (m.type === 'start') {
    start(m).then(
      (a) => (agents = a),
      (err: Error) => send({ type: 'failed', message: err.stack ?? err.message }),
    );
  } else if (m.type === 'probe') probe(agents, m.perSecond);
  else if (m.type === 'kill') {
    byName.get(m.hostname)?.kill();
    send({ type: 'killed', hostname: m.hostname, at: Date.now() });
  }
  else if (m.type === 'snapshot') {
    send({ type: 'snapshot', ...counters, probeMs, pulsing: agents.filter((a) => a?.pulsing).length, pulsesSent });
    probeMs = [];
  }
});
// The bench went away (finished, or died): so do we, rather than hammer a controller nobody watches.
process.on('disconnect', () => process.exit(0));

/**
 * The ca-update fleet strategy (after StarlingX's kube-rootca-update and
 * dcmanager's kube-rootca-update-strategy): rotates the fleet root CA in
 * three fleet-wide phases, each subcloud's step following what its reports
 * show (see PlatformPki's rotation phases):
 *
 * 1. `updating-trust-both-cas`: every child is handed both roots; a step is
 *    `trust-both-cas-updated` once its subcloud reports trusting both. The
 *    phase ends when every online subcloud has; one offline meanwhile is
 *    carried by the cross-signed root and catches up when it returns.
 * 2. `updating-certs`: the new root signs; each subcloud renews its client
 *    certificate and its intermediate CA under it (asked in its replies), and
 *    its step is `certs-updated` once it presents them. The phase ends when
 *    every step has (or failed: a step times out after the fleet step
 *    timeout, and stop-on-failure ends the strategy here, both roots still
 *    trusted, so every subcloud can still talk to the system controller).
 * 3. `updating-trust-new-ca`: the old root is dropped; each subcloud is
 *    handed the new root alone, and its step is complete once it trusts it.
 *    Then the old root is deleted.
 *
 * Everything it decides from is in rows or comes with every report, so a
 * restart carries on. Abort in phase 1 drops the new root; later, both
 * roots stay trusted (some subclouds hold certificates of each) until a new
 * ca-update finishes the rotation.
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { durations } from '../../core/durations.js';
import { InputError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import { subcloudPrincipal } from '../../protocol/principals.js';
import type { ChildRenewal } from '../certificates/child-renewal.js';
import type { PlatformPki, RotationPhase } from '../certificates/platform-pki.js';

export const CA_UPDATE_STEP = {
  trustBoth: 'updating-trust-both-cas',
  trustBothDone: 'trust-both-cas-updated',
  certs: 'updating-certs',
  certsDone: 'certs-updated',
  trustNew: 'updating-trust-new-ca',
} as const;

/** Step states done with the current phase, waiting for the rest of the fleet (no step timeout). */
export const CA_UPDATE_WAITING: readonly string[] = [CA_UPDATE_STEP.trustBothDone, CA_UPDATE_STEP.certsDone];

export interface CaUpdateDeps {
  db: Kysely<Schema>;
  clock: Clock;
  pki: PlatformPki;
  renewal: ChildRenewal;
  /** Puts the PKI's server certificate (and chain) on the listener. */
  useServerTls: () => void;
}

/** What one tick concluded: the strategy goes on, or ends with a state and reason. */
export type CaUpdateOutcome = { done: false } | { done: true; state: 'complete' | 'failed'; reason: string };

export class CaUpdateRunner {
  constructor(private readonly deps: CaUpdateDeps) {}

  /** The new root's options as a ca-update is created with them, checked: `expiry_date` a date the root outlives its leaves by, `subject` a distinguished name. */
  checkOptions(input: { expiry_date?: string; subject?: string }, now: number): { subject?: string; not_after?: number } {
    let notAfter: number | undefined;
    if (input.expiry_date !== undefined) {
      notAfter = Date.parse(input.expiry_date);
      if (!Number.isFinite(notAfter)) throw new InputError(`not a date: ${input.expiry_date} (e.g. 2036-12-01)`, 'expiry_date');
      if (notAfter < now + 2 * durations.leafCertificateLifetimeMs) throw new InputError(`${input.expiry_date} is too soon: a root CA must outlive the certificates it signs (at least ${Math.round((2 * durations.leafCertificateLifetimeMs) / 86_400_000)} days from now)`, 'expiry_date');
    }
    if (input.subject !== undefined && !/^(?:[A-Za-z]+=[^,=]+)(?:, ?[A-Za-z]+=[^,=]+)*$/.test(input.subject)) throw new InputError(`not a distinguished name: ${input.subject} (e.g. "CN=fleet root CA 2027, O=Example")`, 'subject');
    return { ...(input.subject ? { subject: input.subject } : {}), ...(notAfter !== undefined ? { not_after: notAfter } : {}) };
  }

  /** Apply: the new root is made (or kept, from an earlier ca-update that did not finish), and every step starts phase 1. */
  async begin(options: { subject?: string; notAfter?: number }, now: number): Promise<void> {
    await this.deps.pki.beginRotation(options);
    const phase = this.deps.pki.rotationState!.phase;
    await this.moveTo(phase);
    await this.deps.db.updateTable('fleet_strategy_steps').set({ state: CA_UPDATE_STEP.trustBoth, details: 'handing out both root CAs', started_at: now, updated_at: now }).execute();
  }

  private async moveTo(phase: RotationPhase): Promise<void> {
    if (this.deps.pki.rotationState?.phase !== phase) await this.deps.pki.setRotationPhase(phase);
    // The API certificate follows the signing CA; its chain follows the phase.
    await this.deps.pki.renewServerCertificateIfDue();
    this.deps.useServerTls();
  }

  /** One pass: moves steps by what their subclouds showed, and the fleet to the next phase when it may. */
  async tick(stopOnFailure: boolean, now: number): Promise<CaUpdateOutcome> {
    const rotation = this.deps.pki.rotationState;
    if (!rotation) return { done: true, state: 'failed', reason: 'the rotation is no longer under way (the new root CA is gone)' };
    const both = this.deps.renewal.tokenOf([rotation.old.pem, rotation.next.pem]);
    const newOnly = this.deps.renewal.tokenOf([rotation.next.pem]);
    const steps = await this.deps.db
      .selectFrom('fleet_strategy_steps as f')
      .innerJoin('subclouds as s', 's.id', 'f.subcloud_id')
      .select(['f.subcloud_id', 'f.subcloud_name', 'f.state', 's.availability_status'])
      .execute();
    const moves: Array<{ id: number; state: string; details: string; done?: boolean }> = [];
    for (const step of steps) {
      const seen = this.deps.renewal.seen.get(subcloudPrincipal(step.subcloud_name)) ?? {};
      const renewed = step.state === CA_UPDATE_STEP.certs && seen.issuer === rotation.next.fingerprint && !(await this.deps.renewal.caDue(step.subcloud_name));
      const next = this.stepAfter(rotation.phase, step.state, { trustsBoth: seen.trust === both, trustsNew: seen.trust === newOnly, renewed });
      if (next && next.state !== step.state) moves.push({ id: step.subcloud_id, ...next });
    }
    for (const m of moves) {
      await this.deps.db
        .updateTable('fleet_strategy_steps')
        .set({ state: m.state, details: m.details, updated_at: now, ...(m.done ? { finished_at: now } : {}) })
        .where('subcloud_id', '=', m.id)
        .execute();
    }
    const after = new Map(steps.map((s) => [s.subcloud_id, { ...s, state: moves.find((m) => m.id === s.subcloud_id)?.state ?? s.state }]));
    const all = [...after.values()];
    const failed = all.filter((s) => s.state === 'failed').length;
    if (rotation.phase === 'trust-both') {
      const waiting = all.some((s) => s.state === CA_UPDATE_STEP.trustBoth && s.availability_status === 'online');
      if (!waiting) {
        await this.moveTo('update-certs');
        await this.setAll(CA_UPDATE_STEP.trustBothDone, CA_UPDATE_STEP.certs, 'renewing under the new root CA', now);
      }
      return { done: false };
    }
    if (rotation.phase === 'update-certs') {
      if (all.some((s) => s.state !== CA_UPDATE_STEP.certsDone && s.state !== 'failed')) return { done: false };
      if (failed && stopOnFailure) return { done: true, state: 'failed', reason: `${failed} subcloud(s) did not renew under the new root CA: stop-on-failure; both root CAs stay trusted, so every subcloud can still report` };
      await this.moveTo('trust-new');
      await this.setAll(CA_UPDATE_STEP.certsDone, CA_UPDATE_STEP.trustNew, 'handing out the new root CA alone', now);
      return { done: false };
    }
    if (all.some((s) => s.state !== 'complete' && s.state !== 'failed')) return { done: false };
    await this.deps.pki.finishRotation();
    this.deps.useServerTls();
    return failed
      ? { done: true, state: 'failed', reason: `the fleet root CA is rotated; ${failed} subcloud(s) did not take it and hold certificates of the old root: give each a new enroll token ("starling subcloud enroll-token NAME") and enroll it again` }
      : { done: true, state: 'complete', reason: '' };
  }

  /** A step's next state in this phase, from what its subcloud showed. */
  private stepAfter(phase: RotationPhase, state: string, facts: { trustsBoth: boolean; trustsNew: boolean; renewed: boolean }): { state: string; details: string; done?: boolean } | undefined {
    const s = CA_UPDATE_STEP;
    if (state === s.trustBoth && (facts.trustsBoth || facts.trustsNew)) {
      return phase === 'trust-both' ? { state: s.trustBothDone, details: 'trusts both root CAs' } : { state: s.certs, details: 'trusts both root CAs; renewing under the new root CA' };
    }
    if (state === s.certs && facts.renewed) return phase === 'trust-new' ? { state: s.trustNew, details: 'renewed; handing out the new root CA alone' } : { state: s.certsDone, details: 'its client certificate and intermediate CA are from the new root CA' };
    if (state === s.trustNew && facts.trustsNew) return { state: 'complete', details: 'trusts the new root CA alone', done: true };
    return undefined;
  }

  private async setAll(from: string, to: string, details: string, now: number): Promise<void> {
    await this.deps.db.updateTable('fleet_strategy_steps').set({ state: to, details, updated_at: now }).where('state', '=', from).execute();
  }

  /** Abort: phase 1 drops the new root; later phases keep both roots trusted. Returns the reason to show. */
  async abort(): Promise<string> {
    const phase = this.deps.pki.rotationState?.phase;
    await this.deps.pki.abortRotation();
    this.deps.useServerTls();
    if (!phase) return 'aborted';
    return phase === 'trust-both'
      ? 'aborted while handing out both root CAs: the new root CA is dropped, the old one stays the fleet root'
      : 'aborted after the new root CA began signing: both root CAs stay trusted (subclouds hold certificates of each) until a new ca-update finishes the rotation';
  }

  /** Steps for every enrolled subcloud (one offline keeps its step and catches up when it returns). */
  async targets(): Promise<Array<{ id: number; name: string }>> {
    const rows = await this.deps.db
      .selectFrom('subclouds')
      .select(['id', 'name'])
      .where('credential_hash', 'is not', null)
      .where('deploy_status', '!=', 'secondary')
      .orderBy('name')
      .execute();
    return rows;
  }

  /** The rotation under way, if any. */
  rotation(): PlatformPki['rotationState'] {
    return this.deps.pki.rotationState;
  }

  /** Counts of steps per state (for tests and the view). */
  async counts(): Promise<Record<string, number>> {
    const rows = await this.deps.db.selectFrom('fleet_strategy_steps').select(['state', sql<number>`count(*)`.as('n')]).groupBy('state').execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }
}

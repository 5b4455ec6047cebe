/**
 * Why a fleet strategy step failed: the cause codes a subcloud reports
 * (site-job.ts, sim-job.ts) or the system controller finds (offline,
 * timeout), each with what it means and the repair an operator would try.
 * A failed step records its cause with the evidence; `fleet-strategy show`
 * groups the failures by cause, and the subcloud's error log (`subcloud
 * errors`) keeps it as `orchestration:<cause>`.
 */
import { NAME_PLACEHOLDER } from '../subclouds/subcloud-errors.js';

export interface CauseText {
  what: string;
  repair: string;
}

const n = NAME_PLACEHOLDER;

export const CAUSES: Record<string, CauseText> = {
  offline: { what: 'the subcloud was offline when its step was due', repair: `restore the link to ${n}; create the strategy again to include it` },
  'not-managed': { what: 'the subcloud was unmanaged when its step was due', repair: `"starling subcloud manage ${n}", then create the strategy again` },
  'step-timeout': { what: 'the subcloud did not finish its step in time', repair: `look at ${n}'s site strategy ("starling strategy show --details" on the subcloud) and its link` },
  'alarms-blocking': { what: 'alarms on the subcloud block its site strategy', repair: `clear the alarms named in the evidence on ${n}, or create the fleet strategy with --alarm-restrictions relaxed` },
  'precheck-failed': { what: 'the deploy precheck failed on the subcloud', repair: `fix the findings in the evidence on ${n} ("starling software deploy precheck RELEASE" there), then retry` },
  'deploy-start-failed': { what: 'the deploy could not start on the subcloud', repair: `"starling software deploy show" on ${n}; abort and delete a leftover deploy, then retry` },
  'host-lock-failed': { what: 'a host could not be locked for the deploy', repair: `check the host's state on ${n} (another host may be locked or the host busy)` },
  'host-deploy-failed': { what: 'the release failed on a host (it was rolled back to the previous deployment)', repair: `read the host's error on ${n} ("starling software deploy host-list"); fix the release or the host, then create the strategy again` },
  'host-unlock-failed': { what: 'a host could not be unlocked after the deploy', repair: `unlock the host on ${n} by hand and look at its maintenance state` },
  'hosts-not-available': { what: 'hosts did not become available after the deploy', repair: `look at the hosts' availability on ${n} and their agents` },
  'activate-failed': { what: 'the deploy could not be activated or completed', repair: `"starling software deploy show" on ${n}; activate-rollback if needed` },
  'deploy-delete-failed': { what: 'the finished deploy could not be deleted', repair: `"starling software deploy delete" on ${n}` },
  'site-step-timeout': { what: "a step of the subcloud's site strategy timed out", repair: `look at the step named in the evidence on ${n}` },
  'strategy-busy': { what: 'another site strategy was applying on the subcloud', repair: `let it finish or abort it on ${n}, delete it, then retry` },
  'strategy-build-failed': { what: 'the site strategy could not be built', repair: `the evidence says why; fix it on ${n} and retry` },
  'strategy-deleted': { what: 'the site strategy was deleted while it applied', repair: 'create the fleet strategy again' },
  'strategy-aborted': { what: 'the site strategy was aborted on the subcloud', repair: 'create the fleet strategy again when ready' },
  'strategy-failed': { what: 'the site strategy failed', repair: `"starling strategy show --details" on ${n}` },
  'release-untrusted': { what: 'the subcloud does not trust the key that signed the release', repair: `check the platform sync of ${n} (its trusted keys come from the system controller's "software trust")` },
  'content-corrupt': { what: 'release content arrived damaged (digest mismatch) and was discarded', repair: 'retry; if it recurs, check the release on the system controller and the link' },
  'fetch-refused': { what: 'the system controller refused the release content', repair: 'check that the release is still on the system controller' },
  'prestage-failed': { what: 'the release could not be fetched to the subcloud', repair: `look at the evidence; check ${n}'s disk space and link` },
};

/**
 * What would unblock alarms, by the restrictions the strategy already had:
 * offering "relaxed" to a relaxed strategy sent operators round in a circle.
 * Relaxed still stops on management-affecting alarms; permissive on none.
 */
const ALARMS_REPAIR: Record<string, string> = {
  strict: CAUSES['alarms-blocking']!.repair,
  relaxed: `clear the management-affecting alarms named in the evidence on ${n} (relaxed already ignores the others), or create the fleet strategy with --alarm-restrictions permissive`,
  permissive: `the strategy was permissive, so no alarm should block it: read the evidence on ${n}`,
};

/** A cause's text; `alarmRestrictions` (the strategy's) tailors the repair for alarms-blocking. */
export const causeText = (code: string, alarmRestrictions?: string): CauseText => {
  const text = CAUSES[code] ?? { what: `the step failed (${code})`, repair: 'read the evidence' };
  const repair = code === 'alarms-blocking' && alarmRestrictions ? ALARMS_REPAIR[alarmRestrictions] : undefined;
  return repair ? { ...text, repair } : text;
};

/** What `certificate list | show` print (StarlingX's fields: residual time, issue and expiry dates, issuer, subject, renewal). */
import type { CertificateRow } from '../../db/schema.js';
import { CA_TYPES, type CertificateType, type RenewalMode } from './certificate.types.js';

/** `valid`, `expiring-soon` (inside its alarm window: 500.200) or `expired` (500.210). */
export type CertificateState = 'valid' | 'expiring-soon' | 'expired';

export interface CertificateView {
  id: string;
  name: string;
  type: CertificateType;
  renewal: RenewalMode;
  state: CertificateState;
  /** Time left, as StarlingX prints it ("364d 23h"; "expired" once past). */
  residual_time: string;
  issue_date: string;
  expiry_date: string;
  subject: string;
  issuer: string;
  sans: string[];
  fingerprint: string;
  owner: string | null;
}

export interface CertificateDetail extends CertificateView {
  /** The certificate and its chain (PEM); never a private key. */
  pem: string;
}

export interface AlarmWindows {
  /** Leaf certificates: raise 500.200 this long before expiry. */
  leafMs: number;
  /** CAs (StarlingX's alarm-before for CAs is 180 days). */
  caMs: number;
}

const DAY_MS = 86_400_000;

/** The windows for a leaf alarm-before setting in days (certificateAlarmBeforeDays); CAs by durations.caAlarmBeforeMs. */
export const alarmWindows = (leafDays: number, caMs: number): AlarmWindows => ({ leafMs: leafDays * DAY_MS, caMs });

export const alarmWindowOf = (type: string, windows: AlarmWindows): number => ((CA_TYPES as readonly string[]).includes(type) ? windows.caMs : windows.leafMs);

export function stateOf(row: Pick<CertificateRow, 'type' | 'not_after'>, now: number, windows: AlarmWindows): CertificateState {
  if (row.not_after <= now) return 'expired';
  return row.not_after - now <= alarmWindowOf(row.type, windows) ? 'expiring-soon' : 'valid';
}

export function residualTime(notAfter: number, now: number): string {
  const left = notAfter - now;
  if (left <= 0) return 'expired';
  const days = Math.floor(left / DAY_MS);
  const hours = Math.floor((left % DAY_MS) / 3_600_000);
  return days > 0 ? `${days}d ${hours}h` : `${hours}h ${Math.floor((left % 3_600_000) / 60_000)}m`;
}

export function toCertificateView(row: CertificateRow, now: number, windows: AlarmWindows): CertificateView {
  return {
    id: row.id,
    name: row.name,
    type: row.type as CertificateType,
    renewal: row.renewal as RenewalMode,
    state: stateOf(row, now, windows),
    residual_time: residualTime(row.not_after, now),
    issue_date: new Date(row.not_before).toISOString(),
    expiry_date: new Date(row.not_after).toISOString(),
    subject: row.subject,
    issuer: row.issuer,
    sans: JSON.parse(row.sans) as string[],
    fingerprint: row.fingerprint,
    owner: row.owner,
  };
}

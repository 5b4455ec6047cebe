/**
 * The alarm catalogue's shape and the rules that use it. The definitions
 * themselves are data, in `catalogue-data.ts`, after StarlingX fm's
 * events.yaml.
 */
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 4, major: 3, minor: 2, warning: 1 };

export const ALARM_TYPES = [
  'communication',
  'environmental',
  'equipment',
  'integrity-violation',
  'operational',
  'processing-error',
  'qos',
  'security-service-or-mechanism-violation',
  'time-domain-violation',
] as const;
export type AlarmType = (typeof ALARM_TYPES)[number];

/**
 * - `alarm`: raised and cleared; at most one active per entity.
 * - `log`: a customer log, written to the event log only.
 */
export type DefinitionKind = 'alarm' | 'log';

export interface AlarmDefinition {
  /** `GGG.NNN`. */
  alarmId: string;
  kind: DefinitionKind;
  /** What the alarm means, in a line. */
  description: string;
  /** The entity type recorded with the alarm (`host`, `host.filesystem` ...). */
  entityTypeId: string;
  /** The form its entity instance id takes, for operators (`host=<hostname>.filesystem=<mount>`). */
  entityInstanceIdFormat: string;
  /** Severities it may be raised with. */
  severities: readonly Severity[];
  alarmType: AlarmType;
  probableCause: string;
  proposedRepairAction: string;
  /** What maintenance does about it (degrade, auto-recover ...), if anything. */
  maintenanceAction: string;
  serviceAffecting: boolean;
  /** Whether operators may suppress it. */
  suppressible: boolean;
  /** The lowest severity at which it blocks management actions (`none`: never). */
  mgmtAffectingSeverity: Severity | 'none';
  /** The lowest severity at which it degrades its host (`none`: never). */
  degradeAffectingSeverity: Severity | 'none';
}

export function atLeast(severity: Severity, threshold: Severity | 'none'): boolean {
  return threshold !== 'none' && SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}

export interface Catalogue {
  get(alarmId: string): AlarmDefinition | undefined;
  all(): readonly AlarmDefinition[];
}

export function buildCatalogue(definitions: readonly AlarmDefinition[]): Catalogue {
  const byId = new Map<string, AlarmDefinition>();
  for (const d of definitions) {
    if (!/^\d{3}\.\d{3}$/.test(d.alarmId)) throw new Error(`catalogue: bad alarm id ${d.alarmId}`);
    if (byId.has(d.alarmId)) throw new Error(`catalogue: duplicate alarm id ${d.alarmId}`);
    if (d.severities.length === 0) throw new Error(`catalogue: ${d.alarmId} allows no severity`);
    byId.set(d.alarmId, Object.freeze(d));
  }
  const sorted = [...byId.values()].sort((a, b) => a.alarmId.localeCompare(b.alarmId));
  return { get: (id) => byId.get(id), all: () => sorted };
}

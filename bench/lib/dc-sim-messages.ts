/** The messages between the dc bench and its simulator children (dc-sim.mjs). */
export type ToSim =
  | { type: 'prepare'; controller: string; token: string; ca?: string; count: number; prefix: string; seed: string; profile: string; deployMs?: number; alarmChurnPerHour?: number; group?: string; concurrency?: number }
  | { type: 'start' }
  | { type: 'cut'; count: number }
  | { type: 'restore' }
  | { type: 'laggards' }
  | { type: 'stop' };
export type FromSim =
  | { type: 'prepared'; added: number; failed: number; ms: number; firstFailure?: string }
  | { type: 'started'; started: number; failed: number; ms: number; firstFailure?: string }
  | { type: 'cut'; names: string[] }
  | { type: 'restored' }
  | { type: 'laggards'; count: number; reasons: Array<{ reason: string; count: number }> }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

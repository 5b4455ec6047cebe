/** Tile colours by worst state (the same order as the API's `states`). */
export const STATE_COLORS: Record<string, string> = {
  offline: '#1f2937',
  critical: '#dc2626',
  major: '#ea580c',
  deploying: '#2563eb',
  'out-of-sync': '#ca8a04',
  OK: '#16a34a',
};

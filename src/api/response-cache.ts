/**
 * Rendered JSON pages, kept while the data they were rendered from has not
 * changed. Pollers (dashboards, scripts, `alarm list --watch`) repeat the
 * same few queries far more often than alarms change; a version bump on
 * every committed change empties the cache, so a hit is never stale within
 * this process.
 */
export class ResponseCache {
  private version = -1;
  private readonly entries = new Map<string, string>();

  constructor(private readonly maxEntries = 256) {}

  get(version: number, key: string): string | undefined {
    if (version !== this.version) return undefined;
    return this.entries.get(key);
  }

  set(version: number, key: string, body: string): void {
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, body);
  }
}

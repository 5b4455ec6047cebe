/**
 * The agent's state folder (mode 0700): its credential, the configuration it
 * last applied, and its operation queue, each a file of mode 0600 written
 * atomically (write, then rename).
 */
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { writeDurably } from '../core/durable-file.js';
import { join } from 'node:path';
import type { ClientTls } from '../pki/client-tls.js';
import type { PendingRenewal } from '../pki/client-renewal.js';

export interface Credential {
  controller: string;
  hostname: string;
  host_id: string;
  credential: string;
  /** The site controller's CA pinned at enrollment, the agent's client certificate and key (mutual TLS); absent over plain HTTP. */
  tls?: ClientTls;
  /** A certificate renewal request sent and not yet answered (its new key stays here). */
  renewal?: PendingRenewal;
}

export interface AppliedState {
  generation: number;
  config_token: string | null;
  completed_actions: string[];
}

export class StateDir {
  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  read<T>(name: string): T | undefined {
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  write(name: string, value: unknown): void {
    writeDurably(this.file(name), JSON.stringify(value, null, 2) + '\n');
  }
}

/**
 * A child's watch on its parent's certificate: when an exchange fails because
 * the parent's certificate does not chain to the CA pinned at enrollment
 * (someone else answers at that address), say so once per episode and tell
 * the hooks; when an exchange succeeds again, say that once too.
 */
import type { Logger } from '../core/logging.js';
import { certificateRefusalOf } from './verify-errors.js';

export interface TrustHooks {
  refused?(parent: string, code: string): Promise<void>;
  restored?(parent: string): Promise<void>;
}

export class TrustWatch {
  private refusedAt: string | undefined;

  constructor(
    private readonly what: string,
    private readonly log: Logger,
    private readonly hooks: TrustHooks = {},
  ) {}

  /** After a failed exchange with `parent`. */
  failed(parent: string, err: unknown): void {
    const code = certificateRefusalOf(err);
    if (!code || this.refusedAt === parent) return;
    this.refusedAt = parent;
    this.log.error(
      { [this.what.replace(/ /g, '_')]: parent, code },
      `the ${this.what} at ${parent} presented a certificate that does not chain to the CA pinned at enrollment (${code}): refusing it; nothing is sent to it or applied from it; retrying`,
    );
    void this.hooks.refused?.(parent, code).catch((e: unknown) => this.log.error({ err: e }, 'could not record the refused certificate'));
  }

  /** After a good exchange. */
  succeeded(): void {
    const parent = this.refusedAt;
    if (!parent) return;
    this.refusedAt = undefined;
    this.log.info({ [this.what.replace(/ /g, '_')]: parent }, `the ${this.what}'s certificate chains to the pinned CA again`);
    void this.hooks.restored?.(parent).catch((e: unknown) => this.log.error({ err: e }, 'could not record the trusted certificate'));
  }
}

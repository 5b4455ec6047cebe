/**
 * Who is calling. Two kinds of bearer token:
 * - session tokens from `login`: HS256 JWTs (jose) naming the user and their
 *   token version, expiring after `durations.sessionTokenTtlMs`;
 * - API tokens for scripts (`stk_...`): random, stored only as sha256, with
 *   their own expiry, revocable.
 * Either way the user is re-read (through a short cache) so that deletion,
 * demotion and password changes take effect. A session ended by logout is
 * remembered by its hash until it would have expired (`ended_sessions`).
 * Listeners (open event streams) are told of every change here, so a stream
 * opened with a token that no longer holds ends at once.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { bearerToken } from '../../core/bearer.js';
import { durations } from '../../core/durations.js';
import { InputError, NotFoundError, UnauthenticatedError } from '../../core/errors.js';
import { newUuid, randomSecret, sha256Hex } from '../../core/ids.js';
import type { Schema, UserRow } from '../../db/schema.js';
import type { CallerRole, Role } from '../users/roles.js';
import { getUserById } from '../users/user.store.js';
import type { UserService } from '../users/user.service.js';
import type { LoginLimiter } from './login-limiter.js';
import { hostPrincipal, subcloudPrincipal } from '../../protocol/principals.js';

export interface Principal {
  /** The user's id, or for an agent its host's id. */
  userId: string;
  /** The user name, or `host:<hostname>` for an agent. */
  name: string;
  role: CallerRole;
  via: 'session' | 'api-token' | 'agent-credential' | 'subcloud-credential';
}

/** The principal of a user-only route (its declared roles exclude agents). */
export function asUser(principal: Principal | null): Principal & { role: Role } {
  if (!principal || principal.role === 'agent') throw new UnauthenticatedError('this route is for users, not agents');
  return principal as Principal & { role: Role };
}

/** Resolves a host agent's credential (by its sha256) to its host. */
export type AgentCredentialLookup = (credentialHash: string) => Promise<{ hostId: string; hostname: string } | undefined>;
/** Resolves a subcloud's credential (by its sha256) to the subcloud. */
export type SubcloudCredentialLookup = (credentialHash: string) => Promise<{ id: number; name: string } | undefined>;

const AGENT_PREFIX = 'sta_';
const SUBCLOUD_PREFIX = 'stsc_';

export interface ApiTokenView {
  id: string;
  name: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
}

const API_TOKEN_PREFIX = 'stk_';
const ISSUER = 'starling';
const iso = (ms: number) => new Date(ms).toISOString();

export interface AuthServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  users: UserService;
  limiter: LoginLimiter;
  /** HMAC key for session tokens; shared by replicas through the settings table. */
  signingKey: Uint8Array;
  /** Host agent credentials; without it agents cannot authenticate. */
  agentCredentials?: AgentCredentialLookup;
  /** Subcloud credentials (system controller only). */
  subcloudCredentials?: SubcloudCredentialLookup;
}

/** Verified session tokens remembered per process (their claims and expiry). */
const VERIFIED_CACHE_SIZE = 10_000;

interface VerifiedSession {
  sub: string;
  tv: unknown;
  expMs: number;
  /** When `ended_sessions` was last read for it (0: never): as the user row, at most once per cache TTL. */
  endedCheckedAt: number;
  ended: boolean;
}

interface Cached<T> {
  value: T;
  at: number;
}

/**
 * How long a subcloud credential lookup is trusted, and how many are kept
 * (one per subcloud). Longer than three report intervals, so a subcloud's
 * long polls (one every 20 s) mostly hit: at 5 s every one of them missed,
 * one query per report. Within this process any credential change clears
 * the cache at once; the time bounds only a change made by another process
 * on the same database.
 */
const SUBCLOUD_CACHE_MS = 60_000;
const SUBCLOUD_CACHE_MAX = 50_000;

export class AuthService {
  private readonly userCache = new Map<string, Cached<UserRow | undefined>>();
  private readonly tokenCache = new Map<string, Cached<{ id: string; userId: string; expiresAt: number; lastUsedAt: number | null } | undefined>>();
  /**
   * Tokens whose signature was already checked. Verifying an HMAC through
   * WebCrypto on every request was 44% of the server's CPU on cached list
   * pages (bench/fm); expiry and the user's token version are still checked
   * on every request.
   */
  private readonly verified = new Map<string, VerifiedSession>();
  private readonly listeners = new Set<() => void>();
  private readonly key: KeyObject;

  constructor(private readonly deps: AuthServiceDeps) {
    // A KeyObject is imported once; a raw byte key is re-imported by jose on every call.
    this.key = createSecretKey(Buffer.from(deps.signingKey));
  }

  /** Forget cached state for a user (called when the user changes). */
  invalidateUser(userId: string): void {
    this.userCache.delete(userId);
    this.changed();
  }

  /** `listener` runs after any change to who may call (a user, an API token, a session); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /**
   * Subcloud credentials seen lately: at 10,000 subclouds the lookup was half
   * of the system controller's queries. Entries live a minute and are
   * dropped when any subcloud's credential changes (enroll, delete, rehome)
   * on this process; another replica's change is seen within the TTL.
   */
  private readonly subcloudCache = new Map<string, { id: number; name: string; at: number }>();

  invalidateSubclouds(): void {
    this.subcloudCache.clear();
  }

  /** A credential just issued at enrollment: its first report (10,000 of them when a fleet enrolls) needs no lookup. */
  rememberSubcloud(hash: string, subcloud: { id: number; name: string }): void {
    if (this.subcloudCache.size >= SUBCLOUD_CACHE_MAX) this.subcloudCache.clear();
    this.subcloudCache.set(hash, { ...subcloud, at: this.deps.clock.now() });
  }

  private async subcloudFor(hash: string): Promise<{ id: number; name: string } | undefined> {
    const now = this.deps.clock.now();
    const hit = this.subcloudCache.get(hash);
    if (hit && now - hit.at < SUBCLOUD_CACHE_MS) return hit;
    const found = await this.deps.subcloudCredentials?.(hash);
    if (found) {
      if (this.subcloudCache.size >= SUBCLOUD_CACHE_MAX) this.subcloudCache.clear();
      this.subcloudCache.set(hash, { id: found.id, name: found.name, at: now });
    } else this.subcloudCache.delete(hash);
    return found;
  }

  async login(name: string, password: string, address: string): Promise<{ token: string; expires_at: string; user: { name: string; role: Role } }> {
    const delayMs = this.deps.limiter.check(name, address);
    // Guessed at from many addresses: every attempt for this user waits (the password is not even checked before).
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const user = await this.deps.users.checkPassword(name, password);
    if (!user) {
      this.deps.limiter.fail(name, address);
      throw new UnauthenticatedError('wrong user name or password');
    }
    this.deps.limiter.succeed(name, address);
    const now = this.deps.clock.now();
    const expiresAt = now + durations.sessionTokenTtlMs;
    const token = await new SignJWT({ tv: user.token_version })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      // Unique per login: two logins of one user in the same second would otherwise be the same token, and one logout would end both.
      .setJti(newUuid())
      .setIssuer(ISSUER)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(this.key);
    return { token, expires_at: iso(expiresAt), user: { name: user.name, role: user.role as Role } };
  }

  private async cachedUser(userId: string): Promise<UserRow | undefined> {
    const now = this.deps.clock.now();
    const hit = this.userCache.get(userId);
    if (hit && now - hit.at < durations.authCacheTtlMs) return hit.value;
    const value = await getUserById(this.deps.db, userId);
    this.userCache.set(userId, { value, at: now });
    return value;
  }

  /** Resolves `Authorization: Bearer ...` to a principal, or throws UnauthenticatedError. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw new UnauthenticatedError('authentication required: send "Authorization: Bearer <token>" (starling login)');
    const token = bearerToken(header);
    if (!token) throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"');
    if (token.startsWith(AGENT_PREFIX)) return this.fromAgentCredential(token);
    if (token.startsWith(SUBCLOUD_PREFIX)) {
      const subcloud = await this.subcloudFor(sha256Hex(token));
      if (!subcloud) throw new UnauthenticatedError('unknown subcloud credential (deleted, rehomed or re-enrolled); enroll again with a new token');
      return { userId: String(subcloud.id), name: subcloudPrincipal(subcloud.name), role: 'subcloud', via: 'subcloud-credential' };
    }
    return token.startsWith(API_TOKEN_PREFIX) ? this.fromApiToken(token) : this.fromSession(token);
  }

  private async fromAgentCredential(token: string): Promise<Principal> {
    const host = await this.deps.agentCredentials?.(sha256Hex(token));
    if (!host) throw new UnauthenticatedError('unknown agent credential (host deleted or re-enrolled); enroll again with a new token');
    return { userId: host.hostId, name: hostPrincipal(host.hostname), role: 'agent', via: 'agent-credential' };
  }

  private async fromSession(token: string): Promise<Principal> {
    const now = this.deps.clock.now();
    let claims = this.verified.get(token);
    if (!claims) {
      try {
        const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'], currentDate: new Date(now) });
        claims = { sub: payload.sub ?? '', tv: payload.tv, expMs: (payload.exp ?? 0) * 1000, endedCheckedAt: 0, ended: false };
      } catch {
        throw new UnauthenticatedError('the session token is invalid or has expired; log in again');
      }
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    if (claims.expMs <= now) {
      this.verified.delete(token);
      throw new UnauthenticatedError('the session token is invalid or has expired; log in again');
    }
    if (!claims.ended && now - claims.endedCheckedAt >= durations.authCacheTtlMs) {
      const row = await this.deps.db.selectFrom('ended_sessions').select('token_hash').where('token_hash', '=', sha256Hex(token)).executeTakeFirst();
      claims.ended = row !== undefined;
      claims.endedCheckedAt = now;
    }
    if (claims.ended) throw new UnauthenticatedError('the session was ended by logout; log in again');
    const user = claims.sub ? await this.cachedUser(claims.sub) : undefined;
    if (!user || user.token_version !== claims.tv) throw new UnauthenticatedError('the session has ended (user changed or removed); log in again');
    return { userId: user.id, name: user.name, role: user.role as Role, via: 'session' };
  }

  /**
   * Ends the session of this (already authenticated) token for good, on
   * every replica: remembered by hash until it would have expired. Streams
   * opened with it end too.
   */
  async logout(principal: Principal, header: string | undefined): Promise<void> {
    const token = bearerToken(header);
    const claims = token === undefined ? undefined : this.verified.get(token);
    if (principal.via !== 'session' || !token || !claims) {
      throw new InputError('authorization: logout ends a session token from login; an API token is revoked instead (starling token revoke ID)', 'authorization');
    }
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('ended_sessions').where('expires_at', '<=', now).execute();
      await trx
        .insertInto('ended_sessions')
        .values({ token_hash: sha256Hex(token), user_id: principal.userId, ended_at: now, expires_at: claims.expMs })
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .execute();
    });
    claims.ended = true;
    this.changed();
  }

  private async fromApiToken(token: string): Promise<Principal> {
    const hash = sha256Hex(token);
    const now = this.deps.clock.now();
    let hit = this.tokenCache.get(hash);
    if (!hit || now - hit.at >= durations.authCacheTtlMs) {
      const row = await this.deps.db
        .selectFrom('api_tokens')
        .select(['id', 'user_id', 'expires_at', 'last_used_at'])
        .where('token_hash', '=', hash)
        .executeTakeFirst();
      // Misses are not cached: anyone can send made-up tokens, and each would stay in memory.
      if (!row) throw new UnauthenticatedError('unknown or revoked API token');
      hit = { value: { id: row.id, userId: row.user_id, expiresAt: row.expires_at, lastUsedAt: row.last_used_at }, at: now };
      if (this.tokenCache.size >= VERIFIED_CACHE_SIZE) this.tokenCache.delete(this.tokenCache.keys().next().value!);
      this.tokenCache.set(hash, hit);
    }
    const entry = hit.value;
    if (!entry) throw new UnauthenticatedError('unknown or revoked API token');
    if (entry.expiresAt <= now) throw new UnauthenticatedError('the API token has expired; create a new one');
    const user = await this.cachedUser(entry.userId);
    if (!user) throw new UnauthenticatedError('the API token belongs to a user that no longer exists');
    // Record use at most once a minute per token, not on every request.
    if (entry.lastUsedAt === null || now - entry.lastUsedAt > 60_000) {
      entry.lastUsedAt = now;
      await this.deps.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', entry.id).execute();
    }
    return { userId: user.id, name: user.name, role: user.role as Role, via: 'api-token' };
  }

  /** Creates an API token for the caller; the token is returned once and never stored. */
  async createApiToken(principal: Principal, name: string, ttlDays: number | undefined): Promise<ApiTokenView & { token: string }> {
    const ttlMs = ttlDays === undefined ? durations.apiTokenDefaultTtlMs : ttlDays * 86_400_000;
    if (ttlMs > durations.apiTokenMaxTtlMs) throw new InputError('expires_in_days: at most 365', 'expires_in_days');
    const token = API_TOKEN_PREFIX + randomSecret(32);
    const now = this.deps.clock.now();
    const row = { id: newUuid(), user_id: principal.userId, name, token_hash: sha256Hex(token), created_at: now, expires_at: now + ttlMs, last_used_at: null };
    await this.deps.db.insertInto('api_tokens').values(row).execute();
    return { id: row.id, name, created_at: iso(now), expires_at: iso(row.expires_at), last_used_at: null, token };
  }

  async listApiTokens(principal: Principal): Promise<ApiTokenView[]> {
    const rows = await this.deps.db.selectFrom('api_tokens').selectAll().where('user_id', '=', principal.userId).orderBy('created_at').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      created_at: iso(r.created_at),
      expires_at: iso(r.expires_at),
      last_used_at: r.last_used_at === null ? null : iso(r.last_used_at),
    }));
  }

  async revokeApiToken(principal: Principal, id: string): Promise<void> {
    const row = await this.deps.db
      .deleteFrom('api_tokens')
      .where('id', '=', id)
      .where('user_id', '=', principal.userId)
      .returning('token_hash')
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`API token ${id} not found`, 'id');
    this.tokenCache.delete(row.token_hash);
    this.changed();
  }
}

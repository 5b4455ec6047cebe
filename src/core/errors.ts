/**
 * Typed domain errors. Domain code throws these and never knows about HTTP;
 * `src/api/error-handler.ts` is the one place that maps them to statuses.
 * Each carries a stable `code` that API clients and the CLI can rely on.
 */
export type ErrorCode =
  | 'invalid_input'
  | 'unauthenticated'
  | 'not_allowed'
  | 'not_found'
  | 'conflict'
  | 'too_many_requests'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'internal';

export abstract class StarlingError extends Error {
  abstract readonly code: ErrorCode;
  /** The input field the error is about, as a dotted path (`alarms[3].severity`). */
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    this.field = field;
  }
}

/** The caller sent something malformed or out of range. */
export class InputError extends StarlingError {
  readonly code = 'invalid_input';
}

/** No credentials, or credentials that are not (or no longer) valid. */
export class UnauthenticatedError extends StarlingError {
  readonly code = 'unauthenticated';
}

/** Authenticated, but the role or a guard forbids this action. */
export class NotAllowedError extends StarlingError {
  readonly code = 'not_allowed';
}

export class NotFoundError extends StarlingError {
  readonly code = 'not_found';
}

/** The request is well-formed but clashes with current state. */
export class ConflictError extends StarlingError {
  readonly code = 'conflict';
}

export class TooManyRequestsError extends StarlingError {
  readonly code = 'too_many_requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends StarlingError {
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends StarlingError {
  readonly code = 'unsupported_media_type';
}

/** A dependency (the database) is not reachable right now; retry later. */
export class UnavailableError extends StarlingError {
  readonly code = 'unavailable';
}

/** Configuration is invalid; raised at start-up, printed, and the process exits. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(`config ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

/**
 * The one place errors become HTTP responses. Every 4xx body is
 * `{ code, message, field? }` where `message` starts with the field when
 * there is one. Anything unexpected is logged and answered with a bare 500:
 * no stack, no SQL, no secrets in the body.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StarlingError, TooManyRequestsError, type ErrorCode } from '../core/errors.js';
import { describeValidationError } from './validation.js';

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  not_allowed: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
};

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  field?: string;
}

/** Fastify's own client errors, in our vocabulary. */
function fromFastify(error: FastifyError): { status: number; body: ErrorBody } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { code: 'payload_too_large', message: 'body: is larger than the limit (1 MiB unless configured otherwise)', field: 'body' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { code: 'unsupported_media_type', message: 'body: send JSON with "Content-Type: application/json"', field: 'body' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { code: 'invalid_input', message: 'body: is empty but Content-Type says JSON', field: 'body' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { code: 'invalid_input', message: `body: is not valid JSON (${error.message})`, field: 'body' } };
    default:
      break;
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return { status: 400, body: { code: 'invalid_input', message: `body: is not valid JSON (${error.message})`, field: 'body' } };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, body: { code: error.statusCode === 404 ? 'not_found' : 'invalid_input', message: error.message } };
  }
  return undefined;
}

/**
 * Errors Fastify meets before routing (a malformed percent-encoding, a path
 * segment longer than the router allows), in the documented shape instead
 * of Fastify's own. Passed as the `frameworkErrors` option.
 */
export function frameworkErrors(audit: (request: FastifyRequest, status: number) => Promise<void>) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
    const status = tooLong ? 414 : error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
    const message = tooLong ? `path: a segment is longer than ${MAX_PARAM_LENGTH} characters` : 'path: is not a valid URL (a malformed percent-encoding?)';
    // These responses skip the route hooks, so the audit row is written here, before the reply.
    void audit(request, status).finally(() => reply.status(status).send({ code: 'invalid_input', message, field: 'path' } satisfies ErrorBody));
  };
}

/** The longest path parameter the router accepts. */
export const MAX_PARAM_LENGTH = 256;

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation?.length) {
      const { field, reason } = describeValidationError(error.validation[0] as never, error.validationContext);
      return reply.status(400).send({ code: 'invalid_input', message: `${field}: ${reason}`, field } satisfies ErrorBody);
    }
    if (error instanceof StarlingError) {
      if (error instanceof TooManyRequestsError) reply.header('retry-after', String(error.retryAfterSeconds));
      const body: ErrorBody = { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
      return reply.status(STATUS[error.code]).send(body);
    }
    const mapped = fromFastify(error);
    if (mapped) return reply.status(mapped.status).send(mapped.body);
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ code: 'internal', message: 'internal error; the server log has the details' } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ErrorBody);
  });
}

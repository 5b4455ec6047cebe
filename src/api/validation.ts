/**
 * Request validation. Bodies are checked strictly (no type coercion: a
 * number where a string belongs is an error); query strings and path
 * parameters arrive as text and are coerced to the schema's types. Unknown
 * fields are errors everywhere (additionalProperties: false in the schemas,
 * and nothing is silently removed).
 */
import { Ajv, type ErrorObject } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { TEXT_PATTERN } from './schemas.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default: { default?: AddFormats } & AddFormats }).default.default ??
  (addFormatsModule as unknown as { default: AddFormats }).default) as AddFormats;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats(ajv);
  return ajv;
}

const strict = makeAjv(false);
const coercing = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** `/raise/3/severity` → `raise[3].severity`. */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

/** The field an ajv error is about, and why, in words an operator can act on. */
export function describeValidationError(error: ErrorObject, context: string | undefined): { field: string; reason: string } {
  const base = fieldPath(error.instancePath);
  const join = (name: string) => (base ? `${base}.${name}` : name);
  const where = context && context !== 'body' ? ` (in the ${context})` : '';
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String((error.params as { additionalProperty: string }).additionalProperty);
      return { field: join(name), reason: `is not a known field${where}` };
    }
    case 'required': {
      const name = String((error.params as { missingProperty: string }).missingProperty);
      return { field: join(name), reason: `is required${where}` };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return { field: base || context || 'input', reason: `must be one of: ${allowed.join(', ')}` };
    }
    case 'pattern':
      return { field: base || context || 'input', reason: (error.params as { pattern: string }).pattern === TEXT_PATTERN ? 'must not contain control characters' : `must match ${(error.params as { pattern: string }).pattern}` };
    case 'type':
      return { field: base || context || 'input', reason: `must be ${(error.params as { type: string }).type}` };
    default:
      return { field: base || context || 'input', reason: error.message ?? 'is invalid' };
  }
}

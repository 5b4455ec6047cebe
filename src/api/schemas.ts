/** Schema pieces shared by routes: errors, pages, safe text. */
import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Free text: no control characters but tab and newlines (PostgreSQL rejects
 * NUL outright; the others only ever come from garbage or attacks).
 */
export const TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';

export const Text = (options: { minLength?: number; maxLength: number; description?: string }) =>
  Type.String({ minLength: 1, ...options, pattern: TEXT_PATTERN });

/** A string enum as JSON Schema `enum`, which validates with a readable error. */
/** A string, or null. */
export const NullableString = (options: Parameters<typeof Type.String>[0] = {}) => Type.Union([Type.String(options), Type.Null()]);

export const StringEnum = <const T extends string>(values: readonly T[], options: { description?: string; default?: NoInfer<T> } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

export const ErrorSchema = Type.Object(
  {
    code: Type.String({ description: 'Stable machine-readable code (invalid_input, not_found, ...)' }),
    message: Type.String({ description: 'What went wrong, starting with the field when there is one' }),
    field: Type.Optional(Type.String({ description: 'The input field at fault, as a dotted path' })),
  },
  { title: 'Error' },
);

/** Response entries for the errors every authenticated route can give. */
export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
};

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Rows per page' }),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'next_cursor from the previous page' })),
};

export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as cursor for the next page; null on the last' }),
  });

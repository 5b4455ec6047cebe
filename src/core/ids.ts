import { createHash, randomBytes, randomUUID } from 'node:crypto';

export const newUuid = (): string => randomUUID();

/** A random secret as URL-safe text (`bytes` of entropy). */
export const randomSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** Hex sha256, used to store API tokens so that the database never holds one. */
export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The token of an `Authorization: Bearer <token>` header, or undefined when the header is absent or of another shape. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1];
}

/** PEM text without the X.509 library (the CLI and the agent read chains too). */

/** Every certificate in a PEM text, in order (leaf first for a chain). */
export function splitPemChain(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

/** The DER of the first PEM block in `text` (whatever its label); throws when there is none. */
export function pemToDer(text: string): Uint8Array {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]+?)-----END \1-----/.exec(text);
  if (!m) throw new Error('no PEM block');
  return new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
}

/** DER as a PEM block of that label, 64 characters a line, ending in a newline. */
export function pemBlock(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

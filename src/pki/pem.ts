/** PEM text without the X.509 library (the CLI and the agent read chains too). */

/** Every certificate in a PEM text, in order (leaf first for a chain). */
export function splitPemChain(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

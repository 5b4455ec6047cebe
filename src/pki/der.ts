/**
 * The two DER wrappers a signed certificate needs around its already
 * encoded parts: serializing the whole certificate through the schema again
 * would encode the signed part twice.
 */

/** A DER length: short form below 128, long form above. */
function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

const tlv = (tag: number, content: Uint8Array): Uint8Array => Buffer.concat([Uint8Array.of(tag), length(content.length), content]);

/** SEQUENCE of parts that are each DER already. */
export const derSequence = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, Buffer.concat(parts));

/** BIT STRING of whole bytes (no unused bits), as a signature value is. */
export const derBitString = (bytes: Uint8Array): Uint8Array => tlv(0x03, Buffer.concat([Uint8Array.of(0), bytes]));

/**
 * The few DER constructions a child's certificate request is made of
 * (csr-writer.ts: a host agent does without the ASN.1 library's resident
 * memory). Certificates are issued through the schema library (issue.ts).
 */

/** A DER length: short form below 128, long form above. */
function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One tag-length-value, of any tag. */
const tlv = (tag: number, content: Uint8Array): Uint8Array => Buffer.concat([Uint8Array.of(tag), length(content.length), content]);

/** SEQUENCE of parts that are each DER already. */
export const derSequence = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, Buffer.concat(parts));

/** BIT STRING of whole bytes (no unused bits), as a signature value is. */
export const derBitString = (bytes: Uint8Array): Uint8Array => tlv(0x03, Buffer.concat([Uint8Array.of(0), bytes]));

/** SET of parts that are each DER already. */
export const derSet = (...parts: Uint8Array[]): Uint8Array => tlv(0x31, Buffer.concat(parts));

/** UTF8String. */
export const derUtf8 = (text: string): Uint8Array => tlv(0x0c, Buffer.from(text, 'utf8'));

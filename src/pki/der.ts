/**
 * The few DER constructions Starling writes itself: a certificate's
 * to-be-signed part from its already encoded pieces (issue.ts; through the
 * schema library it was a quarter of a fleet enrollment's controller CPU),
 * the wrappers around it, and what a child's certificate request is made of
 * (csr-writer.ts).
 */

/** A DER length: short form below 128, long form above. */
function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One tag-length-value, of any tag. */
export const derTlv = (tag: number, content: Uint8Array): Uint8Array => Buffer.concat([Uint8Array.of(tag), length(content.length), content]);
const tlv = derTlv;

/** SEQUENCE of parts that are each DER already. */
export const derSequence = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, Buffer.concat(parts));

/** BIT STRING of whole bytes (no unused bits), as a signature value is. */
export const derBitString = (bytes: Uint8Array): Uint8Array => tlv(0x03, Buffer.concat([Uint8Array.of(0), bytes]));

/** SET of parts that are each DER already. */
export const derSet = (...parts: Uint8Array[]): Uint8Array => tlv(0x31, Buffer.concat(parts));

/** UTF8String. */
export const derUtf8 = (text: string): Uint8Array => tlv(0x0c, Buffer.from(text, 'utf8'));

/** OCTET STRING. */
export const derOctetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);

/** INTEGER from its big-endian bytes, which must already be minimal and positive (first byte below 0x80). */
export const derPositiveInteger = (bytes: Uint8Array): Uint8Array => tlv(0x02, bytes);

/**
 * A certificate validity time as RFC 5280 wants it: UTCTime (YYMMDDHHMMSSZ)
 * through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050; whole seconds.
 */
export function derTime(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

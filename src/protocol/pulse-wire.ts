/**
 * The host heartbeat: a UDP datagram from each agent to its site controller
 * every heartbeat period (100 ms by default, StarlingX's fastest setting),
 * separate from the report long poll, which is for desired state and bad
 * links, not for telling in a second that a host died.
 *
 * A pulse is 32 bytes: magic "SPL1", an 8-byte session, a 4-byte sequence
 * number, and the first 16 bytes of HMAC-SHA256 over those 16 bytes with the
 * session's key. The controller makes a session (id and key) for each agent
 * process and hands it over in a report reply, which runs over the agent's
 * (mutual) TLS connection: another host never learns the key, so it cannot
 * forge a pulse, and a key lives only as long as the controller process and
 * the agent process that share it, so a recorded pulse is worthless after
 * either restarts. Within a session the sequence must rise: a replayed pulse
 * is ignored.
 */
import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';

const MAGIC = Buffer.from('SPL1', 'ascii');
const SESSION_BYTES = 8;
const MAC_BYTES = 16;
const SIGNED_BYTES = MAGIC.length + SESSION_BYTES + 4;
export const PULSE_BYTES = SIGNED_BYTES + MAC_BYTES;

/** What a report reply gives an agent to pulse with. */
export const PulseSessionSchema = Type.Object(
  {
    session: Type.String({ pattern: '^[0-9a-f]{16}$', description: 'Sent in every pulse, and in reports so the controller knows the agent has it' }),
    key: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'HMAC-SHA256 key for this session (base64url, 32 bytes)' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: "UDP port on the controller's address" }),
    period_ms: Type.Integer({ minimum: 1, description: 'Send a pulse this often' }),
  },
  { additionalProperties: false },
);
export type PulseSession = Static<typeof PulseSessionSchema>;

export function newPulseCredentials(): { session: string; key: string } {
  return { session: randomBytes(SESSION_BYTES).toString('hex'), key: randomBytes(32).toString('base64url') };
}

/**
 * A session key made once into a KeyObject: handing createHmac the raw bytes
 * imports the key again for every pulse, at 10 pulses a second for the life
 * of the agent (and 5,000 a second on a 500-host controller).
 */
export const pulseKey = (base64url: string): KeyObject => createSecretKey(Buffer.from(base64url, 'base64url'));

const mac = (key: KeyObject, signed: Buffer) => createHmac('sha256', key).update(signed).digest().subarray(0, MAC_BYTES);

/**
 * Writes pulse `seq` of a session into `out` (a sender reuses one buffer for
 * all its pulses: the datagram is sent before the next is written) and
 * returns it.
 */
export function encodePulse(session: Buffer, seq: number, key: KeyObject, out: Buffer = Buffer.alloc(PULSE_BYTES)): Buffer {
  MAGIC.copy(out, 0);
  session.copy(out, MAGIC.length);
  out.writeUInt32BE(seq >>> 0, MAGIC.length + SESSION_BYTES);
  mac(key, out.subarray(0, SIGNED_BYTES)).copy(out, SIGNED_BYTES);
  return out;
}

/** The session (hex) and sequence of a well-formed datagram, not yet verified; undefined for anything else. */
export function readPulse(datagram: Buffer): { session: string; seq: number } | undefined {
  if (datagram.length !== PULSE_BYTES || !datagram.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  return {
    session: datagram.toString('hex', MAGIC.length, MAGIC.length + SESSION_BYTES),
    seq: datagram.readUInt32BE(MAGIC.length + SESSION_BYTES),
  };
}

/** Whether the datagram's MAC is the session key's. */
export function verifyPulse(datagram: Buffer, key: KeyObject): boolean {
  return timingSafeEqual(mac(key, datagram.subarray(0, SIGNED_BYTES)), datagram.subarray(SIGNED_BYTES, PULSE_BYTES));
}

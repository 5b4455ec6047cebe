/**
 * Mutual TLS for agents and subclouds: a bearer credential alone is not
 * enough, the connection must also carry the client certificate this
 * controller's CA issued to that same child. The TLS listener requests a
 * certificate from every client but lets the handshake finish without one
 * (browsers and the CLI have none); this check decides per request, for the
 * machine principals only.
 *
 * The listener trusts this CA's whole chain (node checks client chains only
 * up to a self-signed root), so the immediate issuer is checked here: a
 * certificate another subcloud's ICA signed must not pass at this site.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../core/errors.js';
import { fingerprintOfDer } from '../pki/fingerprint.js';

interface PeerIdentity {
  authorized: boolean;
  error: string | undefined;
  commonName: string | undefined;
  issuerFingerprint: string | undefined;
  /** Validity of the certificate presented (epoch ms), for renewal. */
  notBefore: number | undefined;
  notAfter: number | undefined;
}

/** The client certificate on a request's connection, as the parent's renewal looks at it. */
export interface PresentedCertificate {
  notBefore: number;
  notAfter: number;
  issuerFingerprint: string | undefined;
}

/** The command that gives a child a new enroll token, by its principal (`host:<h>`, `subcloud:<n>`). */
const reenrollCommand = (principal: string): string => {
  const [kind, name] = [principal.slice(0, principal.indexOf(':')), principal.slice(principal.indexOf(':') + 1)];
  return kind === 'subcloud' ? `starling subcloud enroll-token ${name}` : `starling host enroll-token ${name}`;
};

/** Read once per connection: a keep-alive connection carries one peer certificate. */
const seen = new WeakMap<TLSSocket, PeerIdentity>();

/** The common name in node's multi-line distinguished name ("CN=subcloud:edge-1\nO=Starling"). */
const commonNameOf = (subject: string): string | undefined =>
  subject
    .split('\n')
    .find((line) => line.startsWith('CN='))
    ?.slice(3);

function peerOf(socket: TLSSocket): PeerIdentity {
  let peer = seen.get(socket);
  if (!peer) {
    // node's X509Certificate, not getPeerCertificate(true), which turns every
    // field of the chain into JavaScript objects first (once per connection,
    // but 10,000 connections arrive together when a fleet enrolls). After a
    // full handshake it carries the issuer the handshake verified; a resumed
    // session has no chain, and getPeerCertificate finds the issuer in the
    // listener's trust store.
    const cert = socket.getPeerX509Certificate();
    const issuer = cert?.issuerCertificate?.raw ?? (cert ? socket.getPeerCertificate(true).issuerCertificate?.raw : undefined);
    peer = {
      authorized: socket.authorized,
      error: cert ? (socket.authorizationError ? String(socket.authorizationError) : undefined) : 'no client certificate was sent',
      commonName: cert ? commonNameOf(cert.subject) : undefined,
      issuerFingerprint: issuer ? fingerprintOfDer(issuer) : undefined,
      notBefore: cert ? Date.parse(cert.validFrom) : undefined,
      notAfter: cert ? Date.parse(cert.validTo) : undefined,
    };
    seen.set(socket, peer);
  }
  return peer;
}

/** Throws UnauthenticatedError unless the request's connection carries `principal`'s certificate from one of the CAs `issuerFingerprints` (two during a root rotation). */
export function requireClientCertificate(request: FastifyRequest, principal: string, issuerFingerprints: readonly string[]): void {
  const socket = request.raw.socket as TLSSocket;
  const how = `${principal} must connect with the client certificate it was issued when it enrolled (mutual TLS); enroll again with a new token if it has none`;
  if (!socket.encrypted) throw new UnauthenticatedError(`a client certificate is required and this connection is not TLS: ${how}`);
  const peer = peerOf(socket);
  if (!peer.authorized && peer.error === 'CERT_HAS_EXPIRED') {
    const when = peer.notAfter !== undefined ? ` on ${new Date(peer.notAfter).toISOString()}` : '';
    throw new UnauthenticatedError(`the client certificate of ${principal} expired${when}, and an expired certificate is never accepted: issue a new enroll token (${reenrollCommand(principal)}) and enroll again with it`);
  }
  if (!peer.authorized) throw new UnauthenticatedError(`client certificate refused (${peer.error ?? 'not issued by this controller'}): ${how}`);
  if (peer.commonName !== principal) throw new UnauthenticatedError(`the client certificate is for ${peer.commonName ?? 'nobody'}, not ${principal}: ${how}`);
  if (!peer.issuerFingerprint || !issuerFingerprints.includes(peer.issuerFingerprint)) throw new UnauthenticatedError(`the client certificate was not issued by this controller's CA: ${how}`);
}

/** The authorized client certificate on this request's connection, if any (read once per connection). */
export function presentedCertificate(request: FastifyRequest): PresentedCertificate | undefined {
  const socket = request.raw.socket as TLSSocket;
  if (!socket.encrypted) return undefined;
  const peer = peerOf(socket);
  if (!peer.authorized || peer.notBefore === undefined || peer.notAfter === undefined) return undefined;
  return { notBefore: peer.notBefore, notAfter: peer.notAfter, issuerFingerprint: peer.issuerFingerprint };
}

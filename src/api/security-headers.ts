/**
 * Browser-facing security headers on every response (@fastify/helmet): a
 * Content-Security-Policy that lets the dashboard load only its own scripts,
 * styles and API (no inline script, no other origin, no framing), a
 * referrer policy that sends nothing to other sites, and the rest of
 * helmet's defaults (nosniff, X-Frame-Options DENY, HSTS over TLS, ...), on
 * the dashboard, the API docs and the other browser-reachable pages.
 *
 * Not `upgrade-insecure-requests` (helmet's default has it): on a
 * controller deliberately on plain HTTP (the demo, or behind a TLS proxy)
 * it would make the browser turn every API call into an https:// one that
 * nothing answers. The API docs page keeps swagger-ui's own policy (its
 * inline script hashes), without that directive for the same reason, and
 * with inline styles allowed: swagger-ui sets some that its hashes do not
 * cover (Chromium reported the refusal), and a style cannot run code.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export const DASHBOARD_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  // The dashboard sets styles through the DOM (React), which CSP does not restrict; no inline <style> or style="".
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

export async function installSecurityHeaders(app: FastifyInstance): Promise<void> {
  // Not on /api/v1: JSON for agents, subclouds and scripts, where a browser policy means nothing and its ~700 bytes
  // were on every report reply (bench:site: an idle agent's wire bytes 1.8 → 3.6 KB/min).
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/')) route.helmet = false;
  });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: DASHBOARD_CSP },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  });
}

/** For swagger-ui's `transformStaticCSP`: its policy without upgrade-insecure-requests, its styles from itself or inline. */
export function docsPolicy(header: string): string {
  return header.replace(/\s*upgrade-insecure-requests;?/g, '').replace(/style-src [^;]*;/, "style-src 'self' 'unsafe-inline';");
}

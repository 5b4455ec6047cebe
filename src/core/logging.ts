import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets. pino replaces them with "[redacted]" so that
 * no password or token reaches a log line, whatever a caller passes in.
 */
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  '*.*.token',
  'credential',
  '*.credential',
  '*.*.credential',
  'enroll_token',
  '*.enroll_token',
  '*.*.enroll_token',
  'signingKey',
  '*.signingKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'adminPassword',
  '*.adminPassword',
  'databaseUrl',
  '*.databaseUrl',
];

export interface LogOptions {
  level: string;
  /** Where logs go; defaults to stdout. Tests pass a sink to read them. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LogOptions): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT, censor: '[redacted]' },
      base: { service: 'starling' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination(1),
  );
}

/** A logger that drops everything; for tests and CLI commands. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

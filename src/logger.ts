import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that must never reach a log line: credentials, signed tokens and personal fields.
 * Pino replaces them with "[redacted]" wherever they appear in a logged object.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.cookie',
  'cookie',
  'res.headers["set-cookie"]',
  'secret',
  '*.secret',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'phone',
  '*.phone',
  'privateKey',
  '*.privateKey',
  'd',
  '*.d',
  'err.params',
  'err.parameters',
];

export function createLogger(level: LoggerOptions['level'] = 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'jifen' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

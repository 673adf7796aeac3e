import { pino } from 'pino';
import type { Config } from './config.ts';

/** Structured JSON logs (one line per entry), with ids as fields so they can be searched. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>) {
  return pino({
    level: config.LOG_LEVEL,
    base: { service: 'ricochet' },
    redact: { paths: ['req.headers.authorization', 'req.query.token'], censor: '[redacted]' },
  });
}

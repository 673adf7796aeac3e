import { pino } from 'pino';
import type { Config } from './config.ts';

/** Query parameters whose values are credentials (Apify takes `?token=`; the others by habit). */
const SECRET_QUERY_NAMES = /token|secret|key|password|auth|signature|sig$/i;

/**
 * A URL with the value of every credential-like query parameter replaced, so it can be logged. On
 * /trpc, `input` goes too: a query's input is whatever the procedure takes (a setup link's token,
 * for one), so none of it is logged.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return url;
  const isTrpc = url.startsWith('/trpc');
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawName = equals === -1 ? pair : pair.slice(0, equals);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replaceAll('+', ' '));
      } catch {
        // A name that does not decode is checked as it is.
      }
      const secretName = SECRET_QUERY_NAMES.test(name) || (isTrpc && name === 'input');
      return equals !== -1 && secretName ? `${rawName}=[redacted]` : pair;
    });
  return `${url.slice(0, queryAt)}?${query.join('&')}`;
}

// Ricochet's own credentials have recognisable shapes (API tokens, session, CSRF and link tokens,
// generated webhook secrets); any that still reaches a log line (inside an error's message, say) is
// cut out of the line itself. Percent-encoded ones too (`_` and `-` stay as they are in a URL).
const TOKEN_SHAPES =
  /ricochet_(?:api|session|csrf|link)_[A-Za-z0-9_-]+|whsec_(?:[A-Za-z0-9+/=]|%2[BbFf]|%3[Dd])+/g;

/**
 * Structured JSON logs (one line per entry), with ids as fields so they can be searched. No
 * credential reaches a line: the request URL's query, the Authorization and Cookie headers, every
 * field named like a secret or token, and anything shaped like a Ricochet token or secret.
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, destination?: pino.DestinationStream) {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { service: 'ricochet' },
      redact: {
        paths: [
          'req.url',
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-superoffice-signature"]',
          'req.headers["x-ricochet-session"]',
          'req.headers["x-csrf-token"]',
          'req.query',
          'req.body',
          '*.secret',
          '*.secrets',
          '*.Secret',
          '*.token',
          '*.authorization',
          '*.Authorization',
          '*.headers.authorization',
        ],
        // The URL is kept (it is what one searches logs by), only its credentials go.
        censor: (value, path) =>
          path.at(-1) === 'url' && typeof value === 'string' ? redactUrl(value) : '[redacted]',
      },
      hooks: {
        streamWrite: (line) => line.replace(TOKEN_SHAPES, '[redacted]'),
      },
    },
    destination,
  );
}

import { AccentColorSchema, BrandThemeSchema, LogoUrlSchema } from '@ricochet/schema';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const PortSchema = z.coerce.number().int().min(0).max(65535);
const PositiveInt = z.coerce.number().int().positive();
const FlagSchema = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((flag) => flag === '1' || flag === 'true' || flag === 'yes');

/** Ranges proxy-addr (Fastify's trustProxy) knows by name. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * The proxies whose X-Forwarded-For (and -Host, -Proto) the API believes: addresses, CIDR ranges
 * and named ranges, separated by commas or spaces; `none` for no proxy at all. false when none.
 */
const TrustProxySchema = z.string().transform((setting, context) => {
  const entries = setting.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 1 && entries[0] === 'none') return false as const;
  for (const entry of entries) {
    if (!(NAMED_RANGES.includes(entry) || ipaddr.isValid(entry) || isCidr(entry))) {
      context.addIssue({
        code: 'custom',
        message: `"${entry}" is not an address, a CIDR range or one of ${NAMED_RANGES.join(', ')} (or "none" alone)`,
      });
      return z.NEVER;
    }
  }
  return entries;
});

function isCidr(entry: string): boolean {
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every setting comes from the environment and is checked once at start-up, so a typo fails fast
 * with the variable's name instead of misbehaving later.
 */
export const ConfigSchema = z
  .object({
    PORT: PortSchema.default(8787),
    HOST: z.string().min(1).default('127.0.0.1'),
    /** PostgreSQL connection string. Unset: the embedded PGlite database in RICOCHET_DATA_DIR. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /**
     * PostgreSQL connections per process. A worker uses at most three at once whatever
     * DELIVERY_CONCURRENCY is (one claim, one batched result write, one lease renewal); the rest
     * serve the API.
     */
    DATABASE_POOL_SIZE: PositiveInt.default(10),
    RICOCHET_DATA_DIR: z.string().min(1).default('.ricochet-data'),
    /** Token of the first admin user on a fresh install; unset: one is generated and printed once. */
    RICOCHET_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    RICOCHET_ADMIN_USERNAME: z.string().min(3).default('admin'),
    /** Public base URL, for Location headers behind a proxy. Unset: taken from the request. */
    RICOCHET_PUBLIC_URL: z.url().optional(),
    /**
     * Proxies trusted to name the client (X-Forwarded-For, for per-address rate limits) and the
     * address the browser used (X-Forwarded-Host/-Proto). The default covers the dashboard on the
     * same machine, whose /trpc proxy is how browsers reach the API.
     */
    TRUST_PROXY: TrustProxySchema.default(['loopback']),
    /** Where people open the dashboard; the first admin's setup link points there. */
    RICOCHET_DASHBOARD_URL: z.url().default('http://127.0.0.1:8788'),
    /** Requests each token may make per window (unauthenticated requests count per IP). */
    RATE_LIMIT_MAX: PositiveInt.default(300),
    RATE_LIMIT_WINDOW_MS: PositiveInt.default(10_000),
    /**
     * Guessing passwords (services/sign-in-throttle.ts): after this many failures in a row an account
     * (or, after SIGN_IN_CLIENT_MAX_FAILURES, a client address) is locked for SIGN_IN_LOCKOUT_MS,
     * twice as long after each further failure, up to SIGN_IN_LOCKOUT_MAX_MS.
     */
    SIGN_IN_MAX_FAILURES: PositiveInt.default(5),
    SIGN_IN_CLIENT_MAX_FAILURES: PositiveInt.default(20),
    SIGN_IN_LOCKOUT_MS: PositiveInt.default(30_000),
    SIGN_IN_LOCKOUT_MAX_MS: PositiveInt.default(900_000),
    /** Largest request body accepted, after decompression. */
    BODY_LIMIT_BYTES: PositiveInt.default(1_048_576),
    /**
     * A request's headers and body must have arrived within this long, or it is answered 408 and its
     * connection closed: a client trickling a body byte by byte cannot hold a connection for ever.
     */
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
    /** Delivery: per-attempt timeout, retries (Apify's default: ~1 min doubling, 11 retries). */
    DELIVERY_ATTEMPT_TIMEOUT_MS: PositiveInt.default(30_000),
    DELIVERY_MAX_RETRIES: z.coerce.number().int().min(0).max(50).default(11),
    DELIVERY_RETRY_BASE_DELAY_MS: PositiveInt.default(60_000),
    DELIVERY_RETRY_MAX_DELAY_MS: PositiveInt.default(24 * 3600_000),
    DELIVERY_RETRY_AFTER_MAX_MS: PositiveInt.default(3600_000),
    /** A claimed dispatch's lease; renewed while its call runs, so it only lapses when a worker dies. */
    DELIVERY_LEASE_MS: PositiveInt.default(60_000),
    DELIVERY_BATCH_SIZE: PositiveInt.default(50),
    DELIVERY_CONCURRENCY: PositiveInt.default(100),
    /** Calls in flight to one host:port at most, across every worker (one slow host cannot take every slot). */
    DELIVERY_MAX_CONCURRENT_PER_HOST: PositiveInt.default(10),
    DELIVERY_POLL_INTERVAL_MS: PositiveInt.default(1000),
    /** Consecutive failed dispatches after which a webhook is set TOO_MANY_ERRORS. */
    WEBHOOK_FAILURE_THRESHOLD: PositiveInt.default(10),
    /** Calls in a row without a response (refused, reset, timed out) after which a webhook's circuit opens. */
    CIRCUIT_FAILURE_THRESHOLD: PositiveInt.default(5),
    /** The first probe after a circuit opens; each probe without a response doubles it, up to the max. */
    CIRCUIT_PROBE_DELAY_MS: PositiveInt.default(30_000),
    CIRCUIT_MAX_PROBE_DELAY_MS: PositiveInt.default(3600_000),
    /**
     * Days of history (events, finished dispatches, calls) kept; a user's own retentionDays overrides
     * it. Unset: 7 on the embedded database, 30 on PostgreSQL (history/retention.ts).
     */
    RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
    /** Webhooks one user may have (Apify's limit is 100). */
    MAX_WEBHOOKS_PER_USER: PositiveInt.default(100),
    /** Dispatches one request may create (a publish, a batch, a broadcast, a bulk redelivery). */
    MAX_DISPATCHES_PER_REQUEST: PositiveInt.default(100_000),
    /** The outbound guard refuses private and loopback targets unless these allow them. */
    OUTBOUND_ALLOW_LOOPBACK: FlagSchema.default(false),
    OUTBOUND_ALLOW_PRIVATE: FlagSchema.default(false),
    /** Sent as X-Apify-Request-Origin on every delivery. */
    RICOCHET_REQUEST_ORIGIN: z.string().min(1).default('RICOCHET'),
    /** Branding of the dashboard and the customer portal (a portal session may override each field). */
    RICOCHET_BRAND_NAME: z.string().trim().min(1).max(60).default('Ricochet'),
    RICOCHET_BRAND_LOGO_URL: LogoUrlSchema.optional(),
    RICOCHET_BRAND_ACCENT_COLOR: AccentColorSchema.optional(),
    RICOCHET_BRAND_THEME: BrandThemeSchema.default('system'),
    /**
     * Alert e-mails (src/mail): unset SMTP_HOST, none are sent (nor queued). SMTP_TLS: `starttls`
     * (upgrade, required), `implicit` (TLS from the first byte, usually port 465) or `none` (a relay
     * on this machine or a trusted network only).
     */
    SMTP_HOST: z.string().min(1).optional(),
    SMTP_PORT: PortSchema.default(587),
    SMTP_TLS: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
    SMTP_USER: z.string().min(1).optional(),
    SMTP_PASSWORD: z.string().min(1).optional(),
    /** The From of alert e-mails, e.g. `Ricochet <alerts@example.com>`; required with SMTP_HOST. */
    SMTP_FROM: z.string().min(3).optional(),
    /** Alert e-mails one address gets per hour at most; the rest are kept as SUPPRESSED, not sent. */
    ALERT_EMAIL_MAX_PER_HOUR: PositiveInt.default(10),
    /** The first retry of a mail the SMTP server did not take; each further one waits twice as long, up to 30 min. */
    ALERT_EMAIL_RETRY_BASE_MS: PositiveInt.default(30_000),
    /** A mail still unsent this long after its alert is given up (FAILED): its news is stale by then. */
    ALERT_EMAIL_GIVE_UP_MS: PositiveInt.default(3 * 86_400_000),
    /**
     * OpenTelemetry (telemetry/sdk.ts): unset, no traces or metrics are exported. The collector's
     * OTLP/HTTP base URL, e.g. http://127.0.0.1:4318; OTEL_EXPORTER_OTLP_HEADERS (read by the exporter
     * itself) adds headers such as an API key.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    OTEL_SERVICE_NAME: z.string().min(1).default('ricochet'),
    /** The share of new traces recorded, 0 to 1 (an event's deliveries follow its publish's decision). */
    OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
    /** How often metrics are exported, in ms (OpenTelemetry's own variable). */
    OTEL_METRIC_EXPORT_INTERVAL: z.coerce.number().int().min(100).default(60_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((config, context) => {
    if (config.SMTP_HOST !== undefined && config.SMTP_FROM === undefined)
      context.addIssue({ code: 'custom', path: ['SMTP_FROM'], message: 'is required when SMTP_HOST is set' });
    if ((config.SMTP_USER === undefined) !== (config.SMTP_PASSWORD === undefined))
      context.addIssue({
        code: 'custom',
        path: [config.SMTP_USER === undefined ? 'SMTP_USER' : 'SMTP_PASSWORD'],
        message: 'SMTP_USER and SMTP_PASSWORD go together',
      });
  });
export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; the error names each bad variable and why. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as in most twelve-factor apps.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = ConfigSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

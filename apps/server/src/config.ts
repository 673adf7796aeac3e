import { z } from 'zod';

const PortSchema = z.coerce.number().int().min(0).max(65535);
const PositiveInt = z.coerce.number().int().positive();
const FlagSchema = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((flag) => flag === '1' || flag === 'true' || flag === 'yes');

/**
 * Every setting comes from the environment and is checked once at start-up, so a typo fails fast
 * with the variable's name instead of misbehaving later.
 */
export const ConfigSchema = z.object({
  PORT: PortSchema.default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** PostgreSQL connection string. Unset: the embedded PGlite database in RICOCHET_DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  RICOCHET_DATA_DIR: z.string().min(1).default('.ricochet-data'),
  /** Token of the first admin user on a fresh install; unset: one is generated and printed once. */
  RICOCHET_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  RICOCHET_ADMIN_USERNAME: z.string().min(3).default('admin'),
  /** Public base URL, for Location headers behind a proxy. Unset: taken from the request. */
  RICOCHET_PUBLIC_URL: z.url().optional(),
  /** Requests each token may make per window (unauthenticated requests count per IP). */
  RATE_LIMIT_MAX: PositiveInt.default(300),
  RATE_LIMIT_WINDOW_MS: PositiveInt.default(10_000),
  /** Largest request body accepted, after decompression. */
  BODY_LIMIT_BYTES: PositiveInt.default(1_048_576),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: FlagSchema.default(false),
});
export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; the error names each bad variable and why. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as in most twelve-factor apps.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = ConfigSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

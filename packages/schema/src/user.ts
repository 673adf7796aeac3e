import { z } from 'zod';

export const UsernameSchema = z
  .string()
  .min(3)
  .max(50)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits and . _ -');

/** The product team's own id for a user (its customer's id), so the team never stores Ricochet's ids. */
export const ExternalIdSchema = z.string().min(1).max(200);

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    isAdmin: z.boolean(),
    externalId: z.string().nullable(),
    createdAt: z.iso.datetime(),
    /** Days of history this user keeps, set by an admin; null: the installation's RETENTION_DAYS. */
    retentionDays: z.number().int().nullable(),
    /** Where alert e-mails about this user's webhooks go (failing, disabled); null: none. */
    alertEmail: z.string().nullable(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof UserSchema>;

export const CreateUserInputSchema = z
  .object({ username: UsernameSchema, isAdmin: z.boolean().default(false) })
  .meta({ id: 'CreateUserInput' });
export type CreateUserInput = z.input<typeof CreateUserInputSchema>;

/** FULL tokens may change things; READ_ONLY tokens only read (their writes get 403 permission-denied). */
export const TokenScopeSchema = z.enum(['FULL', 'READ_ONLY']).meta({ id: 'TokenScope' });
export type TokenScope = z.infer<typeof TokenScopeSchema>;

export const ApiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: TokenScopeSchema,
    /** The first characters of the token, to tell tokens apart; the token itself is shown once. */
    prefix: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiToken' });
export type ApiToken = z.infer<typeof ApiTokenSchema>;

export const CreateApiTokenInputSchema = z
  .object({ name: z.string().trim().min(1).max(100), scope: TokenScopeSchema.default('FULL') })
  .meta({ id: 'CreateApiTokenInput' });
export type CreateApiTokenInput = z.input<typeof CreateApiTokenInputSchema>;

/** A token as created: the only time its secret value is ever returned. */
export const CreatedApiTokenSchema = ApiTokenSchema.extend({ token: z.string() }).meta({
  id: 'CreatedApiToken',
});
export type CreatedApiToken = z.infer<typeof CreatedApiTokenSchema>;

export const CreatedUserSchema = z
  .object({ user: UserSchema, token: CreatedApiTokenSchema })
  .meta({ id: 'CreatedUser' });
export type CreatedUser = z.infer<typeof CreatedUserSchema>;

/**
 * Body of `POST /v2/users/by-external-id` (admins only): the user with this externalId, created when
 * there is none. A username is made from a random id when none is given.
 */
export const EnsureUserInputSchema = z
  .object({ externalId: ExternalIdSchema, username: UsernameSchema.optional() })
  .meta({ id: 'EnsureUserInput' });
export type EnsureUserInput = z.input<typeof EnsureUserInputSchema>;

export const EnsuredUserSchema = z
  .object({ user: UserSchema, created: z.boolean() })
  .meta({ id: 'EnsuredUser' });
export type EnsuredUser = z.infer<typeof EnsuredUserSchema>;

/** The longest retention an admin may give a user (ten years), as RETENTION_DAYS allows. */
export const MAX_RETENTION_DAYS = 3650;
export const RetentionDaysSchema = z.number().int().min(1).max(MAX_RETENTION_DAYS);

/**
 * Body of `PUT /v2/users/:userId/retention` (admins only): the user's own retention in days, or
 * null for the installation's. History older than it is no longer shown to the user; it is dropped
 * once no user's retention covers it.
 */
export const SetRetentionInputSchema = z
  .object({ retentionDays: RetentionDaysSchema.nullable() })
  .meta({ id: 'SetRetentionInput' });
export type SetRetentionInput = z.input<typeof SetRetentionInputSchema>;

/**
 * How far back a user's history goes (`GET /v2/users/me/history`): finished dispatches, events and
 * calls created before `historyStartsAt` are removed (not shown, and dropped with their week's
 * partition). Dispatches still being delivered are never removed.
 */
export const HistoryWindowSchema = z
  .object({
    retentionDays: z.number().int(),
    historyStartsAt: z.iso.datetime(),
    /** The installation's RETENTION_DAYS, which applies when the user has no retention of its own. */
    installationRetentionDays: z.number().int(),
  })
  .meta({ id: 'HistoryWindow' });
export type HistoryWindow = z.infer<typeof HistoryWindowSchema>;

/** An address alert e-mails go to (a user's alertEmail, a webhook's errorsEmail). */
export const AlertEmailAddressSchema = z.email('must be an e-mail address').max(254);

/**
 * Body of `PUT /v2/users/me/alert-email`: where to be told by e-mail when one of the user's webhooks
 * is failing or disabled (sent when the installation has SMTP configured); null for no e-mail.
 */
export const SetAlertEmailInputSchema = z
  .object({ alertEmail: AlertEmailAddressSchema.nullable() })
  .meta({ id: 'SetAlertEmailInput' });
export type SetAlertEmailInput = z.input<typeof SetAlertEmailInputSchema>;

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

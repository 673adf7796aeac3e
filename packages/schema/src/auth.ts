import { z } from 'zod';
import { BrandingOverrideSchema } from './branding.ts';
import { TokenScopeSchema, UsernameSchema, UserSchema } from './user.ts';

/** Long enough to resist guessing; the upper bound keeps hashing cheap to refuse. */
export const PasswordSchema = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(200, 'must be at most 200 characters');

export const SignInInputSchema = z
  .object({ username: UsernameSchema, password: z.string().min(1, 'enter your password').max(200) })
  .meta({ id: 'SignInInput' });
export type SignInInput = z.input<typeof SignInInputSchema>;

export const SignInWithTokenInputSchema = z
  .object({ token: z.string().trim().min(1, 'paste an API token').max(200) })
  .meta({ id: 'SignInWithTokenInput' });
export type SignInWithTokenInput = z.input<typeof SignInWithTokenInputSchema>;

/** The first admin follows a single-use setup link and chooses a password. */
export const CompleteSetupInputSchema = z
  .object({ token: z.string().min(1).max(200), password: PasswordSchema })
  .meta({ id: 'CompleteSetupInput' });
export type CompleteSetupInput = z.input<typeof CompleteSetupInputSchema>;

/** The dashboard's form: the same password twice. */
export const ChoosePasswordFormSchema = z
  .object({ password: PasswordSchema, confirm: z.string() })
  .refine((form) => form.password === form.confirm, {
    message: 'the passwords do not match',
    path: ['confirm'],
  });

export const SetPasswordInputSchema = z
  .object({ userId: z.string().min(1), password: PasswordSchema })
  .meta({ id: 'SetPasswordInput' });
export type SetPasswordInput = z.input<typeof SetPasswordInputSchema>;

export const SESSION_MODES = ['FULL', 'PORTAL'] as const;
export const SessionModeSchema = z.enum(SESSION_MODES);
export type SessionMode = z.infer<typeof SessionModeSchema>;

/**
 * What a signed-in person may reach. The dashboard shows a page only when its capability is here
 * and the server checks the same list, so a portal session (one customer, embedded) simply lacks
 * `tokens` and `admin` and cannot reach them by editing URLs.
 */
export const CAPABILITIES = ['webhooks', 'events', 'eventTypes', 'tokens', 'admin'] as const;
export const CapabilitySchema = z.enum(CAPABILITIES);
export type Capability = z.infer<typeof CapabilitySchema>;

export function capabilitiesFor(args: { mode: SessionMode; isAdmin: boolean }): Capability[] {
  if (args.mode === 'PORTAL') return ['webhooks', 'eventTypes'];
  return args.isAdmin ? [...CAPABILITIES] : ['webhooks', 'events', 'eventTypes', 'tokens'];
}

/** Who is signed in to the dashboard. `csrfToken` goes back in the `x-csrf-token` header of every change. */
export const SessionInfoSchema = z
  .object({
    user: UserSchema,
    mode: SessionModeSchema,
    scope: TokenScopeSchema,
    capabilities: z.array(CapabilitySchema),
    csrfToken: z.string(),
    expiresAt: z.iso.datetime(),
    /** A portal session's own branding (replacing the installation's field by field); null otherwise. */
    branding: BrandingOverrideSchema.nullable().default(null),
  })
  .meta({ id: 'SessionInfo' });
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/** The header that carries the session's CSRF token on every tRPC mutation made with a cookie. */
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_COOKIE = 'ricochet_session';

/** A user as the admin page lists it. */
export const UserAccountSchema = UserSchema.extend({ disabled: z.boolean(), hasPassword: z.boolean() }).meta({
  id: 'UserAccount',
});
export type UserAccount = z.infer<typeof UserAccountSchema>;

/** An admin creates a user with a first password (no token: the user makes their own). */
export const CreateUserAccountInputSchema = z
  .object({ username: UsernameSchema, password: PasswordSchema, isAdmin: z.boolean().default(false) })
  .meta({ id: 'CreateUserAccountInput' });
export type CreateUserAccountInput = z.input<typeof CreateUserAccountInputSchema>;

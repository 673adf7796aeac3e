import { SetAlertEmailInputSchema, UserSchema } from '@ricochet/schema';
import { setAlertEmail as setUserAlertEmail } from '../../services/users.ts';
import { defineOperation } from '../operation.ts';

/** Where the token's user is told by e-mail that a webhook of theirs is failing or disabled. */
export const setAlertEmail = defineOperation({
  summary: 'Set the address alert e-mails about your webhooks go to, or null for none',
  access: 'write',
  procedure: 'mutation',
  input: SetAlertEmailInputSchema,
  output: UserSchema,
  run: ({ prisma, principal }, input) => setUserAlertEmail(prisma, { userId: principal.userId, input }),
  rest: (route) => [
    route({
      method: 'PUT',
      path: '/v2/users/me/alert-email',
      tags: ['Users'],
      body: SetAlertEmailInputSchema,
      status: 200,
      input: ({ body }) => body,
    }),
  ],
});

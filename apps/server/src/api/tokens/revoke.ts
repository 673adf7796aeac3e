import { RecordIdSchema } from '@ricochet/schema';
import { z } from 'zod';
import { revokeApiToken } from '../../services/tokens.ts';
import { defineOperation } from '../operation.ts';

const TokenIdInput = z.object({ tokenId: RecordIdSchema });

export const revoke = defineOperation({
  summary: 'Revoke an API token',
  access: 'write',
  capability: 'tokens',
  procedure: 'mutation',
  input: TokenIdInput,
  output: z.null(),
  run: async ({ prisma, principal }, { tokenId }) => {
    await revokeApiToken(prisma, { userId: principal.userId, tokenId });
    return null;
  },
  rest: (route) => [
    route({
      method: 'DELETE',
      path: '/v2/users/me/tokens/:tokenId',
      tags: ['Tokens'],
      params: TokenIdInput,
      status: 204,
      input: ({ params }) => params,
    }),
  ],
});

import { ExternalIdSchema, UserSchema } from '@ricochet/schema';
import { z } from 'zod';
import { getUserByExternalId } from '../../services/customers.ts';
import { defineOperation } from '../operation.ts';

const ExternalIdInput = z.object({ externalId: ExternalIdSchema });

export const byExternalId = defineOperation({
  summary: 'Get the user with this externalId (administrators only)',
  access: 'admin',
  procedure: 'query',
  input: ExternalIdInput,
  output: UserSchema,
  run: ({ prisma }, { externalId }) => getUserByExternalId(prisma, { externalId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/users/by-external-id/:externalId',
      tags: ['Users'],
      params: ExternalIdInput,
      status: 200,
      input: ({ params }) => params,
    }),
  ],
});

import { z } from 'zod';
import { describeSetupLink } from '../../services/sessions.ts';
import { defineOperation } from '../operation.ts';

export const setupLink = defineOperation({
  summary: 'Whose account a setup link completes',
  access: 'public',
  procedure: 'query',
  input: z.object({ token: z.string().min(1).max(200) }),
  output: z.object({ username: z.string() }),
  run: ({ prisma }, input) => describeSetupLink(prisma, input),
});
